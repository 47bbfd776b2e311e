package failover_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

// starts returns when each attempt of a report started, relative to t0.
func starts(rep *failover.Report, t0 time.Time) []time.Duration {
	var out []time.Duration
	for _, a := range rep.Attempts() {
		out = append(out, a.Start.Sub(t0))
	}
	return out
}

func TestBackoffBoundsAndSpread(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		const base, maxWait, tries = 100 * time.Millisecond, time.Second, 6
		fs := fakes(fails(errA))
		g := failover.New(providers(fs), failover.Attempts(tries), failover.Backoff(base, maxWait), failover.Shuffle(1))
		gaps := make([][]time.Duration, tries) // gaps[n]: wait before try n+1
		for range 300 {
			ctx, rep := failover.WithReport(t.Context())
			t0 := time.Now()
			if _, err := f.collect(ctx, g, "req"); !errors.Is(err, errA) {
				t.Fatalf("err = %v", err)
			}
			s := starts(rep, t0)
			if len(s) != tries {
				t.Fatalf("%d attempts, want %d", len(s), tries)
			}
			for n := 1; n < tries; n++ {
				gaps[n] = append(gaps[n], s[n]-s[n-1])
			}
		}
		for n := 1; n < tries; n++ {
			ceil := min(maxWait, base<<(n-1))
			lo, hi := ceil, time.Duration(0)
			for _, gap := range gaps[n] {
				if gap < 0 || gap >= ceil {
					t.Fatalf("wait before try %d was %v, want it in [0, %v)", n+1, gap, ceil)
				}
				lo, hi = min(lo, gap), max(hi, gap)
			}
			// Full jitter spreads the waits over the whole range.
			if lo > ceil/10 || hi < ceil*9/10 {
				t.Errorf("waits before try %d spread over [%v, %v] of [0, %v): not full jitter", n+1, lo, hi, ceil)
			}
		}
		waitAll(fs)
	})
}

