package failover_test

// Regression tests, each named for a promise that a user found broken.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

// A failed inner group is one failed attempt of the outer group: marks on
// the inner attempts steer the inner group only.
func TestNestedGroupMarksStayInside(t *testing.T) {
	t.Parallel()
	unauthorized := errs.Permanent(&quotaError{401})
	moveOn := failover.Classify(func(err error) failover.Class {
		var q *quotaError
		if errors.As(err, &q) && q.status == 401 {
			return failover.NextProvider
		}
		return failover.DefaultClass(err)
	})
	for _, tc := range []struct {
		name   string
		inner  [][]script
		iopts  []failover.Option
		oopts  []failover.Option
		want   []string
		calls  []int // the inner providers', then tier2's
		starts []time.Duration
		stops  bool
	}{
		{
			name:   "a Permanent error the inner group moved past does not stop the outer call",
			inner:  [][]script{fails(unauthorized), fails(errB)},
			iopts:  []failover.Option{moveOn},
			want:   []string{"p"},
			calls:  []int{1, 1, 1},
			starts: []time.Duration{0, 0},
		},
		{
			name:   "an inner Retry-After does not make the outer group wait",
			inner:  [][]script{fails(errs.RetryAfter(errA, 10*time.Second))},
			oopts:  []failover.Option{failover.Attempts(2)},
			want:   []string{"p"},
			calls:  []int{2, 1},
			starts: []time.Duration{0, 0, 0},
		},
		{
			name:   "an inner call stopped by a Permanent error stops the outer call",
			inner:  [][]script{fails(errs.Permanent(errA)), toks("never")},
			calls:  []int{1, 0, 0},
			starts: []time.Duration{0},
			stops:  true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) {
				inner := fakes(tc.inner...)
				tier2 := streamtest.Tokens[string]("p")
				g := failover.New([]failover.Provider[string, string]{
					{Name: "tier1", Source: failover.Failover(providers(inner), tc.iopts...)},
					{Name: "tier2", Source: tier2.Source},
				}, tc.oopts...)
				ctx, rep := failover.WithReport(t.Context())
				t0 := time.Now()
				got, err := f.collect(ctx, g, "req")
				waitAll(inner)
				tier2.Wait()
				if diff(tc.want, got) != "" || (err != nil) != tc.stops {
					t.Errorf("got %q, %v; want %q (stopped: %v)", got, err, tc.want, tc.stops)
				}
				if d := diff(tc.calls, append(calls(inner), tier2.Calls())); d != "" {
					t.Errorf("calls (-want +got):\n%s", d)
				}
				if d := diff(tc.starts, starts(rep, t0)); d != "" {
					t.Errorf("outer attempt starts (-want +got):\n%s", d)
				}
				for _, a := range rep.Attempts() {
					for _, s := range tc.inner {
						if s[0].Err != nil && a.Err != nil && !errors.Is(a.Err, s[0].Err) {
							t.Errorf("outer attempt %s: %v does not reach the inner cause %v", a.Provider, a.Err, s[0].Err)
						}
					}
				}
			})
		})
	}
}

// The first-token timeout waits for the first content token: a role chunk
// followed by a stall fails over once the timeout passes.
func TestFirstTokenTimeoutWaitsForContent(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes([]script{{Tokens: []string{"#role", "x"}, Stall: true, StallAfter: 1}}, toks("p"))
		g := failover.New(providers(fs), failover.Content(isContent), failover.FirstTokenTimeout(2*time.Second))
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		ctx, rep := failover.WithReport(ctx)
		t0 := time.Now()
		got, err := f.collect(ctx, g, "req")
		waitAll(fs)
		if err != nil || diff([]string{"p"}, got) != "" {
			t.Errorf("got %q, %v; want p from b", got, err)
		}
		if took := time.Since(t0); took != 2*time.Second {
			t.Errorf("took %v, want the 2s first-token timeout", took)
		}
		want := []att{{Provider: "a", Number: 1, Err: errs.ErrFirstTokenTimeout}, {Provider: "b", Number: 1, Committed: true}}
		if d := diff(want, summary(rep)); d != "" {
			t.Errorf("report (-want +got):\n%s", d)
		}
	})
	t.Run("the idle timeout counts every token", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: []string{"#role", "#ping", "x"}, Gap: 900 * time.Millisecond}}, toks("p"))
			g := failover.New(providers(fs), failover.Content(isContent), failover.IdleTimeout(time.Second))
			got, err := f.collect(t.Context(), g, "req")
			waitAll(fs)
			if err != nil || diff([]string{"#role", "#ping", "x"}, got) != "" {
				t.Errorf("got %q, %v; want a's stream: its keep-alives fed the idle timeout", got, err)
			}
		})
	})
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

