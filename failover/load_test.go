package failover_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

// long is a provider whose every call streams its name, then one more
// token a minute later, and ends.
func long(name string) *streamtest.Provider[string, string] {
	return streamtest.New[string](script{Tokens: []string{name, "."}, Gap: time.Minute})
}

func TestLeastBusySpreadsLongStreams(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := []*streamtest.Provider[string, string]{long("a"), long("b"), long("c")}
		g := failover.New(providers(fs), failover.LeastBusy())
		// Thirty calls, each starting once the one before has committed:
		// every call goes to a provider with the fewest streams in flight.
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				if _, err := f.collect(t.Context(), g, "req"); err != nil {
					t.Error(err)
				}
			})
			synctest.Wait()
		}
		if d := diff([]int{10, 10, 10}, calls(fs)); d != "" {
			t.Errorf("calls (-want +got):\n%s", d)
		}
		wg.Wait()
		waitAll(fs)
	})
}

func TestLeastBusyBreaksTiesAtRandom(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		g := failover.New(named("a", "b", "c"), failover.LeastBusy())
		// One call at a time: every provider is idle, so the order is a
		// draw; each goes first about a third of the time.
		n := 3000
		got := firsts(t, f, g, n)
		for _, name := range []string{"a", "b", "c"} {
			mean, sd := float64(n)/3, math.Sqrt(float64(n)*(1.0/3)*(2.0/3))
			if x := float64(got[name]); math.Abs(x-mean) > 5*sd {
				t.Errorf("%s went first %v times of %d, want about %.0f", name, x, n, mean)
			}
		}
	})
}

func TestLeastBusyKeepsCoolingProvidersLast(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ss, ps := switchables("a", "b")
		g := failover.New(ps, failover.LeastBusy(), failover.Cooldown(1, time.Minute))
		ss[0].set(errA, 0)
		for ss[0].calls.Load() == 0 {
			serve(t, f, g) // until a has failed once and cools down
		}
		ss[0].set(nil, 0)
		for range 20 {
			if who, rep := serve(t, f, g); who != "b" || tried(rep) != "b" {
				t.Fatalf("%s served after %q, want b: a cools down and goes last", who, tried(rep))
			}
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

// limited returns providers a (MaxConcurrent n, streaming for a minute)
// and b, and what they did.
func limited(n int) (*streamtest.Provider[string, string], *streamtest.Provider[string, string], []failover.Provider[string, string]) {
	a, b := long("a"), streamtest.Tokens[string]("b")
	return a, b, []failover.Provider[string, string]{
		{Name: "a", Source: a.Source, MaxConcurrent: n},
		{Name: "b", Source: b.Source},
	}
}

func TestMaxConcurrentPassesOverAProviderAtItsLimit(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		a, b, ps := limited(1)
		var atLimit atomic.Int32
		g := failover.New(ps, failover.Cooldown(1, time.Minute), failover.Observe(func(e failover.Event) {
			if e.Kind == failover.AtLimit && e.Provider == "a" {
				atLimit.Add(1)
			}
		}))
		done := make(chan struct{})
		go func() {
			defer close(done)
			if got, err := f.collect(t.Context(), g, "req"); err != nil || diff([]string{"a", "."}, got) != "" {
				t.Errorf("call 1 got %q, %v", got, err)
			}
		}()
		synctest.Wait() // call 1 streams from a
		if who, rep := serve(t, f, g); who != "b" || tried(rep) != "b" || len(rep.Cooling()) != 0 {
			t.Errorf("call 2: %s served after %q (cooling %q), want b alone and a passed over", who, tried(rep), rep.Cooling())
		}
		if atLimit.Load() != 1 {
			t.Errorf("%d AtLimit events, want one", atLimit.Load())
		}
		<-done
		// Passed over is no failure: a serves the next call.
		if got, err := f.collect(t.Context(), g, "req"); err != nil || diff([]string{"a", "."}, got) != "" {
			t.Errorf("after call 1 ended: %q, %v; want a", got, err)
		}
		a.Wait()
		b.Wait()
	})
}

