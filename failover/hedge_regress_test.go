package failover_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

// Bug: with hedging, a second try of a provider that already has an attempt
// in flight is never started, neither at the hedge delay nor to replace a
// failure: plan.next's idle-first scan reports "nothing left" (ok=false)
// when every provider with tries left has an attempt in flight, and never
// falls back to the plain scan; fill then sets want=n and noHedge=true for
// the rest of the call.
func TestHedgeRegressionSameProviderIsHedged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := streamtest.New[string](
			streamtest.Script[string]{Tokens: []string{"slow"}, FirstDelay: 10 * time.Second},
			streamtest.Script[string]{Tokens: []string{"fast"}, FirstDelay: time.Second},
		)
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}},
			failover.Attempts(2), failover.Hedge(time.Second))
		ctx, rep := failover.WithReport(t.Context())
		t0 := time.Now()
		got, err := drain(g.All(ctx, "req"))
		took := time.Since(t0)
		a.Wait()
		// Want: a#2 starts at 1s beside a#1 and wins at 2s with "fast".
		if len(rep.Attempts()) != 2 || took != 2*time.Second || err != nil || diff([]string{"fast"}, got) != "" {
			t.Errorf("got %q, %v after %v, %d attempts; want a#2 hedged at 1s, [fast] at 2s", got, err, took, len(rep.Attempts()))
		}
	})
}

// The same root cause after a failure: b fails at 1s and has no tries
// left; a has a try left, but it is not started (MaxInFlight 2 allows it):
// the call just waits for a#1.
func TestHedgeRegressionFailureIsReplacedBySameProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := streamtest.New[string](
			streamtest.Script[string]{Tokens: []string{"slow"}, FirstDelay: time.Hour},
			streamtest.Script[string]{Tokens: []string{"fast"}, FirstDelay: time.Second},
		)
		b := streamtest.New[string](streamtest.Script[string]{Err: errB, FirstDelay: time.Second})
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}, {Name: "b", Source: b.Source}},
			failover.Attempts(2), failover.Hedge(0), failover.MaxInFlight(2),
			failover.Classify(func(error) failover.Class { return failover.NextProvider }))
		ctx, rep := failover.WithReport(t.Context())
		t0 := time.Now()
		got, err := drain(g.All(ctx, "req"))
		took := time.Since(t0)
		a.Wait()
		b.Wait()
		// Want: b#1 fails at 1s, a#2 starts at once and wins at 2s.
		if took != 2*time.Second || err != nil || diff([]string{"fast"}, got) != "" {
			t.Errorf("got %q, %v after %v, %d attempts; want a#2 started at 1s, [fast] at 2s", got, err, took, len(rep.Attempts()))
		}
	})
}

// Bug: before the commit, an attempt's idle timeout never fires while
// another attempt in flight keeps sending tokens. The idle watch judges
// "relay has been waiting for this provider since the last tick" by a
// sequence count that waitN bumps for every ready attempt on every event of
// any attempt, so b's held metadata resets a's idle clock.
func TestHedgeRegressionIdleIsNotStarvedByAnotherAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// a: one metadata token at once, then silence.
		a := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"#a", "a0"}, Stall: true, StallAfter: 1})
		// b (the hedge, at 1ms): metadata every 5ms for 1s, then content.
		var bt []string
		for range 200 {
			bt = append(bt, "#b")
		}
		b := streamtest.New[string](streamtest.Script[string]{Tokens: append(bt, "b0"), FirstDelay: time.Millisecond, Gap: 5 * time.Millisecond})
		var aFailed time.Time // the observer runs on the goroutine that drives the call
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}, {Name: "b", Source: b.Source}},
			failover.Hedge(time.Millisecond), failover.IdleTimeout(20*time.Millisecond),
			failover.Content(isContent), failover.Observe(func(e failover.Event) {
				if e.Kind == failover.AttemptFailed && e.Provider == "a" {
					aFailed = time.Now()
				}
			}))
		ctx, rep := failover.WithReport(t.Context())
		t0 := time.Now()
		_, err := drain(g.All(ctx, "req"))
		a.Wait()
		b.Wait()
		// Want: a#1 fails with ErrIdleTimeout by 40ms (2x idle after its token).
		if at := rep.Attempts()[0]; !errors.Is(at.Err, errs.ErrIdleTimeout) || aFailed.Sub(t0) > 40*time.Millisecond {
			t.Errorf("a#1 ended with %v after %v (call: %v), want an idle timeout by 40ms", at.Err, aFailed.Sub(t0), err)
		}
	})
}

// Minor: a losing attempt whose Source call returns after the commit (here
// at once, on the cancellation) leaves relay's Source-call goroutine
// blocked on h.started until the whole call ends: after the commit
// nothing reads h.started and quit is closed only by close().
func TestHedgeRegressionLoserSourceGoroutineEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"a0"}})
		slowCall := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			select { // waiting for response headers; honours ctx
			case <-ctx.Done():
			case <-time.After(time.Hour):
			}
			return a.Source(ctx, req)
		}
		b := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"b0", "b1"}, FirstDelay: time.Second, Gap: time.Hour})
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: slowCall}, {Name: "b", Source: b.Source}}, failover.Hedge(0))
		sourceCalls := func() int {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			return strings.Count(string(buf), "(*run[...]).start.func")
		}
		out, errc := g.Stream(t.Context(), "req")
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if n := sourceCalls(); n != 1 {
			// The count below means nothing unless it finds a's.
			t.Fatalf("before the commit, %d Source-call goroutines found, want a's one", n)
		}
		<-out // b0 at 1s: a lost, its Source call returned at once
		time.Sleep(time.Minute)
		if n := sourceCalls(); n != 0 {
			t.Errorf("a minute after the commit, %d Source-call goroutine(s) of the lost hedge still alive", n)
		}
		for range out {
		}
		<-errc
		a.Wait()
		b.Wait()
	})
}

// Bug: a call whose hedge delay passed with no provider left to try spent
// the hedge budget all the same, so calls that could not hedge starved
// the ones that could.
func TestHedgeRegressionBudgetPaysOnlyForHedgesStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var bTries atomic.Int64
		slow := func(count bool) stream.Source[string, string] {
			return func(ctx context.Context, req string) (<-chan string, <-chan error) {
				if count {
					bTries.Add(1)
				}
				out, errc := make(chan string), make(chan error, 1)
				go func() {
					defer close(out)
					defer close(errc)
					select {
					case <-time.After(2 * time.Second):
						out <- req
					case <-ctx.Done():
						errc <- ctx.Err()
					}
				}()
				return out, errc
			}
		}
		g := failover.New([]failover.Provider[string, string]{
			{Name: "a", Source: slow(false)},
			{Name: "b", Source: slow(true)},
		}, failover.Hedge(100*time.Millisecond), failover.HedgeBudget(0.5))
		run := func(n int, ctx context.Context) {
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					if _, err := drain(g.All(ctx, "req")); err != nil {
						t.Errorf("call failed: %v", err)
					}
				})
			}
			wg.Wait()
		}
		// 20 calls that may not use b: their hedge delay passes with
		// nothing left to try.
		run(20, failover.Ignore(t.Context(), "b"))
		// 10 calls that may: 30 calls in the window allow 15 hedges, and
		// none has been started yet.
		run(10, t.Context())
		if n := bTries.Load(); n != 10 {
			t.Errorf("b was tried %d times, want 10: every call of the second round can hedge", n)
		}
	})
}