// A provider that reports success before it has sent its tokens breaks the
// contract; relay still delivers every token and never returns a
// cut-short answer with a nil error.
func TestNoSilentTruncation(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		for i := range 200 {
			fs := fakes([]script{{Tokens: []string{"x", "y", "z"}, OutcomeFirst: true}})
			got, err := f.collect(t.Context(), failover.New(providers(fs)), "req")
			waitAll(fs)
			if err != nil || diff([]string{"x", "y", "z"}, got) != "" {
				t.Fatalf("run %d: got %q, %v; want every token and no error", i, got, err)
			}
		}
	})
	t.Run("a token channel left open after success ends with ErrContract", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: []string{"x", "y"}, OutcomeFirst: true, NeverClose: true}})
			got, err := f.collect(t.Context(), failover.New(providers(fs), failover.IdleTimeout(time.Second)), "req")
			waitAll(fs)
			var ce *errs.CommittedError
			if !errors.As(err, &ce) || !errors.Is(err, errs.ErrContract) || !errors.Is(err, errs.ErrIdleTimeout) {
				t.Errorf("err = %v, want a CommittedError with ErrContract and the idle timeout", err)
			}
			if diff([]string{"x", "y"}, got) != "" {
				t.Errorf("tokens %q, want x y", got)
			}
		})
	})
	t.Run("before the commit a success without content fails over even if the channel stays open", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{OutcomeFirst: true, NeverClose: true}}, toks("p"))
			ctx, rep := failover.WithReport(t.Context())
			got, err := f.collect(ctx, failover.New(providers(fs), failover.FirstTokenTimeout(time.Second)), "req")
			waitAll(fs)
			if err != nil || diff([]string{"p"}, got) != "" {
				t.Errorf("got %q, %v; want p", got, err)
			}
			if a := rep.Attempts()[0]; !errors.Is(a.Err, errs.ErrContract) || !errors.Is(a.Err, errs.ErrFirstTokenTimeout) {
				t.Errorf("a's cause = %v, want ErrContract and the first-token timeout", a.Err)
			}
		})
	})
}

// When relay ends an attempt, an outcome already waiting on its error
// channel is part of the cause.
func TestErrorAfterCommitIsKept(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes([]script{{Tokens: []string{"x"}, Err: errA, ErrOpen: true}})
		ctx, rep := failover.WithReport(t.Context())
		got, err := f.collect(ctx, failover.New(providers(fs), failover.IdleTimeout(time.Second)), "req")
		waitAll(fs)
		var ce *errs.CommittedError
		if !errors.As(err, &ce) || !errors.Is(err, errA) || ce.Emitted != 1 {
			t.Errorf("err = %v, want a CommittedError after 1 token caused by a's own error", err)
		}
		if diff([]string{"x"}, got) != "" {
			t.Errorf("tokens %q, want x", got)
		}
		if a := rep.Attempts()[0]; !errors.Is(a.Err, errA) {
			t.Errorf("reported cause %v, want a's error", a.Err)
		}
	})
}

// An attempt the caller cut short is reported with context.Canceled, never
// as a clean end.
func TestCallerStopIsNotACleanEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		read func(ctx context.Context, g *failover.Group[string, string]) // reads one token, then stops
	}{
		{"breaking out of All", func(ctx context.Context, g *failover.Group[string, string]) {
			for range g.All(ctx, "req") {
				break
			}
		}},
		{"breaking out of stream.All over Stream", func(ctx context.Context, g *failover.Group[string, string]) {
			for range stream.All(ctx, g.Stream, "req") {
				break
			}
		}},
		{"cancelling the channel form", func(ctx context.Context, g *failover.Group[string, string]) {
			ctx, cancel := context.WithCancel(ctx)
			out, errc := g.Stream(ctx, "req")
			<-out
			cancel()
			for range out {
			}
			<-errc
		}},
		{"a panic in the loop body of All", func(ctx context.Context, g *failover.Group[string, string]) {
			defer func() { recover() }()
			for range g.All(ctx, "req") {
				panic("the caller's own bug")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				fs := fakes([]script{{Tokens: words("w", 10), Gap: time.Second}})
				ctx, rep := failover.WithReport(t.Context())
				tc.read(ctx, failover.New(providers(fs)))
				waitAll(fs)
				synctest.Wait() // the relay goroutine of a stream the caller left
				a := rep.Attempts()
				if len(a) != 1 || !a[0].Committed || !errors.Is(a[0].Err, context.Canceled) {
					t.Errorf("report %+v, want one committed attempt ended by context.Canceled", a)
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

// stream.Collect over a group returns the group's own error when the
// caller's deadline passes: the FailoverError that names every attempt.
func TestCollectKeepsTheGroupErrorAtTheDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fs := fakes(fails(errA), []script{{Tokens: []string{"x"}, FirstDelay: time.Hour}})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := stream.Collect(ctx, failover.New(providers(fs)).Stream, "req")
		waitAll(fs)
		var fe *errs.FailoverError
		if !errors.As(err, &fe) || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errA) {
			t.Errorf("err = %v (%T), want the group's FailoverError, naming a's failure and the deadline", err, err)
		}
	})
}

// Misuse panics at once with a message that says what went wrong.
func TestNilGroupPanicsWithAMessage(t *testing.T) {
	t.Parallel()
	var g *failover.Group[string, string]
	for name, f := range map[string]func(){
		"Stream": func() { g.Stream(t.Context(), "req") },
		"All":    func() { g.All(t.Context(), "req") },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); len(s) < 9 || s[:9] != "failover:" {
					t.Errorf("%s on a nil *Group: panic %q, want one starting with failover:", name, s)
				}
			}()
			f()
		}()
	}
}