func TestBackoffBetweenProviders(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes(fails(errA), toks("p"))
		for _, between := range []bool{false, true} {
			opts := []failover.Option{failover.Backoff(time.Second, time.Second)}
			if between {
				opts = append(opts, failover.BackoffBetweenProviders())
			}
			g := failover.New(providers(fs), opts...)
			waited := false
			for range 20 {
				ctx, rep := failover.WithReport(t.Context())
				t0 := time.Now()
				if _, err := f.collect(ctx, g, "req"); err != nil {
					t.Fatal(err)
				}
				gap := starts(rep, t0)[1]
				if gap < 0 || gap >= time.Second || (!between && gap != 0) {
					t.Fatalf("between=%v: b started %v after a", between, gap)
				}
				waited = waited || gap > 0
			}
			if between != waited {
				t.Errorf("between=%v: waited before the next provider: %v", between, waited)
			}
		}
		waitAll(fs)
	})
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	limited := errs.RetryAfter(errA, 3*time.Second)
	for _, tc := range []struct {
		name    string
		scripts [][]script
		opts    []failover.Option
		want    []string
		starts  []time.Duration
		calls   []int
	}{
		{
			name:    "the next try of the provider waits exactly the hint",
			scripts: [][]script{{{Err: limited}, {Tokens: []string{"x"}}}, fails(errB)},
			opts:    []failover.Option{failover.Attempts(2)},
			want:    []string{"x"},
			starts:  []time.Duration{0, 0, 0, 3 * time.Second},
			calls:   []int{2, 2},
		},
		{
			name:    "the hint raises a shorter backoff",
			scripts: [][]script{{{Err: limited}, {Tokens: []string{"x"}}}, fails(errB)},
			opts:    []failover.Option{failover.Attempts(2), failover.Backoff(time.Millisecond, 2*time.Millisecond)},
			want:    []string{"x"},
			calls:   []int{2, 2},
		},
		{
			name:    "the next provider does not wait for the hint",
			scripts: [][]script{fails(limited), toks("p")},
			want:    []string{"p"},
			starts:  []time.Duration{0, 0},
			calls:   []int{1, 1},
		},
		{
			name:    "a hint above the maximum moves on at once",
			scripts: [][]script{fails(errs.RetryAfter(errA, 2*time.Minute)), toks("p")},
			opts:    []failover.Option{failover.Attempts(3)},
			want:    []string{"p"},
			starts:  []time.Duration{0, 0},
			calls:   []int{1, 1},
		},
		{
			name:    "a raised maximum honours a long hint",
			scripts: [][]script{{{Err: errs.RetryAfter(errA, 2*time.Minute)}, {Tokens: []string{"x"}}}, fails(errB)},
			opts:    []failover.Option{failover.MaxRetryAfter(5 * time.Minute), failover.Attempts(2)},
			want:    []string{"x"},
			starts:  []time.Duration{0, 0, 0, 2 * time.Minute},
			calls:   []int{2, 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) {
				fs := fakes(tc.scripts...)
				ctx, rep := failover.WithReport(t.Context())
				t0 := time.Now()
				got, err := f.collect(ctx, failover.New(providers(fs), tc.opts...), "req")
				waitAll(fs)
				if err != nil || diff(tc.want, got) != "" {
					t.Errorf("got %q, %v; want %q", got, err, tc.want)
				}
				if s := starts(rep, t0); tc.starts != nil && diff(tc.starts, s) != "" {
					t.Errorf("attempt starts (-want +got):\n%s", diff(tc.starts, s))
				} else if tc.starts == nil && s[len(s)-1] != 3*time.Second {
					t.Errorf("the last try started at %v, want 3s: the hint, not the shorter backoff", s[len(s)-1])
				}
				if d := diff(tc.calls, calls(fs)); d != "" {
					t.Errorf("calls (-want +got):\n%s", d)
				}
			})
		})
	}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	t.Run("a wait that would end after the context deadline moves on to the next provider", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes(fails(errs.RetryAfter(errA, 10*time.Second)), toks("p"))
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			ctx, rep := failover.WithReport(ctx)
			t0 := time.Now()
			got, err := f.collect(ctx, failover.New(providers(fs), failover.Attempts(3)), "req")
			waitAll(fs)
			if err != nil || diff([]string{"p"}, got) != "" {
				t.Errorf("got %q, %v; want p", got, err)
			}
			if d := diff([]time.Duration{0, 0}, starts(rep, t0)); d != "" {
				t.Errorf("attempt starts (-want +got):\n%s", d)
			}
		})
	})
	t.Run("when no provider can be tried before the deadline the call ends at once", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			// a's hint and b's both end past the deadline (a jittered
			// backoff would only be likely to).
			fs := fakes([]script{{Err: errs.RetryAfter(errA, time.Hour), FirstDelay: time.Second}}, fails(errs.RetryAfter(errB, 10*time.Second)))
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			t0 := time.Now()
			_, err := f.collect(ctx, failover.New(providers(fs), failover.Attempts(2), failover.MaxRetryAfter(2*time.Hour)), "req")
			took := time.Since(t0)
			waitAll(fs)
			var fe *errs.FailoverError
			if !errors.As(err, &fe) || fe.Err != errs.ErrDeadline || len(fe.Attempts) != 2 {
				t.Fatalf("err = %v, want a FailoverError with ErrDeadline after a's and b's first attempts", err)
			}
			if !errors.Is(err, errA) || !errors.Is(err, errB) || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want both failures and no context error", err)
			}
			if took != time.Second {
				t.Errorf("the call took %v, want 1s: it must not wait for the deadline", took)
			}
		})
	})
	t.Run("MaxCallTime ends a call before the commit with ErrCallTimeout", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: []string{"x"}, Stall: true}})
			t0 := time.Now()
			got, err := f.collect(t.Context(), failover.New(providers(fs), failover.MaxCallTime(3*time.Second)), "req")
			took := time.Since(t0)
			waitAll(fs)
			var fe *errs.FailoverError
			if got != nil || !errors.As(err, &fe) || !errors.Is(err, errs.ErrCallTimeout) || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %q, %v; want a FailoverError for the call timeout, without a context error", got, err)
			}
			if took != 3*time.Second {
				t.Errorf("took %v, want 3s", took)
			}
		})
	})
	t.Run("MaxCallTime ends a committed stream with ErrCallTimeout", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: words("w", 10), Gap: time.Second}})
			got, err := f.collect(t.Context(), failover.New(providers(fs), failover.MaxCallTime(2500*time.Millisecond)), "req")
			waitAll(fs)
			var ce *errs.CommittedError
			if !errors.As(err, &ce) || ce.Emitted != 3 || !errors.Is(err, errs.ErrCallTimeout) || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want a CommittedError after 3 tokens for the call timeout", err)
			}
			if diff(words("w", 3), got) != "" {
				t.Errorf("tokens %q", got)
			}
		})
	})
	t.Run("cancelling during a wait returns at once", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes(fails(errs.RetryAfter(errA, 30*time.Second)))
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(time.Second, cancel)
			t0 := time.Now()
			_, err := drain(f.read(ctx, failover.New(providers(fs), failover.Attempts(2)), "req"))
			took := time.Since(t0)
			waitAll(fs)
			if !errors.Is(err, context.Canceled) || !errors.Is(err, errA) || took != time.Second || fs[0].Calls() != 1 {
				t.Errorf("err = %v after %v and %d calls; want Canceled with a's failure after exactly 1s and 1 call", err, took, fs[0].Calls())
			}
		})
	})
}

