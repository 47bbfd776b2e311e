package failover_test

import (
	"context"
	"errors"
	"fmt"
	"math"
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

// switchable is a provider whose behaviour a test changes between calls:
// it fails with err while err is set, and otherwise streams its name.
type switchable struct {
	name  string
	mu    sync.Mutex
	err   error
	delay time.Duration
	calls atomic.Int64
	fakes []*streamtest.Provider[string, string]
}

func (s *switchable) set(err error, delay time.Duration) {
	s.mu.Lock()
	s.err, s.delay = err, delay
	s.mu.Unlock()
}

func (s *switchable) Source(ctx context.Context, req string) (<-chan string, <-chan error) {
	s.calls.Add(1)
	s.mu.Lock()
	sc := script{Tokens: []string{s.name}, Err: s.err, FirstDelay: s.delay}
	if s.err != nil {
		sc.Tokens = nil
	}
	p := streamtest.New[string](sc)
	s.fakes = append(s.fakes, p)
	s.mu.Unlock()
	return p.Source(ctx, req)
}

func (s *switchable) wait() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.fakes {
		p.Wait()
	}
}

func switchables(names ...string) ([]*switchable, []failover.Provider[string, string]) {
	var ss []*switchable
	var ps []failover.Provider[string, string]
	for _, n := range names {
		s := &switchable{name: n}
		ss = append(ss, s)
		ps = append(ps, failover.Provider[string, string]{Name: n, Source: s.Source})
	}
	return ss, ps
}

// serve makes one call and returns who served it and the report.
func serve(t *testing.T, f form, g *failover.Group[string, string]) (string, *failover.Report) {
	t.Helper()
	ctx, rep := failover.WithReport(t.Context())
	got, err := f.collect(ctx, g, "req")
	if err != nil || len(got) != 1 {
		t.Fatalf("got %q, %v", got, err)
	}
	return got[0], rep
}

// tried lists the providers a report shows attempts of, in order.
func tried(rep *failover.Report) string {
	var b strings.Builder
	for _, a := range rep.Attempts() {
		b.WriteString(a.Provider)
	}
	return b.String()
}

