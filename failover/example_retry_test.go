package failover_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

// A provider that fails its first try and answers its second: with
// Attempts(2) and a short Backoff the call stays with it rather than
// moving on.
func ExampleAttempts() {
	flaky := streamtest.New[string](
		streamtest.Script[string]{Err: errors.New("connection reset")},
		streamtest.Script[string]{Tokens: []string{"second try"}},
	)
	g := failover.New([]failover.Provider[string, string]{
		{Name: "flaky", Source: flaky.Source},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"backup"}, nil)},
	}, failover.Attempts(2), failover.Backoff(time.Millisecond, 10*time.Millisecond))

	ctx, report := failover.WithReport(context.Background())
	toks, err := stream.Collect(ctx, g.Stream, "q")
	flaky.Wait()
	fmt.Println(toks, err, "served by", report.Served(), "after", len(report.Attempts()), "attempts")
	// Output: [second try] <nil> served by flaky after 2 attempts
}

// A seeded Shuffle spreads first tries over the providers; calls made one
// at a time get the same orders for the same seed.
func ExampleShuffle() {
	g := failover.New(named("a", "b", "c"), failover.Shuffle(42))
	n := map[string]int{}
	for range 300 {
		toks, _ := stream.Collect(context.Background(), g.Stream, "q")
		n[toks[0]]++
	}
	fmt.Println(n["a"] > 50, n["b"] > 50, n["c"] > 50)
	// Output: true true true
}

// With a RetryBudget that allows one extra attempt a minute, the first
// call fails over and the second, finding the budget spent, ends at once
// rather than add load during an outage.
func ExampleRetryBudget() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: stream.FromSlice[string, string](nil, errors.New("503"))},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}, failover.RetryBudget(0, 1, time.Minute))

	for call := 1; call <= 2; call++ {
		toks, err := stream.Collect(context.Background(), g.Stream, "q")
		fmt.Println(call, toks, errors.Is(err, errs.ErrBudget))
	}
	// Output:
	// 1 [ok] false
	// 2 [] true
}

// A provider that asks to be left alone for ten minutes is not retried in
// the call: past MaxRetryAfter the call moves on at once.
func ExampleMaxRetryAfter() {
	limited := stream.FromSlice[string, string](nil, errs.RetryAfter(errors.New("429 too many requests"), 10*time.Minute))
	g := failover.New([]failover.Provider[string, string]{
		{Name: "limited", Source: limited},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}, failover.Attempts(3), failover.MaxRetryAfter(time.Minute))

	ctx, report := failover.WithReport(context.Background())
	toks, err := stream.Collect(ctx, g.Stream, "q")
	var tried []string
	for _, a := range report.Attempts() {
		tried = append(tried, a.Provider)
	}
	fmt.Println(toks, err, tried)
	// Output: [ok] <nil> [limited backup]
}

// A stream that stalls after its first token is ended by the idle
// timeout: it had committed, so the caller keeps what it has and learns
// why the rest never came.
func ExampleIdleTimeout() {
	stalls := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"The"}, Stall: true, StallAfter: 1})
	g := failover.New([]failover.Provider[string, string]{
		{Name: "stalls", Source: stalls.Source},
	}, failover.IdleTimeout(20*time.Millisecond))

	toks, err := stream.Collect(context.Background(), g.Stream, "q")
	stalls.Wait()
	fmt.Println(toks, errors.Is(err, errs.ErrIdleTimeout))
	// The message says how long the provider was silent: 20ms, or a little
	// more on a busy machine.
	var ce *errs.CommittedError
	if errors.As(err, &ce) {
		fmt.Println(ce.Provider, "failed after", ce.Emitted, "token")
	}
	// Output:
	// [The] true
	// stalls failed after 1 token
}

// MaxCallTime bounds a whole call, however steadily its provider streams.
func ExampleMaxCallTime() {
	endless := stream.Generate(func(ctx context.Context, _ string, yield func(string) bool) error {
		if !yield("start") {
			return ctx.Err()
		}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if !yield("more") {
					return ctx.Err()
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
	g := failover.New([]failover.Provider[string, string]{{Name: "endless", Source: endless}},
		failover.MaxCallTime(500*time.Millisecond))

	toks, err := stream.Collect(context.Background(), g.Stream, "q")
	var ce *errs.CommittedError
	fmt.Println(len(toks) > 0, errors.As(err, &ce), errors.Is(err, errs.ErrCallTimeout))
	// Output: true true true
}

// A Report describes one call: who served it and every attempt, failed or
// not. Read it once the stream has ended.
func ExampleWithReport() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: stream.FromSlice[string, string](nil, errors.New("503"))},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	})
	ctx, report := failover.WithReport(context.Background())
	stream.Collect(ctx, g.Stream, "q")
	for _, a := range report.Attempts() {
		fmt.Printf("%s try %d: committed=%v err=%v\n", a.Provider, a.Number, a.Committed, a.Err)
	}
	fmt.Println("served by", report.Served())
	// Output:
	// primary try 1: committed=false err=503
	// backup try 1: committed=true err=<nil>
	// served by backup
}
