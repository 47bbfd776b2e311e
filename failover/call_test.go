package failover_test

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

func TestIgnoreAndAccepts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		ignore  []string
		accepts map[string]bool // provider name -> accepts "req"; absent: nil Accepts
		want    []string
		err     error
		calls   []int
	}{
		{name: "an ignored provider is skipped without an attempt", ignore: []string{"a"}, want: []string{"b"}, calls: []int{0, 1, 0}},
		{name: "names accumulate across Ignore calls", ignore: []string{"a", "b"}, want: []string{"c"}, calls: []int{0, 0, 1}},
		{name: "a provider that declines the request is skipped", accepts: map[string]bool{"a": false, "b": true}, want: []string{"b"}, calls: []int{0, 1, 0}},
		{name: "ignoring every provider ends with ErrNoProvider", ignore: []string{"a", "b", "c"}, err: errs.ErrNoProvider, calls: []int{0, 0, 0}},
		{name: "when every provider declines the call ends with ErrNoProvider", accepts: map[string]bool{"a": false, "b": false, "c": false}, err: errs.ErrNoProvider, calls: []int{0, 0, 0}},
		{name: "an unknown name is ignored harmlessly", ignore: []string{"zz"}, want: []string{"a"}, calls: []int{1, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) {
				fs := fakes(toks("a"), toks("b"), toks("c"))
				ps := providers(fs)
				for i := range ps {
					if acc, ok := tc.accepts[ps[i].Name]; ok {
						ps[i].Accepts = func(req string) bool { return req == "req" && acc }
					}
				}
				g := failover.New(ps)
				ctx := t.Context()
				for _, name := range tc.ignore {
					ctx = failover.Ignore(ctx, name)
				}
				got, err := f.collect(ctx, g, "req")
				waitAll(fs)
				if d := diff(tc.want, got); d != "" {
					t.Errorf("tokens (-want +got):\n%s", d)
				}
				if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
					t.Errorf("err = %v, want %v", err, tc.err)
				}
				if d := diff(tc.calls, calls(fs)); d != "" {
					t.Errorf("calls (-want +got):\n%s", d)
				}
			})
		})
	}
}

func TestNoProviders(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		for name, g := range map[string]*failover.Group[string, string]{
			"an empty list": failover.New[string, string](nil),
			"a zero Group":  new(failover.Group[string, string]),
		} {
			got, err := f.collect(t.Context(), g, "req")
			if err != errs.ErrNoProvider || got != nil {
				t.Errorf("%s: got %q, %v; want nothing and ErrNoProvider", name, got, err)
			}
		}
	})
}

func TestOrder(t *testing.T) {
	t.Parallel()
	// Every provider answers with its own name, so the served provider is the
	// first in the call's order.
	served := func(t *testing.T, f form, g *failover.Group[string, string], n int) string {
		var b strings.Builder
		for range n {
			got, err := f.collect(t.Context(), g, "req")
			if err != nil || len(got) != 1 {
				t.Fatalf("got %q, %v", got, err)
			}
			b.WriteString(got[0])
		}
		return b.String()
	}
	names := []string{"a", "b", "c", "d"}
	mk := func(opts ...failover.Option) *failover.Group[string, string] {
		var ps []failover.Provider[string, string]
		for _, n := range names {
			ps = append(ps, failover.Provider[string, string]{Name: n, Source: stream.FromSlice[string]([]string{n}, nil)})
		}
		return failover.New(ps, opts...)
	}
	t.Run("without Shuffle the given order is kept", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			if got := served(t, f, mk(), 20); got != strings.Repeat("a", 20) {
				t.Errorf("served %q, want a every time", got)
			}
		})
	})
	t.Run("Shuffle with a seed repeats its orders and spreads the first place", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			first := served(t, f, mk(failover.Shuffle(42)), 200)
			second := served(t, f, mk(failover.Shuffle(42)), 200)
			if first != second {
				t.Errorf("two groups with seed 42 served\n%s\n%s", first, second)
			}
			for _, n := range names {
				if c := strings.Count(first, n); c < 20 {
					t.Errorf("provider %s went first %d times in 200 shuffled calls", n, c)
				}
			}
			if other := served(t, f, mk(failover.Shuffle(7)), 200); other == first {
				t.Errorf("seeds 7 and 42 gave the same orders")
			}
		})
	})
	t.Run("Shuffle tries every eligible provider exactly once per call", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes(fails(errA), fails(errB), fails(errC))
			g := failover.New(providers(fs), failover.Shuffle(0))
			for i := range 10 {
				ctx, rep := failover.WithReport(t.Context())
				if _, err := f.collect(ctx, g, "req"); err == nil {
					t.Fatal("want an error")
				}
				seen := map[string]int{}
				for _, a := range rep.Attempts() {
					seen[a.Provider]++
				}
				if d := diff(map[string]int{"a": 1, "b": 1, "c": 1}, seen); d != "" {
					t.Errorf("call %d tried (-want +got):\n%s", i, d)
				}
			}
		})
	})
}

