package failover_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

// held is a provider that streams its name and holds its stream open
// until release is closed: a long answer in flight.
func held(name string, release <-chan struct{}) stream.Source[string, string] {
	return stream.Generate(func(ctx context.Context, _ string, yield func(string) bool) error {
		if !yield(name) {
			return ctx.Err()
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// Three long answers at once go to three different providers: each call
// starts at the provider with the fewest streams of the group in flight.
func ExampleLeastBusy() {
	release := make(chan struct{})
	g := failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: held("a", release)},
		{Name: "b", Source: held("b", release)},
		{Name: "c", Source: held("c", release)},
	}, failover.LeastBusy())

	var served []string
	var outs []<-chan string
	for range 3 {
		out, _ := g.Stream(context.Background(), "q")
		served = append(served, <-out) // committed: its stream is in flight
		outs = append(outs, out)
	}
	close(release)
	for _, out := range outs {
		for range out {
		}
	}
	slices.Sort(served)
	fmt.Println(served)
	// Output:
	// [a b c]
}

// A provider with a concurrency cap is passed over while it is at its cap
// (no attempt, and no failure), and the call goes to the next.
func ExampleProvider_maxConcurrent() {
	release := make(chan struct{})
	g := failover.New([]failover.Provider[string, string]{
		{Name: "small", Source: held("small", release), MaxConcurrent: 1},
		{Name: "big", Source: stream.FromSlice[string]([]string{"big"}, nil)},
	})

	out, errc := g.Stream(context.Background(), "q")
	fmt.Println("first call:", <-out) // small's one slot is taken

	toks, err := stream.Collect(context.Background(), g.Stream, "q")
	fmt.Println("second call:", toks, err)

	close(release)
	for range out {
	}
	fmt.Println("first call ends:", <-errc)
	// Output:
	// first call: small
	// second call: [big] <nil>
	// first call ends: <nil>
}

// A group that keeps health keeps a provider's Retry-After for every call:
// once the primary answered 429 with Retry-After: 30, the calls that follow
// go straight to the backup until the 30 seconds have passed.
func ExampleCooldown_retryAfter() {
	limited := stream.FromSlice[string, string](nil, errs.RetryAfter(errors.New("429 too many requests"), 30*time.Second))
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: limited},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}, failover.Cooldown(3, time.Minute), failover.Observe(func(e failover.Event) {
		if e.Kind == failover.Deferred {
			fmt.Println("deferred:", e.Provider, "for", e.Until.Sub(e.Time).Round(time.Second))
		}
	}))

	for call := 1; call <= 3; call++ {
		ctx, report := failover.WithReport(context.Background())
		toks, _ := stream.Collect(ctx, g.Stream, "q")
		var tried []string
		for _, a := range report.Attempts() {
			tried = append(tried, a.Provider)
		}
		fmt.Println(call, toks, "tried", tried)
	}
	// Output:
	// deferred: primary for 30s
	// 1 [ok] tried [primary backup]
	// 2 [ok] tried [backup]
	// 3 [ok] tried [backup]
}
