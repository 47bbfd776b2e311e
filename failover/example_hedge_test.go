package failover_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

// slowly returns a source that waits d before it streams toks.
func slowly(d time.Duration, toks ...string) stream.Source[string, string] {
	return stream.Generate(func(ctx context.Context, _ string, yield func(string) bool) error {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, t := range toks {
			if !yield(t) {
				return ctx.Err()
			}
		}
		return nil
	})
}

// The primary is stuck in its tail today. After 20ms without a first
// token the backup starts beside it, answers first and wins; the primary
// is cancelled, and nothing of it reaches the caller.
func ExampleHedge() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: slowly(2*time.Second, "slow answer")},
		{Name: "backup", Source: slowly(0, "Hello", " from", " backup")},
	}, failover.Hedge(20*time.Millisecond), failover.MaxInFlight(2))

	ctx, report := failover.WithReport(context.Background())
	toks, err := stream.Collect(ctx, g.Stream, "greet")
	fmt.Printf("%q %v\n", strings.Join(toks, ""), err)
	for _, a := range report.Attempts() {
		fmt.Printf("%s: committed %v, lost a hedge %v\n", a.Provider, a.Committed, errors.Is(a.Err, errs.ErrHedgeLost))
	}
	// Output:
	// "Hello from backup" <nil>
	// primary: committed false, lost a hedge true
	// backup: committed true, lost a hedge false
}

// An adaptive hedge delay follows the providers: here the 95th percentile
// of their recent times to first token, between 5ms and 500ms. Until the
// group has seen enough attempts the delay is the maximum, so a quick
// primary serves alone.
func ExampleAdaptiveHedge() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: slowly(0, "fast")},
		{Name: "backup", Source: slowly(0, "never needed")},
	}, failover.AdaptiveHedge(0.95, 5*time.Millisecond, 500*time.Millisecond))

	ctx, report := failover.WithReport(context.Background())
	toks, err := stream.Collect(ctx, g.Stream, "q")
	fmt.Println(toks, err, len(report.Attempts()), "attempt")
	// Output: [fast] <nil> 1 attempt
}

// A hedge budget keeps the extra load bounded: across the group's calls,
// hedges stay under 10% of the calls of the last ten seconds. The first
// call has no budget yet (10% of one call is less than one hedge), so it
// waits for its primary instead of hedging.
func ExampleHedgeBudget() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: slowly(50*time.Millisecond, "late but alone")},
		{Name: "backup", Source: slowly(0, "would have been faster")},
	}, failover.Hedge(time.Millisecond), failover.HedgeBudget(0.1))

	ctx, report := failover.WithReport(context.Background())
	toks, err := stream.Collect(ctx, g.Stream, "q")
	fmt.Println(toks, err, report.Served())
	// Output: [late but alone] <nil> primary
}

// MaxInFlight(3) lets a call race three providers when two are slow.
func ExampleMaxInFlight() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: slowly(time.Second, "a")},
		{Name: "b", Source: slowly(time.Second, "b")},
		{Name: "c", Source: slowly(0, "c")},
	}, failover.Hedge(10*time.Millisecond), failover.MaxInFlight(3))

	toks, err := stream.Collect(context.Background(), g.Stream, "q")
	fmt.Println(toks, err)
	// Output: [c] <nil>
}