func TestCancellation(t *testing.T) {
	t.Parallel()
	t.Run("a context that is already done calls no provider", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes(toks("x"))
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			ctx, rep := failover.WithReport(ctx)
			var got []string
			var err error
			for tok, e := range f.read(ctx, failover.New(providers(fs)), "req") {
				if e != nil {
					err = e
					break
				}
				got = append(got, tok)
			}
			if got != nil || !errors.Is(err, context.Canceled) {
				t.Errorf("got %q, %v; want nothing and context.Canceled", got, err)
			}
			if fs[0].Calls() != 0 || len(rep.Attempts()) != 0 {
				t.Errorf("%d calls, %d attempts reported; want none", fs[0].Calls(), len(rep.Attempts()))
			}
		})
	})
	t.Run("cancelling mid-stream ends with the context error and stops the provider", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: words("w", 100), Gap: time.Second}}, toks("p"))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			ctx, rep := failover.WithReport(ctx)
			var got []string
			var err error
			for tok, e := range f.read(ctx, failover.New(providers(fs)), "req") {
				if e != nil {
					err = e
					break
				}
				got = append(got, tok)
				if len(got) == 3 {
					cancel()
				}
			}
			var ce *errs.CommittedError
			if !errors.As(err, &ce) || !errors.Is(err, context.Canceled) || ce.Emitted != 3 {
				t.Errorf("err = %v, want a CommittedError after 3 tokens wrapping context.Canceled", err)
			}
			if d := diff(words("w", 3), got); d != "" {
				t.Errorf("tokens (-want +got):\n%s", d)
			}
			synctest.Wait()
			if n := fs[0].Running(); n != 0 {
				t.Errorf("%d provider goroutines still running after the call ended", n)
			}
			if d := diff([]att{{Provider: "a", Number: 1, Committed: true, Err: context.Canceled}}, summary(rep)); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
			if fs[1].Calls() != 0 {
				t.Errorf("b was called after the cancellation")
			}
		})
	})
	t.Run("cancelling before the first token ends with a FailoverError wrapping the context error", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: []string{"x"}, FirstDelay: time.Hour}}, toks("p"))
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			ctx, rep := failover.WithReport(ctx)
			got, err := drain(f.read(ctx, failover.New(providers(fs)), "req"))
			var fe *errs.FailoverError
			if got != nil || !errors.As(err, &fe) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %q, %v; want nothing and a FailoverError wrapping DeadlineExceeded", got, err)
			}
			if d := diff([]att{{Provider: "a", Number: 1, Err: context.DeadlineExceeded}}, summary(rep)); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
			if rep.Served() != "" {
				t.Errorf("Served() = %q, want none", rep.Served())
			}
			waitAll(fs)
			if fs[1].Calls() != 0 {
				t.Errorf("b was called after the deadline")
			}
		})
	})
	t.Run("the context's cause is kept beside its error", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			why := errors.New("user closed the tab")
			fs := fakes([]script{{Tokens: []string{"x"}, FirstDelay: time.Hour}})
			ctx, cancel := context.WithCancelCause(t.Context())
			time.AfterFunc(time.Second, func() { cancel(why) })
			_, err := drain(f.read(ctx, failover.New(providers(fs)), "req"))
			if !errors.Is(err, context.Canceled) || !errors.Is(err, why) {
				t.Errorf("err = %v, want both context.Canceled and the cause", err)
			}
			waitAll(fs)
		})
	})
}