func TestCooldownStartsAfterExactlyFailuresAndDoubles(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ss, ps := switchables("a", "b")
		var events []string
		var mu sync.Mutex
		g := failover.New(ps, failover.Cooldown(3, 10*time.Second), failover.Observe(func(e failover.Event) {
			if e.Kind == failover.CooldownStarted || e.Kind == failover.Recovered || e.Kind == failover.Probe {
				mu.Lock()
				events = append(events, fmt.Sprintf("%v %s", e.Kind, e.Provider))
				mu.Unlock()
			}
		}))
		ss[0].set(errA, 0)
		for i := range 3 {
			if _, rep := serve(t, f, g); tried(rep) != "ab" {
				t.Fatalf("call %d tried %q, want a then b", i+1, tried(rep))
			}
		}
		// Three failures in a row: a cools down and goes last.
		_, rep := serve(t, f, g)
		if tried(rep) != "b" || diff([]string{"a"}, rep.Cooling()) != "" {
			t.Errorf("after 3 failures a call tried %q with %q cooling; want b alone and a cooling", tried(rep), rep.Cooling())
		}
		time.Sleep(10*time.Second - time.Millisecond)
		if _, rep := serve(t, f, g); tried(rep) != "b" {
			t.Errorf("just before the cooldown ended a call tried %q, want b alone", tried(rep))
		}
		// The cooldown ended: one call probes a, which fails again, so it
		// cools down for twice as long.
		time.Sleep(time.Millisecond)
		if _, rep := serve(t, f, g); tried(rep) != "ab" {
			t.Errorf("the probe call tried %q, want a then b", tried(rep))
		}
		time.Sleep(20*time.Second - time.Millisecond)
		if _, rep := serve(t, f, g); tried(rep) != "b" {
			t.Errorf("during the doubled cooldown a call tried %q, want b alone", tried(rep))
		}
		time.Sleep(time.Millisecond)
		// Now a is back: the probe commits and restores it.
		ss[0].set(nil, 0)
		if who, rep := serve(t, f, g); who != "a" || tried(rep) != "a" {
			t.Errorf("the second probe served %s after %q, want a", who, tried(rep))
		}
		if who, _ := serve(t, f, g); who != "a" {
			t.Errorf("after the recovery %s served, want a", who)
		}
		want := []string{"CooldownStarted a", "Probe a", "CooldownStarted a", "Probe a", "Recovered a"}
		mu.Lock()
		defer mu.Unlock()
		if d := diff(want, events); d != "" {
			t.Errorf("health events (-want +got):\n%s", d)
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestOneProbeUnderConcurrentCalls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ss, ps := switchables("a", "b")
		g := failover.New(ps, failover.Cooldown(1, time.Minute))
		ss[0].set(errA, 0)
		if _, err := drain(g.All(t.Context(), "req")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		// a answers again, slowly, so that every call starts while the
		// probe is in flight.
		ss[0].set(nil, time.Second)
		before := ss[0].calls.Load()
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() {
				if _, err := drain(g.All(t.Context(), "req")); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := ss[0].calls.Load() - before; n != 1 {
			t.Errorf("a was tried by %d of 1,000 concurrent calls after its cooldown, want exactly one probe", n)
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestWhatDoesNotCountAsAFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, f form, g *failover.Group[string, string], a *switchable)
		opts []failover.Option
	}{
		{"the caller's cancellation", func(t *testing.T, f form, g *failover.Group[string, string], a *switchable) {
			a.set(nil, time.Hour)
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			if _, err := f.collect(ctx, g, "req"); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v", err)
			}
		}, nil},
		{"a lost hedge", func(t *testing.T, f form, g *failover.Group[string, string], a *switchable) {
			a.set(nil, time.Hour)
			if who, _ := serve(t, f, g); who != "b" {
				t.Fatalf("%s served, want b's hedge", who)
			}
		}, []failover.Option{failover.Hedge(time.Second)}},
		{"a Permanent error", func(t *testing.T, f form, g *failover.Group[string, string], a *switchable) {
			a.set(errs.Permanent(errA), 0)
			if _, err := f.collect(t.Context(), g, "req"); !errs.IsPermanent(err) {
				t.Fatalf("err = %v", err)
			}
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) {
				ss, ps := switchables("a", "b")
				g := failover.New(ps, append(tc.opts, failover.Cooldown(2, time.Minute))...)
				for range 5 {
					tc.run(t, f, g, ss[0])
				}
				ss[0].set(nil, 0)
				if who, rep := serve(t, f, g); who != "a" || len(rep.Cooling()) != 0 {
					t.Errorf("%s served with %q cooling, want a, never cooled down", who, rep.Cooling())
				}
				for _, s := range ss {
					s.wait()
				}
			})
		})
	}
}