// A nil context panics at once, on the caller's goroutine, with a message
// that names the function.
func TestNilContextPanicsWithAMessage(t *testing.T) {
	t.Parallel()
	g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: stream.FromSlice[string]([]string{"x"}, nil)}})
	var nilCtx context.Context
	for name, f := range map[string]func(){
		"Stream":     func() { g.Stream(nilCtx, "req") },
		"All":        func() { g.All(nilCtx, "req") },
		"Ignore":     func() { failover.Ignore(nilCtx, "a") },
		"WithReport": func() { failover.WithReport(nilCtx) },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "failover: "+name+" needs a non-nil context") {
					t.Errorf("%s with a nil context: panic %q, want one starting with failover: %s needs a non-nil context", name, s, name)
				}
			}()
			f()
		}()
	}
	if _, ok := failover.AttemptOf(nilCtx); ok {
		t.Error("AttemptOf(nil) reports an attempt")
	}
}

// Emitted counts every token the caller received, content or not.
func TestEmittedCountsDeliveredTokens(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes([]script{{Tokens: []string{"#meta", "x", "#usage"}, Err: errA}})
		got, err := f.collect(t.Context(), failover.New(providers(fs), failover.Content(isContent)), "req")
		waitAll(fs)
		var ce *errs.CommittedError
		if !errors.As(err, &ce) || ce.Emitted != len(got) || len(got) != 3 {
			t.Errorf("got %q, %v; want 3 tokens and Emitted 3", got, err)
		}
	})
}

// The idle timeout never ends an attempt while relay was not waiting for
// it, and never replaces an outcome it already has.
func TestIdleTimeoutIsExactAgainstASlowCaller(t *testing.T) {
	t.Parallel()
	t.Run("tokens and error sent at once, read slowly", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			for i := range 300 {
				fs := fakes([]script{{Tokens: []string{"x", "y", "z"}, Buffer: 3, Err: errA}})
				g := failover.New(providers(fs), failover.IdleTimeout(time.Second))
				n := 0
				var err error
				for _, e := range f.read(t.Context(), g, "req") {
					if e != nil {
						err = e
						break
					}
					n++
					time.Sleep(3 * time.Second)
				}
				waitAll(fs)
				if n != 3 || !errors.Is(err, errA) || errors.Is(err, errs.ErrIdleTimeout) {
					t.Fatalf("run %d: %d tokens, %v; want 3 tokens and a's error, never the idle timeout", i, n, err)
				}
			}
		})
	})
	t.Run("a tick that found relay busy does not count toward the next wait", func(t *testing.T) {
		t.Parallel()
		const d, eps = time.Second, time.Millisecond
		eachForm(t, func(t *testing.T, f form) {
			// w1 is ready at once, but the caller takes w0 slowly, so relay
			// holds a token (busy) through the tick at d, then waits for w2
			// from just before the tick at 2d until just after it: it waited
			// for the provider for 2ms, never for d.
			t0 := time.Now()
			src := stream.Generate(func(ctx context.Context, _ string, yield func(string) bool) error {
				if !yield("w0") || !yield("w1") {
					return ctx.Err()
				}
				select {
				case <-time.After(time.Until(t0.Add(2*d + eps))):
				case <-ctx.Done():
					return ctx.Err()
				}
				yield("w2")
				return nil
			})
			g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}}, failover.IdleTimeout(d))
			var got []string
			var err error
			for tok, e := range f.read(t.Context(), g, "req") {
				if e != nil {
					err = e
					break
				}
				got = append(got, tok)
				if len(got) == 1 {
					time.Sleep(2*d - eps)
				}
			}
			if err != nil || len(got) != 3 {
				t.Errorf("got %q, %v; want 3 tokens and no error", got, err)
			}
		})
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