// TestCancelWithoutReader checks that the channel form ends, and stops its
// provider, when the caller cancels and never reads again.
func TestCancelWithoutReader(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fs := fakes([]script{{Tokens: words("w", 100), Gap: time.Second}})
		ctx, cancel := context.WithCancel(t.Context())
		out, errc := failover.New(providers(fs)).Stream(ctx, "req")
		if tok := <-out; tok != "w0" {
			t.Fatalf("first token %q, want w0", tok)
		}
		time.Sleep(5 * time.Second) // the relay goroutine now holds w1, blocked on the caller
		cancel()
		synctest.Wait()
		if n := fs[0].Running(); n != 0 {
			t.Errorf("%d provider goroutines still running", n)
		}
		err := <-errc
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if _, open := <-out; open {
			t.Errorf("the token channel is still open after the outcome")
		}
	})
}

func TestSlowReaderNeverTimesOut(t *testing.T) {
	t.Parallel()
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) { synctest.Test(t, func(t *testing.T) { slowReader(t, f) }) })
	}
}

// slowReader runs in a synctest bubble: its sleeps advance fake time.
func slowReader(t *testing.T, f form) {
	fs := fakes([]script{{Tokens: words("w", 5)}})
	g := failover.New(providers(fs), failover.FirstTokenTimeout(time.Second), failover.IdleTimeout(time.Second))
	var got []string
	var err error
	for tok, e := range f.read(t.Context(), g, "req") {
		if e != nil {
			err = e
			break
		}
		got = append(got, tok)
		time.Sleep(time.Minute)
	}
	if err != nil || len(got) != 5 {
		t.Errorf("got %q, %v; want 5 tokens and no error", got, err)
	}
}

func TestNested(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		inner := fakes(fails(errA), toks("p", "q"))
		innerGroup := failover.New(providers(inner))
		outer := fakes(fails(errB))
		g := failover.New([]failover.Provider[string, string]{
			{Name: "x", Source: outer[0].Source},
			{Name: "inner", Source: innerGroup.Stream},
		})
		ctx, rep := failover.WithReport(t.Context())
		got, err := f.collect(ctx, g, "req")
		if err != nil || diff([]string{"p", "q"}, got) != "" {
			t.Errorf("got %q, %v; want p q", got, err)
		}
		want := []att{{Provider: "x", Number: 1, Err: errB}, {Provider: "inner", Number: 1, Committed: true}}
		if d := diff(want, summary(rep)); d != "" {
			t.Errorf("the outer report (-want +got):\n%s", d)
		}

		// A nested group that fails completely is one failed attempt.
		all := fakes(fails(errA), fails(errC))
		g = failover.New([]failover.Provider[string, string]{
			{Name: "inner", Source: failover.Failover(providers(all))},
			{Name: "y", Source: streamtest.Tokens[string]("z").Source},
		})
		got, err = f.collect(t.Context(), g, "req")
		if err != nil || diff([]string{"z"}, got) != "" {
			t.Errorf("got %q, %v; want z", got, err)
		}
		waitAll(inner)
		waitAll(outer)
		waitAll(all)
	})
}