func TestLongRetryAfterCoolsDown(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ss, ps := switchables("a", "b")
		g := failover.New(ps, failover.Cooldown(5, time.Second), failover.MaxRetryAfter(time.Minute))
		ss[0].set(errs.RetryAfter(errA, 5*time.Minute), 0)
		if who, rep := serve(t, f, g); who != "b" || tried(rep) != "ab" {
			t.Fatalf("%s served after %q", who, tried(rep))
		}
		ss[0].set(nil, 0)
		time.Sleep(5*time.Minute - time.Second)
		if who, rep := serve(t, f, g); who != "b" || tried(rep) != "b" {
			t.Errorf("within the hinted 5 minutes %s served after %q, want b alone", who, tried(rep))
		}
		time.Sleep(time.Second)
		if who, _ := serve(t, f, g); who != "a" {
			t.Errorf("after the hint %s served, want a", who)
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestEveryoneCoolingStillServes(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ss, ps := switchables("a", "b")
		g := failover.New(ps, failover.Cooldown(1, time.Hour))
		ss[0].set(errA, 0)
		ss[1].set(errB, 0)
		if _, err := f.collect(t.Context(), g, "req"); err == nil {
			t.Fatal("want an error")
		}
		ss[1].set(nil, 0)
		who, rep := serve(t, f, g)
		if who != "b" || tried(rep) != "ab" || diff([]string{"a", "b"}, rep.Cooling()) != "" {
			t.Errorf("%s served after %q with %q cooling; want both tried, in order, and b to serve", who, tried(rep), rep.Cooling())
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestCommittedFailureCountsForHealth(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes([]script{{Tokens: []string{"x"}, Err: errA}}, toks("p"))
		g := failover.New(providers(fs), failover.Cooldown(2, time.Minute))
		for range 2 {
			if _, err := f.collect(t.Context(), g, "req"); err == nil {
				t.Fatal("want a committed failure")
			}
		}
		got, err := f.collect(t.Context(), g, "req")
		if err != nil || diff([]string{"p"}, got) != "" {
			t.Errorf("got %q, %v; want b first, a cooling after two committed failures", got, err)
		}
		waitAll(fs)
	})
}

// TestAProbeThatCommitsRestoresThroughAGroup: the probe of a cooling
// provider commits and then fails mid-stream. The provider is restored
// (a Recovered event) and its failure is the first of a new run, so the
// next call tries it first again; a second failure cools it down anew.
func TestAProbeThatCommitsRestoresThroughAGroup(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes([]script{{Tokens: []string{"x"}, Err: errA}}, toks("p"))
		var mu sync.Mutex
		var events []string
		g := failover.New(providers(fs), failover.Cooldown(2, time.Minute), failover.Observe(func(e failover.Event) {
			if e.Kind == failover.CooldownStarted || e.Kind == failover.Recovered || e.Kind == failover.Probe {
				mu.Lock()
				events = append(events, fmt.Sprintf("%v %s", e.Kind, e.Provider))
				mu.Unlock()
			}
		}))
		call := func() string {
			t.Helper()
			ctx, rep := failover.WithReport(t.Context())
			f.collect(ctx, g, "req")
			return tried(rep)
		}
		call()
		call() // two committed failures: a cools down
		if got := call(); got != "b" {
			t.Fatalf("during the cooldown a call tried %q, want b alone", got)
		}
		time.Sleep(time.Minute)
		if got := call(); got != "a" {
			t.Errorf("the probe call tried %q, want a, which commits and fails", got)
		}
		if got := call(); got != "a" {
			t.Errorf("after the committed probe a call tried %q, want a first again", got)
		}
		if got := call(); got != "b" {
			t.Errorf("after a second failure a call tried %q, want b alone", got)
		}
		want := []string{"CooldownStarted a", "Probe a", "Recovered a", "CooldownStarted a"}
		mu.Lock()
		defer mu.Unlock()
		if d := diff(want, events); d != "" {
			t.Errorf("health events (-want +got):\n%s", d)
		}
		waitAll(fs)
	})
}

