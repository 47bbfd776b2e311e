package failover_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

// After two failures in a row the primary cools down: later calls try the
// backup first and the primary last, so they stop paying for it. The
// report says who was moved last.
func ExampleCooldown() {
	down := stream.FromSlice[string, string](nil, errors.New("503 service unavailable"))
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: down},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}, failover.Cooldown(2, time.Minute))

	for call := 1; call <= 3; call++ {
		ctx, report := failover.WithReport(context.Background())
		toks, _ := stream.Collect(ctx, g.Stream, "q")
		var tried []string
		for _, a := range report.Attempts() {
			tried = append(tried, a.Provider)
		}
		fmt.Println(call, toks, "tried", tried, "cooling", report.Cooling())
	}
	// Output:
	// 1 [ok] tried [primary backup] cooling []
	// 2 [ok] tried [primary backup] cooling []
	// 3 [ok] tried [backup] cooling [primary]
}

// Events are logged through log/slog: here as text without times, so that
// the output is stable.
func ExampleLogEvents() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			// Leave out what differs from run to run: times, and the
			// call's identity, which counts the process's calls.
			if a.Key == slog.TimeKey || a.Key == "first_token" || a.Key == "call" {
				return slog.Attr{}
			}
			return a
		},
	}))
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: stream.FromSlice[string, string](nil, errors.New("503"))},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}, failover.Observe(failover.LogEvents(logger)))

	toks, err := stream.Collect(context.Background(), g.Stream, "q")
	fmt.Println(toks, err)
	// Output:
	// level=DEBUG msg="relay: CallStarted"
	// level=DEBUG msg="relay: AttemptStarted" provider=primary attempt=1 hedge=false
	// level=WARN msg="relay: AttemptFailed" provider=primary attempt=1 err=503 goes_on=true
	// level=DEBUG msg="relay: AttemptStarted" provider=backup attempt=1 hedge=false
	// level=DEBUG msg="relay: FirstToken" provider=backup attempt=1
	// level=DEBUG msg="relay: Committed" provider=backup attempt=1
	// level=DEBUG msg="relay: Completed" provider=backup attempt=1 emitted=1
	// level=DEBUG msg="relay: CallDone" emitted=1
	// [ok] <nil>
}

// RoundRobin starts each call at the next provider.
func ExampleRoundRobin() {
	g := failover.New(named("a", "b", "c"), failover.RoundRobin())
	for range 4 {
		toks, _ := stream.Collect(context.Background(), g.Stream, "q")
		fmt.Print(toks[0])
	}
	fmt.Println()
	// Output: abca
}

// Weighted sends each provider a share of first places in proportion to
// its weight: here about three calls in four go to "big" first.
func ExampleWeighted() {
	ps := named("big", "small")
	ps[0].Weight, ps[1].Weight = 3, 1
	g := failover.New(ps, failover.Weighted(1))
	n := map[string]int{}
	for range 1000 {
		toks, _ := stream.Collect(context.Background(), g.Stream, "q")
		n[toks[0]]++
	}
	fmt.Println(n["big"] > 700 && n["big"] < 800)
	// Output: true
}

// ByHealth puts the provider with the best recent success first. A new
// provider counts as healthy, so the first calls try the given order; once
// "flaky" has failed twice, "steady" goes first (but for the one call in
// ten that explores).
func ExampleByHealth() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "flaky", Source: stream.FromSlice[string, string](nil, errors.New("reset"))},
		{Name: "steady", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}, failover.ByHealth(7))
	first := map[string]int{}
	for range 100 {
		ctx, report := failover.WithReport(context.Background())
		stream.Collect(ctx, g.Stream, "q")
		first[report.Attempts()[0].Provider]++
	}
	fmt.Println(first["steady"] > 80)
	// Output: true
}

// Two groups that share a Health learn from each other: a cooldown that
// one group starts, the other honours.
func ExampleNewHealth() {
	h := failover.NewHealth()
	ps := []failover.Provider[string, string]{
		{Name: "primary", Source: stream.FromSlice[string, string](nil, errors.New("503"))},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}
	chat := failover.New(ps, failover.Cooldown(1, time.Minute), failover.WithHealth(h))
	search := failover.New(ps, failover.Cooldown(1, time.Minute), failover.WithHealth(h))

	stream.Collect(context.Background(), chat.Stream, "q") // primary fails: it cools down
	ctx, report := failover.WithReport(context.Background())
	stream.Collect(ctx, search.Stream, "q")
	fmt.Println("search tried", len(report.Attempts()), "provider; cooling:", report.Cooling())
	// Output: search tried 1 provider; cooling: [primary]
}

// An observer sees every event of every call, in order within a call.
func ExampleObserve() {
	var kinds []string
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}, failover.Observe(func(e failover.Event) { kinds = append(kinds, e.Kind.String()) }))
	stream.Collect(context.Background(), g.Stream, "q")
	fmt.Println(kinds)
	// Output: [CallStarted AttemptStarted FirstToken Committed Completed CallDone]
}

// loggedHealth wraps a Health and prints every change of health it
// records: a way to export cooldowns to a metrics system.
type loggedHealth struct{ failover.Health }

func (h loggedHealth) Record(ctx context.Context, p failover.Policy, outcomes []failover.Outcome, now time.Time, changed func(failover.Change)) {
	h.Health.Record(ctx, p, outcomes, now, func(c failover.Change) {
		fmt.Printf("health: %s cooling=%v\n", c.Provider, c.Cooling)
		if changed != nil {
			changed(c)
		}
	})
}

// WithHealth gives a group a Health of the caller's: here the in-process
// one, wrapped to print each change it records.
func ExampleWithHealth() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: stream.FromSlice[string, string](nil, errors.New("503"))},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}, failover.Cooldown(1, time.Minute), failover.WithHealth(loggedHealth{failover.NewHealth()}))

	toks, err := stream.Collect(context.Background(), g.Stream, "q")
	fmt.Println(toks, err)
	// Output:
	// health: primary cooling=true
	// [ok] <nil>
}