func TestMaxConcurrentWaitsForASlotInArrivalOrder(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// a alone, one at a time: calls queue for its slot and get it in
		// the order they came, each as the one before it ends.
		var order []string
		var mu sync.Mutex
		src := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			mu.Lock()
			order = append(order, req)
			mu.Unlock()
			return long("a").Source(ctx, req)
		}
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: src, MaxConcurrent: 1}})
		start := time.Now()
		var wg sync.WaitGroup
		for _, req := range []string{"1", "2", "3", "4"} {
			wg.Go(func() {
				if _, err := f.collect(t.Context(), g, req); err != nil {
					t.Errorf("call %s: %v", req, err)
				}
			})
			synctest.Wait()
		}
		wg.Wait()
		if d := diff([]string{"1", "2", "3", "4"}, order); d != "" {
			t.Errorf("the order the calls got the slot (-want +got):\n%s", d)
		}
		if took := time.Since(start); took != 4*time.Minute {
			t.Errorf("four one-minute streams one at a time took %v, want 4m", took)
		}
	})
}

func TestMaxConcurrentWaitsWithinTheCallsLimits(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		a := long("a")
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source, MaxConcurrent: 1}},
			failover.CommitTimeout(10*time.Second))
		go f.collect(t.Context(), g, "req")
		synctest.Wait()
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if _, err := f.collect(ctx, g, "req"); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 5*time.Second {
			t.Errorf("a call whose deadline passed while it waited: %v after %v, want the deadline at 5s", err, time.Since(start))
		}
		if _, err := f.collect(t.Context(), g, "req"); err == nil || time.Since(start) != 15*time.Second {
			t.Errorf("a call whose commit timeout passed while it waited: %v at %v, want the commit timeout at 15s", err, time.Since(start))
		}
		synctest.Wait()
		if a.Calls() != 1 {
			t.Errorf("a was called %d times, want once: the waiting calls never got its slot", a.Calls())
		}
		a.Wait()
	})
}

func TestAFreedSlotWakesOneCall(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		a := long("a")
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source, MaxConcurrent: 1}})
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() { f.collect(t.Context(), g, "req") })
		}
		synctest.Wait()
		if a.Calls() != 1 {
			t.Fatalf("%d calls of a at once, want one", a.Calls())
		}
		time.Sleep(time.Minute) // the first stream ends: one waiting call gets the slot
		synctest.Wait()
		if a.Calls() != 2 {
			t.Errorf("after one slot came free a was called %d times in all, want 2", a.Calls())
		}
		wg.Wait()
		a.Wait()
	})
}

func TestASlotFreesWhenItsAttemptEndsHoweverItEnds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// hold makes a call that takes a's one slot and then lets go of
		// it, by the end it tests.
		hold func(t *testing.T, f form, g *failover.Group[string, string])
		opts []failover.Option
	}{
		{"the caller breaks out", func(t *testing.T, f form, g *failover.Group[string, string]) {
			for range f.read(t.Context(), g, "req") {
				break
			}
		}, nil},
		{"a lost hedge", func(t *testing.T, f form, g *failover.Group[string, string]) {
			if _, err := f.collect(t.Context(), g, "req"); err != nil {
				t.Fatal(err)
			}
		}, []failover.Option{failover.Hedge(time.Second)}},
		{"a failure before the commit", func(t *testing.T, f form, g *failover.Group[string, string]) {
			f.collect(t.Context(), g, "fail")
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachForm(t, func(t *testing.T, f form) {
				// a streams its first token after two seconds; "fail"
				// makes it fail at once. b answers after three.
				var aCalls atomic.Int32
				a := func(ctx context.Context, req string) (<-chan string, <-chan error) {
					aCalls.Add(1)
					if req == "fail" {
						return streamtest.Fails[string, string](errA).Source(ctx, req)
					}
					return streamtest.New[string](script{Tokens: []string{"a"}, FirstDelay: 2 * time.Second}).Source(ctx, req)
				}
				b := streamtest.New[string](script{Tokens: []string{"b"}, FirstDelay: time.Second})
				g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a, MaxConcurrent: 1}, {Name: "b", Source: b.Source}}, tc.opts...)
				tc.hold(t, f, g)
				synctest.Wait()
				ctx, rep := failover.WithReport(t.Context())
				if _, err := f.collect(ctx, g, "req"); err != nil || tried(rep)[:1] != "a" {
					t.Errorf("the next call: %v after %q, want a's slot free again", err, tried(rep))
				}
				synctest.Wait()
				b.Wait()
			})
		})
	}
}