func TestHealthSharedBetweenGroups(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		h := failover.NewHealth()
		ss, ps := switchables("a", "b")
		one := failover.New(ps, failover.Cooldown(1, time.Minute), failover.WithHealth(h))
		two := failover.New(ps, failover.Cooldown(1, time.Minute), failover.WithHealth(h))
		ss[0].set(errA, 0)
		serve(t, f, one)
		ss[0].set(nil, 0)
		if who, rep := serve(t, f, two); who != "b" || tried(rep) != "b" {
			t.Errorf("the second group: %s served after %q, want b alone: a cools down for both", who, tried(rep))
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestByHealthMovesTrafficAwayAndBack(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ss, ps := switchables("a", "b")
		ss[0].set(nil, 10*time.Millisecond)
		ss[1].set(nil, 50*time.Millisecond)
		g := failover.New(ps, failover.ByHealth(3))
		count := func(n int) map[string]int {
			out := map[string]int{}
			for range n {
				ctx, rep := failover.WithReport(t.Context())
				if _, err := f.collect(ctx, g, "req"); err != nil {
					t.Fatal(err)
				}
				out[rep.Attempts()[0].Provider]++
			}
			return out
		}
		if c := count(100); c["a"] < 80 {
			t.Errorf("with both healthy, a (5x faster) went first %d of 100 times", c["a"])
		}
		ss[0].set(errA, 10*time.Millisecond)
		firstB := -1
		for i := range 10 {
			ctx, rep := failover.WithReport(t.Context())
			if _, err := f.collect(ctx, g, "req"); err != nil {
				t.Fatal(err)
			}
			if rep.Attempts()[0].Provider == "b" && firstB < 0 {
				firstB = i
			}
		}
		if firstB < 0 || firstB > 4 {
			t.Errorf("a failing provider still went first for %d calls, want traffic to move within a few", firstB)
		}
		if c := count(100); c["a"] > 25 {
			t.Errorf("while a fails it went first %d of 100 times, want only exploration", c["a"])
		}
		ss[0].set(nil, 10*time.Millisecond)
		count(200)
		if c := count(100); c["a"] < 80 {
			t.Errorf("after a recovered it went first %d of 100 times, want most", c["a"])
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

// TestEventsInOrder runs 1,000 concurrent calls of four kinds (success,
// failover, committed failure, cancellation) and checks each call's events
// against the sequence its kind must produce.
func TestEventsInOrder(t *testing.T) {
	t.Parallel()
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { eventsInOrder(t, f) })
		})
	}
}

func eventsInOrder(t *testing.T, f form) {
	var mu sync.Mutex
	byCall := map[uint64][]string{}
	kinds := []struct {
		name    string
		scripts [][]script
		cancel  bool
		want    string
	}{
		{"success", [][]script{toks("x")}, false,
			"CallStarted, AttemptStarted a1, FirstToken a1, Committed a1, Completed a1, CallDone"},
		{"failover", [][]script{fails(errA), toks("p")}, false,
			"CallStarted, AttemptStarted a1, AttemptFailed a1 on, AttemptStarted b1, FirstToken b1, Committed b1, Completed b1, CallDone"},
		{"every attempt fails", [][]script{fails(errA), fails(errB)}, false,
			"CallStarted, AttemptStarted a1, AttemptFailed a1 on, AttemptStarted b1, AttemptFailed b1, CallDone err"},
		{"committed failure", [][]script{{{Tokens: []string{"x"}, Err: errA}}, toks("p")}, false,
			"CallStarted, AttemptStarted a1, FirstToken a1, Committed a1, AttemptFailed a1, CallDone err"},
		{"cancellation", [][]script{{{Tokens: []string{"x"}, FirstDelay: time.Hour}}}, true,
			"CallStarted, AttemptStarted a1, AttemptFailed a1, CallDone err"},
	}
	groups := make([]*failover.Group[string, string], len(kinds))
	var all []*streamtest.Provider[string, string]
	for k, kind := range kinds {
		fs := fakes(kind.scripts...)
		all = append(all, fs...)
		groups[k] = failover.New(providers(fs), failover.Observe(func(e failover.Event) {
			s := e.Kind.String()
			if e.Provider != "" {
				s += fmt.Sprintf(" %s%d", e.Provider, e.Attempt)
			}
			if e.Kind == failover.AttemptFailed && e.GoesOn {
				s += " on"
			}
			if e.Kind == failover.CallDone && e.Err != nil {
				s += " err"
			}
			mu.Lock()
			byCall[uint64(k)<<32|e.Call] = append(byCall[uint64(k)<<32|e.Call], s)
			mu.Unlock()
		}))
	}
	var wg sync.WaitGroup
	for i := range 1000 {
		k := i % len(kinds)
		wg.Go(func() {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if kinds[k].cancel {
				time.AfterFunc(time.Second, cancel)
			}
			f.collect(ctx, groups[k], "req")
		})
	}
	wg.Wait()
	waitAll(all)
	mu.Lock()
	defer mu.Unlock()
	if len(byCall) != 1000 {
		t.Errorf("events of %d calls, want 1,000", len(byCall))
	}
	for key, evs := range byCall {
		if got, want := strings.Join(evs, ", "), kinds[key>>32].want; got != want {
			t.Errorf("%s call %d: events\n  %s\nwant\n  %s", kinds[key>>32].name, key&(1<<32-1), got, want)
		}
	}
}

func TestHealthOptionsPanicOnMisuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Cooldown after zero failures", func() { failover.Cooldown(0, time.Second) }},
		{"a zero cooldown", func() { failover.Cooldown(1, 0) }},
		{"a nil Health", func() { failover.WithHealth(nil) }},
		{"a nil observer", func() { failover.Observe(nil) }},
		{"a nil logger", func() { failover.LogEvents(nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "failover:") {
					t.Errorf("panic %q, want one starting with failover:", s)
				}
			}()
			tc.f()
		})
	}
}

// TestHugeRetryAfterCoolsDown: a hint of centuries (what sse.ParseRetryAfter
// gives for a date in year 9999) cools the provider down rather than
// overflowing into no cooldown at all.
func TestHugeRetryAfterCoolsDown(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		huge := streamtest.Fails[string, string](errs.RetryAfter(errA, time.Duration(math.MaxInt64)))
		ok := streamtest.Tokens[string]("b")
		g := failover.New([]failover.Provider[string, string]{
			{Name: "a", Source: huge.Source},
			{Name: "b", Source: ok.Source},
		}, failover.Cooldown(5, time.Second))
		for range 3 {
			if _, err := stream.Collect(t.Context(), g.Stream, "r"); err != nil {
				t.Fatal(err)
			}
		}
		if n := huge.Calls(); n != 1 {
			t.Errorf("a, which asked for a wait of centuries, was called %d times in 3 calls, want 1", n)
		}
		huge.Wait()
		ok.Wait()
	})
}