func TestPanicAfterCommit(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		src := stream.Generate(func(ctx context.Context, _ string, yield func(string) bool) error {
			yield("x")
			panic("lost the connection")
		})
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}, {Name: "b", Source: stream.FromSlice[string]([]string{"p"}, nil)}})
		got, err := f.collect(t.Context(), g, "req")
		var pe *errs.PanicError
		var ce *errs.CommittedError
		if !errors.As(err, &pe) || !errors.As(err, &ce) || pe.Value != "lost the connection" || len(pe.Stack) == 0 {
			t.Errorf("err = %v, want a CommittedError caused by the panic, with its stack", err)
		}
		if diff([]string{"x"}, got) != "" {
			t.Errorf("tokens %q, want x", got)
		}
	})
}

func TestPanicKeepsValueAndStack(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes([]script{{Panic: "no key"}})
		_, err := f.collect(t.Context(), failover.New(providers(fs)), "req")
		var pe *errs.PanicError
		if !errors.As(err, &pe) || pe.Value != "no key" || !strings.Contains(string(pe.Stack), "streamtest") {
			t.Fatalf("err = %v, want a PanicError with the value and the provider's stack", err)
		}
		if !strings.Contains(err.Error(), `provider "a" attempt 1: panic: no key`) {
			t.Errorf("message %q does not name the panic", err)
		}
	})
}

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
			name:   "an inner Retry-After on one attempt of two does not make the outer group wait",
			inner:  [][]script{fails(errs.RetryAfter(errA, 10*time.Second)), fails(errB)},
			oopts:  []failover.Option{failover.Attempts(2)},
			want:   []string{"p"},
			calls:  []int{2, 2, 1},
			starts: []time.Duration{0, 0, 0},
		},
		{
			name:   "an inner call whose every attempt asked to wait defers the whole tier",
			inner:  [][]script{fails(errs.RetryAfter(errA, 10*time.Second)), fails(errs.RetryAfter(errB, 5*time.Second))},
			oopts:  []failover.Option{failover.Attempts(2)},
			want:   []string{"p"},
			calls:  []int{1, 1, 1},
			starts: []time.Duration{0, 0},
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

func TestANestedCommittedFailureKeepsItsMarksInside(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		err   error
		tried string
	}{
		{"a Permanent error does not stop the outer group", errs.Permanent(errA), "tiertierbackup"},
		{"a Retry-After hint does not defer the tier", errs.RetryAfter(errA, time.Second), "tiertierbackup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachForm(t, func(t *testing.T, f form) {
				// The inner group commits on a token the outer group does
				// not count as content, then fails with a mark.
				x := streamtest.New[string](script{Tokens: []string{"#meta"}, Err: tc.err})
				tier := failover.New([]failover.Provider[string, string]{{Name: "x", Source: x.Source}})
				backup := streamtest.Tokens[string]("ok")
				outer := failover.New([]failover.Provider[string, string]{
					{Name: "tier", Source: tier.Stream},
					{Name: "backup", Source: backup.Source},
				}, failover.Content(isContent), failover.Attempts(2))
				ctx, rep := failover.WithReport(t.Context())
				got, err := f.collect(ctx, outer, "req")
				if err != nil || diff([]string{"ok"}, got) != "" || tried(rep) != tc.tried {
					t.Errorf("got %q, %v after %q; want ok from backup after %q", got, err, tried(rep), tc.tried)
				}
				synctest.Wait()
				x.Wait()
				backup.Wait()
			})
		})
	}
}

func TestNestedMessagesSayRelayOnce(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		x := streamtest.New[string](script{Tokens: []string{"x0"}, Err: errA})
		tier := failover.New([]failover.Provider[string, string]{{Name: "x", Source: x.Source}})
		y := streamtest.Fails[string, string](errB)
		inner := failover.New([]failover.Provider[string, string]{{Name: "y", Source: y.Source}})
		outer := failover.New([]failover.Provider[string, string]{{Name: "inner", Source: inner.Stream}, {Name: "tier", Source: tier.Stream}})
		_, err := f.collect(t.Context(), outer, "req")
		if err == nil || strings.Count(err.Error(), "relay:") != 1 {
			t.Errorf("the message says relay: %d times, want once:\n%v", strings.Count(err.Error(), "relay:"), err)
		}
		synctest.Wait()
		x.Wait()
		y.Wait()
	})
}