// Once the call's context has ended (the caller's, or MaxCallTime's), the
// pull form hands over no more tokens, however many are buffered and
// however slow its loop body.
func TestNoTokenAfterTheCallEnded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []failover.Option
		ctx  func(context.Context) (context.Context, context.CancelFunc)
	}{
		{"MaxCallTime", []failover.Option{failover.MaxCallTime(50 * time.Millisecond)}, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithCancel(ctx)
		}},
		{"the caller's deadline", nil, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 50*time.Millisecond)
		}},
		{"the caller's deadline, with timeouts", []failover.Option{failover.IdleTimeout(time.Hour)}, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 50*time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) {
				for i := range 50 {
					fs := fakes([]script{{Tokens: words("t", 6), Buffer: 8}})
					ctx, cancel := tc.ctx(t.Context())
					t0 := time.Now()
					n := 0
					var err error
					for _, e := range f.read(ctx, failover.New(providers(fs), tc.opts...), "req") {
						if e != nil {
							err = e
							break
						}
						if time.Since(t0) > 50*time.Millisecond {
							t.Fatalf("run %d: a token %v after the call's end", i, time.Since(t0))
						}
						n++
						time.Sleep(time.Second)
					}
					cancel()
					waitAll(fs)
					if n != 1 || err == nil {
						t.Fatalf("run %d: %d tokens, %v; want the first and the call's end", i, n, err)
					}
				}
			})
		})
	}
}

// A provider error already waiting when the caller's context ends is kept
// beside the context's error, not lost to it.
func TestErrorRacingTheCallerIsKept(t *testing.T) {
	t.Parallel()
	// In a bubble, so that the test ends only once the provider's
	// goroutine has.
	synctest.Test(t, func(t *testing.T) {
		sent := make(chan struct{})
		src := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			out, errc := make(chan string), make(chan error, 1)
			go func() {
				defer close(out)
				defer close(errc)
				select {
				case out <- "x":
				case <-ctx.Done():
					return
				}
				errc <- errA
				close(sent)
				<-ctx.Done()
			}()
			return out, errc
		}
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var err error
		for _, e := range g.All(ctx, "req") {
			if e != nil {
				err = e
				break
			}
			<-sent
			cancel()
		}
		var ce *errs.CommittedError
		if !errors.As(err, &ce) || !errors.Is(err, context.Canceled) || !errors.Is(err, errA) {
			t.Errorf("err = %v, want a CommittedError with both context.Canceled and a's error", err)
		}
	})
}

// failingAsItStops returns a provider and a Content predicate for it.
// While relay runs the predicate on the provider's first token, the
// provider's error goes onto its error channel and meanwhile ends the
// attempt from outside: when relay looks again, both are there.
func failingAsItStops(provErr error, meanwhile func()) (failover.Provider[string, string], failover.Option) {
	errc := make(chan error, 1)
	src := func(ctx context.Context, _ string) (<-chan string, <-chan error) {
		out := make(chan string, 1)
		out <- "meta"
		go func() { <-ctx.Done(); close(out) }()
		return out, errc
	}
	isContent := func(s string) bool {
		if s == "meta" {
			errc <- provErr // the provider fails...
			close(errc)
			meanwhile() // ...as the attempt is ended
			return false
		}
		return true
	}
	return failover.Provider[string, string]{Name: "a", Source: src}, failover.Content(isContent)
}

// TestErrorRacingTheCallerBeforeTheCommitIsKept: before the commit, the
// provider's error is on its error channel in the instant the caller
// cancels. The call's error names both.
func TestErrorRacingTheCallerBeforeTheCommitIsKept(t *testing.T) {
	t.Parallel()
	provErr := errors.New("provider: 500 overloaded")
	for range 20 {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			p, content := failingAsItStops(provErr, cancel)
			g := failover.New([]failover.Provider[string, string]{p}, content)
			var err error
			for _, e := range g.All(ctx, "r") {
				err = e
			}
			if !errors.Is(err, context.Canceled) || !errors.Is(err, provErr) {
				t.Fatalf("err = %v, want both context.Canceled and the provider's error", err)
			}
		})
	}
}

// TestErrorRacingMaxCallTimeBeforeTheCommitIsKept: the same with the
// call's own time limit ending the attempt.
func TestErrorRacingMaxCallTimeBeforeTheCommitIsKept(t *testing.T) {
	t.Parallel()
	provErr := errors.New("provider: 500 overloaded")
	synctest.Test(t, func(t *testing.T) {
		p, content := failingAsItStops(provErr, func() { time.Sleep(2 * time.Second) })
		g := failover.New([]failover.Provider[string, string]{p}, content, failover.MaxCallTime(time.Second))
		_, err := stream.Collect(t.Context(), g.Stream, "r")
		if !errors.Is(err, errs.ErrCallTimeout) || !errors.Is(err, provErr) {
			t.Errorf("err = %v, want both the call timeout and the provider's error", err)
		}
	})
}