// quotaError is a provider's own error type, for classification.
type quotaError struct{ status int }

func (e *quotaError) Error() string { return fmt.Sprintf("status %d", e.status) }

func classifyStatus(err error) failover.Class {
	var q *quotaError
	if errors.As(err, &q) {
		switch q.status {
		case 401:
			return failover.NextProvider
		case 400:
			return failover.Stop
		}
	}
	return failover.DefaultClass(err)
}

func TestClasses(t *testing.T) {
	t.Parallel()
	wrap := func(status int) error { return fmt.Errorf("provider said: %w", &quotaError{status}) }
	for _, tc := range []struct {
		name  string
		err   error
		opts  []failover.Option
		want  []string
		calls []int
		fails bool
	}{
		{name: "by default an error retries the provider, then moves on", err: errA, want: []string{"p"}, calls: []int{3, 1}},
		{name: "by default a Permanent error stops", err: errs.Permanent(errA), calls: []int{1, 0}, fails: true},
		{name: "by default an empty stream retries", err: nil, want: []string{"p"}, calls: []int{3, 1}},
		{name: "Retry keeps retrying the provider", err: wrap(429), opts: []failover.Option{failover.Classify(classifyStatus)}, want: []string{"p"}, calls: []int{3, 1}},
		{name: "NextProvider moves on at once", err: wrap(401), opts: []failover.Option{failover.Classify(classifyStatus)}, want: []string{"p"}, calls: []int{1, 1}},
		{name: "Stop ends the call", err: wrap(400), opts: []failover.Option{failover.Classify(classifyStatus)}, calls: []int{1, 0}, fails: true},
		{name: "a classifier may keep Permanent retrying", err: errs.Permanent(errA), opts: []failover.Option{failover.Classify(func(error) failover.Class { return failover.Retry })}, want: []string{"p"}, calls: []int{3, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) {
				fs := fakes(fails(tc.err), toks("p"))
				got, err := f.collect(t.Context(), failover.New(providers(fs), append(tc.opts, failover.Attempts(3))...), "req")
				waitAll(fs)
				if (err != nil) != tc.fails || diff(tc.want, got) != "" {
					t.Errorf("got %q, %v", got, err)
				}
				if d := diff(tc.calls, calls(fs)); d != "" {
					t.Errorf("calls (-want +got):\n%s", d)
				}
			})
		})
	}
	t.Run("the caller's cancellation stops whatever the class", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: []string{"x"}, FirstDelay: time.Hour}}, toks("p"))
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			retry := failover.Classify(func(error) failover.Class { return failover.Retry })
			_, err := drain(f.read(ctx, failover.New(providers(fs), retry, failover.Attempts(3)), "req"))
			waitAll(fs)
			if !errors.Is(err, context.DeadlineExceeded) || fs[0].Calls() != 1 || fs[1].Calls() != 0 {
				t.Errorf("err = %v, calls %v; want the deadline after one call", err, calls(fs))
			}
		})
	})
}

// TestRetryBudgetUnderOutage makes 10,000 calls, one every millisecond of
// fake time, while every provider fails, and checks that the extra
// attempts stay within the budget: 10% of the calls in any window, with a
// floor of 5 per window.
func TestRetryBudgetUnderOutage(t *testing.T) {
	t.Parallel()
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) { synctest.Test(t, func(t *testing.T) { budgetOutage(t, f) }) })
	}
}