// holdUntilDone streams its name, then (unless req is "quick") holds its
// stream open until ctx ends.
func holdUntilDone(name string) func(ctx context.Context, req string) (<-chan string, <-chan error) {
	return func(ctx context.Context, req string) (<-chan string, <-chan error) {
		out, errc := make(chan string), make(chan error, 1)
		go func() {
			defer close(out)
			defer close(errc)
			select {
			case out <- name:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
			if req == "quick" {
				return
			}
			<-ctx.Done()
			errc <- ctx.Err()
		}()
		return out, errc
	}
}

func TestASlotThatComesAsTheCallEndsIsGivenBack(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// The waiting call is handed a's slot in the instant its own
		// context ends: the slot goes back, and the next call gets it.
		holderCtx, cancelHolder := context.WithCancel(t.Context())
		waiterCtx, cancelWaiter := context.WithCancel(t.Context())
		holderDone := make(chan struct{})
		var once sync.Once
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: holdUntilDone("a"), MaxConcurrent: 1}},
			failover.Observe(func(e failover.Event) {
				if e.Kind == failover.AtLimit {
					once.Do(func() { cancelHolder(); <-holderDone; cancelWaiter() })
				}
			}))
		go func() { defer close(holderDone); f.collect(holderCtx, g, "hold") }()
		time.Sleep(time.Second)
		if _, err := f.collect(waiterCtx, g, "wait"); err == nil {
			t.Fatal("the waiting call succeeded, want it cancelled")
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		if got, err := f.collect(ctx, g, "quick"); err != nil {
			t.Errorf("a call once nothing is in flight: %q, %v; want a's slot free", got, err)
		}
	})
}

func TestACallWaitingOutAHintTakesASlotThatFrees(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// b asked for 30s; a is at its cap until its stream ends at 1s: the
		// call starts a then, rather than wait out b's hint.
		var bCalls atomic.Int32
		b := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			if bCalls.Add(1) == 1 {
				return streamtest.Fails[string, string](errs.RetryAfter(errB, 30*time.Second)).Source(ctx, req)
			}
			return streamtest.Tokens[string]("b").Source(ctx, req)
		}
		a := streamtest.New[string](script{Tokens: []string{"a", "."}, Gap: time.Second}, script{Tokens: []string{"a"}})
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source, MaxConcurrent: 1}, {Name: "b", Source: b}},
			failover.Cooldown(3, time.Minute))
		f.collect(failover.Ignore(t.Context(), "a"), g, "req") // b asks for 30s
		done := make(chan struct{})
		go func() { defer close(done); f.collect(t.Context(), g, "req") }() // holds a's slot for 1s
		time.Sleep(time.Millisecond)
		start := time.Now()
		got, err := f.collect(t.Context(), g, "req")
		if took := time.Since(start); err != nil || diff([]string{"a"}, got) != "" || took != time.Second-time.Millisecond {
			t.Errorf("got %q, %v after %v; want a as its slot frees", got, err, took)
		}
		<-done
		a.Wait()
	})
}

func TestAPanickingObserverLeavesNoSlotTaken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// An observer's panic is not recovered; a caller of the pull form
		// that recovers it finds the provider's slot free again.
		boom := true
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: holdUntilDone("a"), MaxConcurrent: 1}},
			failover.Observe(func(e failover.Event) {
				if e.Kind == failover.AttemptStarted && boom {
					boom = false
					panic("observer")
				}
			}))
		func() {
			defer func() { recover() }()
			drain(g.All(t.Context(), "quick"))
		}()
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		if got, err := drain(g.All(ctx, "quick")); err != nil {
			t.Errorf("after a recovered panic: %q, %v; want a's slot free", got, err)
		}
	})
}
