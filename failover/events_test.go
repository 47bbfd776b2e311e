package failover_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

type spanKey struct{}

// TestObserveContextReachesTheProvider: what an observer puts in a call's
// and an attempt's context reaches the provider's Source, and a nested
// group's call, as a tracer's spans must.
func TestObserveContextReachesTheProvider(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// Each context an observer makes names itself after the one it
		// extends: "call 1 > attempt a#1 > call 2 > attempt x#1".
		var mu sync.Mutex
		var seen []string
		tracer := failover.ObserveContext(func(ctx context.Context, e failover.Event) context.Context {
			parent, _ := ctx.Value(spanKey{}).(string)
			switch e.Kind {
			case failover.CallStarted:
				return context.WithValue(ctx, spanKey{}, parent+"call > ")
			case failover.AttemptStarted:
				return context.WithValue(ctx, spanKey{}, fmt.Sprintf("%sattempt %s#%d > ", parent, e.Provider, e.Attempt))
			case failover.Completed:
				mu.Lock()
				seen = append(seen, "completed under "+parent)
				mu.Unlock()
			}
			return ctx
		})
		leaf := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			span, _ := ctx.Value(spanKey{}).(string)
			mu.Lock()
			seen = append(seen, "source under "+span)
			mu.Unlock()
			return streamtest.Tokens[string]("ok").Source(ctx, req)
		}
		inner := failover.New([]failover.Provider[string, string]{{Name: "x", Source: leaf}}, tracer)
		outer := failover.New([]failover.Provider[string, string]{{Name: "a", Source: inner.Stream}}, tracer, failover.Observe(func(failover.Event) {}))
		if _, err := f.collect(t.Context(), outer, "req"); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		want := []string{
			"source under call > attempt a#1 > call > attempt x#1 > ",
			"completed under call > attempt a#1 > call > attempt x#1 > ",
			"completed under call > attempt a#1 > ",
		}
		if d := diff(want, seen); d != "" {
			t.Errorf("contexts (-want +got):\n%s", d)
		}
	})
}

func TestEveryAttemptEndsWithOneEvent(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// The caller breaks away from a committed stream: its attempt
		// still ends with an event, as a tracer's span must.
		var mu sync.Mutex
		started, ended := 0, 0
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: holdUntilDone("a")}},
			failover.Observe(func(e failover.Event) {
				mu.Lock()
				defer mu.Unlock()
				switch e.Kind {
				case failover.AttemptStarted:
					started++
				case failover.AttemptFailed, failover.HedgeLost, failover.Completed:
					ended++
				}
			}))
		ctx, cancel := context.WithCancel(t.Context())
		for range f.read(ctx, g, "req") {
			break
		}
		cancel()
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if started != 1 || ended != 1 {
			t.Errorf("%d attempts started and %d end events, want one of each", started, ended)
		}
	})
}

func TestTheParentOfACallNestedInAnUnobservedGroup(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		var mu sync.Mutex
		var parents []failover.AttemptInfo
		inner := failover.New([]failover.Provider[string, string]{{Name: "x", Source: streamtest.Tokens[string]("ok").Source}},
			failover.Observe(func(e failover.Event) {
				if e.Kind == failover.CallStarted {
					mu.Lock()
					parents = append(parents, e.Parent)
					mu.Unlock()
				}
			}))
		outer := failover.New([]failover.Provider[string, string]{{Name: "tier", Source: inner.Stream}})
		if _, err := f.collect(t.Context(), outer, "req"); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if d := diff([]failover.AttemptInfo{{Provider: "tier", Number: 1}}, parents); d != "" {
			t.Errorf("CallStarted's Parent (-want +got):\n%s", d)
		}
	})
}