// budgetOutage runs in a synctest bubble: its sleeps advance fake time.
func budgetOutage(t *testing.T, f form) {
	const calls, window, ratio, floor = 10_000, time.Second, 0.1, 5
	a, b, c := streamtest.Fails[string, string](errA), streamtest.Fails[string, string](errB), streamtest.Fails[string, string](errC)
	g := failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: a.Source}, {Name: "b", Source: b.Source}, {Name: "c", Source: c.Source},
	}, failover.Attempts(3), failover.RetryBudget(ratio, floor, window))
	spent := 0
	for range calls {
		_, err := f.collect(t.Context(), g, "req")
		var fe *errs.FailoverError
		if !errors.As(err, &fe) {
			t.Fatalf("err = %v", err)
		}
		if fe.Err == errs.ErrBudget {
			spent++
		}
		time.Sleep(time.Millisecond)
	}
	attempts := a.Calls() + b.Calls() + c.Calls()
	extra := attempts - calls
	// 10 s of calls: at most ratio of all calls, plus the floor for
	// each window the run touches.
	limit := int(ratio*calls) + floor*(int(calls*time.Millisecond/window)+1)
	if extra > limit {
		t.Errorf("%d extra attempts for %d calls, want at most %d", extra, calls, limit)
	}
	if extra < int(ratio*calls)/2 {
		t.Errorf("only %d extra attempts: the budget allowed far less than it should", extra)
	}
	if spent < calls/2 {
		t.Errorf("only %d calls ended with ErrBudget during a full outage", spent)
	}
	t.Logf("%d calls made %d extra attempts (without a budget: %d); %d stopped by the budget", calls, extra, calls*8, spent)
	// Once the window has passed, the budget is back to its floor.
	time.Sleep(2 * window)
	_, err := f.collect(t.Context(), g, "req")
	var fe *errs.FailoverError
	if !errors.As(err, &fe) || len(fe.Attempts) != 1+floor {
		t.Errorf("after the window the call made %d attempts, want %d: %v", len(fe.Attempts), 1+floor, err)
	}
	a.Wait()
	b.Wait()
	c.Wait()
}

func TestPolicyOptionsPanicOnMisuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Backoff with a zero base", func() { failover.Backoff(0, time.Second) }},
		{"Backoff with max below base", func() { failover.Backoff(time.Second, time.Millisecond) }},
		{"a negative MaxRetryAfter", func() { failover.MaxRetryAfter(-1) }},
		{"a negative MaxCallTime", func() { failover.MaxCallTime(-1) }},
		{"a nil classifier", func() { failover.Classify(nil) }},
		{"a negative budget ratio", func() { failover.RetryBudget(-1, 0, time.Second) }},
		{"a budget ratio of NaN", func() { failover.RetryBudget(math.NaN(), 0, time.Second) }},
		{"a budget without a window", func() { failover.RetryBudget(0.1, 1, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); len(s) < 9 || s[:9] != "failover:" {
					t.Errorf("panic %q, want one starting with failover:", s)
				}
			}()
			tc.f()
		})
	}
}

