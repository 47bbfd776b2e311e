// Command quickstart is the README's quick start: two providers, one
// down, and the stream the caller gets.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

func main() {
	// Any func(ctx, Req) (<-chan Tok, <-chan error) is a provider; here two
	// stand-ins, one that is down and one that answers.
	primary := stream.FromSlice[string, string](nil, fmt.Errorf("503 service unavailable"))
	backup := stream.FromSlice[string]([]string{"Hello", ", ", "world"}, nil)

	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: primary},
		{Name: "backup", Source: backup},
	},
		failover.Attempts(2),                      // each provider twice before the next
		failover.FirstTokenTimeout(5*time.Second), // a provider that never starts is abandoned
		failover.IdleTimeout(10*time.Second),      // so is one that stalls mid-stream
	)

	ctx, report := failover.WithReport(context.Background())
	out, errc := g.Stream(ctx, "Say hello")
	for tok := range out {
		fmt.Print(tok) // print as it arrives: nothing shown is ever repeated
	}
	fmt.Println()
	if err := <-errc; err != nil {
		fmt.Println("error:", err)
	}
	fmt.Println("served by", report.Served())
}
