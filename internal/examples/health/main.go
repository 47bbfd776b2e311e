// Command health shows relay learning across calls: a provider that keeps
// failing cools down and is tried last, then one call probes it, and it is
// restored when it answers again. Every event is logged through log/slog.
//
//	go run ./internal/examples/health
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

// flaky fails its first two calls, then answers.
func flaky() stream.Source[string, string] {
	var calls atomic.Int32
	return func(ctx context.Context, req string) (<-chan string, <-chan error) {
		if calls.Add(1) <= 2 {
			return stream.FromSlice[string, string](nil, errors.New("503 overloaded"))(ctx, req)
		}
		return stream.FromSlice[string]([]string{"primary"}, nil)(ctx, req)
	}
}

func run(ctx context.Context, w io.Writer) error {
	logger := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelDebug, // every event
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "first_token" || a.Key == "until" {
				return slog.Attr{} // keep the output the same on every run
			}
			return a
		},
	}))
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: flaky()},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"backup"}, nil)},
	},
		failover.Cooldown(2, 100*time.Millisecond),   // two failures in a row: tried last for 100ms
		failover.Observe(failover.LogEvents(logger)), // every event of every call, in order
	)
	for call := 1; call <= 4; call++ {
		if call == 4 {
			time.Sleep(100 * time.Millisecond) // the cooldown ends: the next call probes
		}
		toks, err := stream.Collect(ctx, g.Stream, "hello")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "call %d served by %s\n", call, toks[0])
	}
	return nil
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "health:", err)
		os.Exit(1)
	}
}