func TestAHedgeNeverStartsACoolingProvider(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ss, ps := switchables("a", "b")
		g := failover.New(ps, failover.Cooldown(1, time.Minute), failover.Hedge(10*time.Millisecond))
		ss[0].set(errA, 0)
		if who, _ := serve(t, f, g); who != "b" {
			t.Fatalf("%s served, want b while a fails", who)
		}
		// While a cools down, b is slower than the hedge delay: no call
		// hedges onto a.
		ss[1].set(nil, 50*time.Millisecond)
		if who, rep := serve(t, f, g); who != "b" || tried(rep) != "b" {
			t.Errorf("during the cooldown %s served after %q, want b alone", who, tried(rep))
		}
		time.Sleep(time.Minute)
		// The cooldown ended; a answers again, slowly, so that every call
		// starts while the probe is in flight.
		ss[0].set(nil, time.Second)
		before := ss[0].calls.Load()
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() {
				if _, err := f.collect(t.Context(), g, "req"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := ss[0].calls.Load() - before; n != 1 {
			t.Errorf("a was tried by %d of 1,000 concurrent hedged calls after its cooldown, want exactly one probe", n)
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestACallWhoseOthersFailedStillTriesACoolingProvider(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ss, ps := switchables("a", "b")
		g := failover.New(ps, failover.Cooldown(1, time.Minute), failover.Hedge(10*time.Millisecond))
		ss[0].set(errA, 0)
		serve(t, f, g) // a cools down
		ss[0].set(nil, 0)
		ss[1].set(errB, 50*time.Millisecond)
		if who, rep := serve(t, f, g); who != "a" || tried(rep) != "ba" {
			t.Errorf("%s served after %q, want a after b failed", who, tried(rep))
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestAProviderHungUntilTheGroupsLimitCoolsDown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		limit failover.Option
		cause error
	}{
		{"CommitTimeout", failover.CommitTimeout(time.Second), errs.ErrCommitTimeout},
		{"MaxCallTime", failover.MaxCallTime(time.Second), errs.ErrCallTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachForm(t, func(t *testing.T, f form) {
				ss, ps := switchables("a", "b")
				g := failover.New(ps, failover.Cooldown(1, time.Minute), tc.limit)
				ss[0].set(nil, time.Hour) // a hangs
				if _, err := f.collect(t.Context(), g, "req"); !errors.Is(err, tc.cause) {
					t.Fatalf("err = %v, want %v", err, tc.cause)
				}
				ss[0].set(nil, 0)
				if who, rep := serve(t, f, g); who != "b" || tried(rep) != "b" {
					t.Errorf("after a hung past the group's limit, %s served after %q, want b alone: a cools down", who, tried(rep))
				}
				for _, s := range ss {
					s.wait()
				}
			})
		})
	}
}

func TestTheCallersCancellationDoesNotCoolAProviderDown(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ss, ps := switchables("a", "b")
		g := failover.New(ps, failover.Cooldown(1, time.Minute), failover.CommitTimeout(time.Hour))
		ss[0].set(nil, time.Hour)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := f.collect(ctx, g, "req"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		ss[0].set(nil, 0)
		if who, _ := serve(t, f, g); who != "a" {
			t.Errorf("%s served, want a: the caller's deadline is not a's failure", who)
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestARetryAfterHoldsForEveryCallOfTheGroup(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ss, ps := switchables("a", "b")
		var mu sync.Mutex
		var deferred []failover.Event
		g := failover.New(ps, failover.Cooldown(3, time.Minute), failover.Observe(func(e failover.Event) {
			if e.Kind == failover.Deferred {
				mu.Lock()
				deferred = append(deferred, e)
				mu.Unlock()
			}
		}))
		ss[0].set(errs.RetryAfter(errA, 30*time.Second), 0)
		start := time.Now()
		if who, rep := serve(t, f, g); who != "b" || tried(rep) != "ab" {
			t.Fatalf("%s served after %q, want b after a asked to wait", who, tried(rep))
		}
		mu.Lock()
		if len(deferred) != 1 || deferred[0].Provider != "a" || !deferred[0].Until.Equal(start.Add(30*time.Second)) {
			t.Errorf("Deferred events %+v, want one for a until 30s from now", deferred)
		}
		mu.Unlock()
		// Every call of the group now moves past a, one at a time or a
		// hundred at once, until the hint has passed.
		ss[0].set(nil, 0)
		if who, rep := serve(t, f, g); who != "b" || tried(rep) != "b" {
			t.Errorf("the next call: %s served after %q, want b alone", who, tried(rep))
		}
		before := ss[0].calls.Load()
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() { serve(t, f, g) })
		}
		wg.Wait()
		if n := ss[0].calls.Load() - before; n != 0 {
			t.Errorf("%d of 100 concurrent calls tried a during its hint", n)
		}
		time.Sleep(30*time.Second - time.Since(start))
		if who, rep := serve(t, f, g); who != "a" || tried(rep) != "a" {
			t.Errorf("after the hint: %s served after %q, want a first again", who, tried(rep))
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestAHintReachesOtherCallsWhenTheAttemptFails(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// Call 1: a asks to wait, and b streams for a minute. Call 2 starts
		// a second later, while call 1 still streams: it must already move
		// past a.
		a := streamtest.New[string](script{Err: errs.RetryAfter(errA, 30*time.Second)}, script{Tokens: []string{"a"}})
		b := streamtest.New[string](script{Tokens: words("b", 61), Gap: time.Second}, script{Tokens: []string{"b"}})
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}, {Name: "b", Source: b.Source}}, failover.Cooldown(3, time.Minute))
		done := make(chan error, 1)
		go func() {
			_, err := f.collect(t.Context(), g, "req")
			done <- err
		}()
		time.Sleep(time.Second)
		ctx, rep := failover.WithReport(t.Context())
		if got, err := f.collect(ctx, g, "req"); err != nil || tried(rep) != "b" {
			t.Errorf("call 2 got %q, %v after %q; want b alone while a's hint holds", got, err, tried(rep))
		}
		if err := <-done; err != nil {
			t.Errorf("call 1: %v", err)
		}
		a.Wait()
		b.Wait()
	})
}

func TestAHedgedCallsLimitCoolsDownEveryHungAttempt(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// a and b both hang, side by side; the commit timeout ends them
		// both, and both cool down, not only the one whose end the call
		// saw first.
		fs := fakes([]script{{Stall: true}}, []script{{Stall: true}}, toks("c"))
		g := failover.New(providers(fs), failover.Hedge(0), failover.MaxInFlight(2),
			failover.CommitTimeout(time.Second), failover.Cooldown(1, time.Minute))
		if _, err := f.collect(t.Context(), g, "req"); !errors.Is(err, errs.ErrCommitTimeout) {
			t.Fatalf("err = %v, want the commit timeout", err)
		}
		ctx, rep := failover.WithReport(t.Context())
		if got, err := f.collect(ctx, g, "req"); err != nil || diff([]string{"c"}, got) != "" {
			t.Fatalf("the next call: %q, %v", got, err)
		}
		if d := diff([]string{"a", "b"}, rep.Cooling()); d != "" {
			t.Errorf("cooling after both hung past the commit timeout (-want +got):\n%s", d)
		}
		waitAll(fs)
	})
}