func TestACallWhoseEveryAttemptAskedToWaitSaysWhen(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes(fails(errs.RetryAfter(errA, 10*time.Second)), fails(errs.RetryAfter(errB, 5*time.Second)))
		g := failover.New(providers(fs), failover.MaxRetryAfter(time.Second))
		start := time.Now()
		_, err := f.collect(t.Context(), g, "req")
		var fe *errs.FailoverError
		if !errors.As(err, &fe) || !fe.RetryAt.Equal(start.Add(5*time.Second)) {
			t.Fatalf("err = %v, want a FailoverError whose RetryAt is 5s from the start", err)
		}
		if d, ok := errs.RetryAfterHint(err); !ok || d != 5*time.Second {
			t.Errorf("RetryAfterHint = %v, %v; want 5s: the call's own hint", d, ok)
		}
		// One attempt without a hint: the call has none.
		fs2 := fakes(fails(errs.RetryAfter(errA, 10*time.Second)), fails(errB))
		_, err = f.collect(t.Context(), failover.New(providers(fs2)), "req")
		if _, ok := errs.RetryAfterHint(err); !errors.As(err, &fe) || ok {
			t.Errorf("err = %v has a hint, want none when one attempt gave none", err)
		}
		waitAll(fs)
		waitAll(fs2)
	})
}

func TestAnOuterGroupsLimitIsItsInnerGroupsCallersCancellation(t *testing.T) {
	t.Parallel()
	for _, limit := range []failover.Option{failover.MaxCallTime(time.Second), failover.CommitTimeout(time.Second)} {
		eachForm(t, func(t *testing.T, f form) {
			// The outer group's limit ends the inner group's call: to the
			// inner group that is its caller's cancellation, neither its
			// own limit nor its provider's failure.
			fs := fakes([]script{{Stall: true}})
			var mu sync.Mutex
			var cooled []string
			inner := failover.New(providers(fs), failover.Cooldown(1, time.Minute), failover.Observe(func(e failover.Event) {
				if e.Kind == failover.CooldownStarted {
					mu.Lock()
					cooled = append(cooled, e.Provider)
					mu.Unlock()
				}
			}))
			var innerErr, innerCtxErr error
			src := func(ctx context.Context, req string) (<-chan string, <-chan error) {
				out, errc := inner.Stream(ctx, req)
				seen := make(chan error, 1)
				go func() { // the inner call's own outcome, passed on
					err := <-errc
					mu.Lock()
					innerErr, innerCtxErr = err, ctx.Err()
					mu.Unlock()
					if err != nil {
						seen <- err
					}
					close(seen)
				}()
				return out, seen
			}
			outer := failover.New([]failover.Provider[string, string]{{Name: "tier", Source: src}}, limit)
			_, err := f.collect(t.Context(), outer, "req")
			if !errors.Is(err, errs.ErrCallTimeout) && !errors.Is(err, errs.ErrCommitTimeout) {
				t.Fatalf("err = %v, want the outer group's limit", err)
			}
			if strings.Contains(err.Error(), "own error") {
				t.Errorf("the inner call's reaction to the outer limit reads as the provider's own error:\n%v", err)
			}
			synctest.Wait()
			waitAll(fs)
			mu.Lock()
			defer mu.Unlock()
			if len(cooled) > 0 {
				t.Errorf("the inner group cooled %v down for its caller's limit", cooled)
			}
			if innerCtxErr == nil || !errors.Is(innerErr, innerCtxErr) {
				t.Errorf("the inner call ended with %v, want an error for which errors.Is(err, %v) holds", innerErr, innerCtxErr)
			}
		})
	}
}