// A Retry-After hint defers the hinted provider: the call moves on and
// comes back only if it still needs the provider, once the hint has passed.
func TestRetryAfterDoesNotHoldUpTheCall(t *testing.T) {
	t.Parallel()
	limited := errs.RetryAfter(errA, time.Second)
	for _, tc := range []struct {
		name    string
		scripts [][]script
		opts    []failover.Option
		want    []string
		report  []att
		starts  []time.Duration
	}{
		{
			name:    "the next provider serves at once",
			scripts: [][]script{{{Err: limited}, {Tokens: []string{"x"}}}, toks("p")},
			opts:    []failover.Option{failover.Attempts(2)},
			want:    []string{"p"},
			report:  []att{{Provider: "a", Number: 1, Err: errA}, {Provider: "b", Number: 1, Committed: true}},
			starts:  []time.Duration{0, 0},
		},
		{
			name:    "the call comes back to the hinted provider once the hint has passed",
			scripts: [][]script{{{Err: limited}, {Tokens: []string{"x"}}}, fails(errB)},
			opts:    []failover.Option{failover.Attempts(2)},
			want:    []string{"x"},
			report: []att{
				{Provider: "a", Number: 1, Err: errA},
				{Provider: "b", Number: 1, Err: errB},
				{Provider: "b", Number: 2, Err: errB},
				{Provider: "a", Number: 2, Committed: true},
			},
			starts: []time.Duration{0, 0, 0, time.Second},
		},
		{
			name:    "backoff without a hint still tries one provider before the next",
			scripts: [][]script{{{Err: errA}, {Tokens: []string{"x"}}}, toks("p")},
			opts:    []failover.Option{failover.Attempts(2), failover.Backoff(time.Second, time.Second)},
			want:    []string{"x"},
			report:  []att{{Provider: "a", Number: 1, Err: errA}, {Provider: "a", Number: 2, Committed: true}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) {
				fs := fakes(tc.scripts...)
				ctx, rep := failover.WithReport(t.Context())
				t0 := time.Now()
				got, err := f.collect(ctx, failover.New(providers(fs), tc.opts...), "req")
				waitAll(fs)
				if err != nil || diff(tc.want, got) != "" {
					t.Errorf("got %q, %v; want %q", got, err, tc.want)
				}
				if d := diff(tc.report, summary(rep)); d != "" {
					t.Errorf("report (-want +got):\n%s", d)
				}
				if tc.starts != nil {
					if d := diff(tc.starts, starts(rep, t0)); d != "" {
						t.Errorf("starts (-want +got):\n%s", d)
					}
				}
			})
		})
	}
}

// A jittered wait before the next provider that would cross the deadline
// is skipped: the call moves on at once.
func TestBackoffBetweenProvidersNeverEndsACallThatCouldGoOn(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes(fails(errA), toks("p"))
		g := failover.New(providers(fs), failover.Backoff(10*time.Second, 10*time.Second), failover.BackoffBetweenProviders())
		for i := range 20 {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			got, err := f.collect(ctx, g, "req")
			cancel()
			if err != nil || diff([]string{"p"}, got) != "" {
				t.Fatalf("call %d: got %q, %v; want p", i, got, err)
			}
		}
		waitAll(fs)
	})
}

// A retry never starts with a context that is already done.
func TestRetryNeverStartsWithAnExpiredContext(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		var mu sync.Mutex
		var expired int
		for range 50 {
			a := streamtest.New[string](script{Err: errs.RetryAfter(errA, 10*time.Second)}, script{Tokens: []string{"x"}})
			src := func(ctx context.Context, req string) (<-chan string, <-chan error) {
				if ctx.Err() != nil {
					mu.Lock()
					expired++
					mu.Unlock()
				}
				return a.Source(ctx, req)
			}
			g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}},
				failover.Attempts(2), failover.MaxCallTime(10*time.Second))
			_, err := f.collect(t.Context(), g, "req")
			var fe *errs.FailoverError
			if !errors.As(err, &fe) || fe.Err != errs.ErrDeadline {
				t.Fatalf("err = %v, want ErrDeadline: the hinted wait ends at the deadline", err)
			}
			a.Wait()
		}
		if expired != 0 {
			t.Errorf("%d tries started with a done context", expired)
		}
	})
}

// The backoff ceiling is computed without overflow.
func TestBackoffCeilingDoesNotWrap(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		const base, ceil = time.Duration(1<<33 + 1), 1000 * time.Hour
		fs := fakes(fails(errA))
		ctx, rep := failover.WithReport(t.Context())
		g := failover.New(providers(fs), failover.Backoff(base, ceil), failover.Attempts(40), failover.Shuffle(5))
		if _, err := f.collect(ctx, g, "req"); !errors.Is(err, errA) {
			t.Fatalf("err = %v", err)
		}
		waitAll(fs)
		// From try 20 on, base·2^(n-1) is past the ceiling, so every wait is
		// a draw from [0, 1000h): one below an hour has odds of 1 in 1,000.
		s := starts(rep, rep.Attempts()[0].Start)
		short := 0
		for n := 20; n < len(s); n++ {
			gap := s[n] - s[n-1]
			if gap < 0 || gap >= ceil {
				t.Errorf("wait before try %d was %v, want a draw from [0, %v)", n+1, gap, ceil)
			}
			if gap < time.Hour {
				short++
			}
		}
		if short > 1 {
			t.Errorf("%d of the last 20 waits were under an hour: the ceiling wrapped around", short)
		}
	})
}