func TestAHedgeNeverStartsAProviderThatCooledDuringTheCall(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// Call 1 starts with nobody cooling; while it waits for a, call 2
		// sees b fail, and b cools down. Call 1's hedge then goes to c.
		ss, ps := switchables("a", "b", "c")
		g := failover.New(ps, failover.Cooldown(1, time.Minute), failover.Hedge(100*time.Millisecond))
		ss[0].set(nil, time.Second)
		ss[1].set(errB, 50*time.Millisecond)
		ctx, rep := failover.WithReport(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if got, err := f.collect(ctx, g, "req"); err != nil || len(got) != 1 {
				t.Errorf("call 1 got %q, %v", got, err)
			}
		}()
		// Call 2 skips a: b fails at 50ms and cools down, c serves.
		if got, err := f.collect(failover.Ignore(t.Context(), "a"), g, "req"); err != nil || diff([]string{"c"}, got) != "" {
			t.Errorf("call 2 got %q, %v; want c", got, err)
		}
		<-done
		if got := tried(rep); got != "ac" {
			t.Errorf("call 1 tried %q, want a then c: b began to cool down during the call", got)
		}
		for _, s := range ss {
			s.wait()
		}
	})
}

func TestAKeptHintPastMaxCallTimeGivesTheProviderUp(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// a's 30s hint is kept by the group; a call that may last 5s gives
		// a up at once, as with a caller's deadline of 5s.
		a := streamtest.Fails[string, string](errs.RetryAfter(errA, 30*time.Second))
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}},
			failover.Cooldown(3, time.Minute), failover.MaxCallTime(5*time.Second))
		if _, err := f.collect(t.Context(), g, "req"); err == nil {
			t.Fatal("call 1 succeeded")
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		_, err := f.collect(ctx, g, "req")
		cancel()
		if !errors.Is(err, errs.ErrDeadline) || time.Since(start) != 0 {
			t.Errorf("with the caller's 5s deadline: %v after %v, want ErrDeadline at once", err, time.Since(start))
		}
		if _, err := f.collect(t.Context(), g, "req"); !errors.Is(err, errs.ErrDeadline) || time.Since(start) != 0 {
			t.Errorf("with MaxCallTime 5s: %v after %v, want ErrDeadline at once", err, time.Since(start))
		}
		a.Wait()
	})
}
