package failover_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

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

// tripCtx is a caller's context that ends in the instant between two
// reads of its Err: from at on, the first two reads still say nil (one
// context.Cause makes two), and the context ends before the next.
type tripCtx struct {
	context.Context
	cancel context.CancelFunc
	at     time.Time
	reads  atomic.Int32
}

func (c *tripCtx) Err() error {
	if time.Now().Before(c.at) {
		return c.Context.Err()
	}
	if c.reads.Add(1) <= 2 {
		return nil
	}
	c.cancel()
	return c.Context.Err()
}

func TestNoAttemptHasANilCause(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// The Source call blocks until its context ends; the first-token
		// timeout ends it, and the caller's context ends in that instant.
		release := make(chan struct{})
		defer close(release)
		blocks := func(ctx context.Context, _ string) (<-chan string, <-chan error) {
			<-release // ignores ctx: only the attempt's context ends the wait
			return streamtest.Fails[string, string](errA).Source(ctx, "")
		}
		var events []error
		var mu sync.Mutex
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: blocks}},
			failover.Hedge(time.Hour), failover.FirstTokenTimeout(10*time.Millisecond),
			failover.Observe(func(e failover.Event) {
				if e.Kind == failover.AttemptFailed {
					mu.Lock()
					events = append(events, e.Err)
					mu.Unlock()
				}
			}))
		inner, cancel := context.WithCancel(t.Context())
		defer cancel()
		ctx, rep := failover.WithReport(&tripCtx{Context: inner, cancel: cancel, at: time.Now().Add(10 * time.Millisecond)})
		_, err := drain(f.read(ctx, g, "req")) // the group sees tripCtx itself
		var fe *errs.FailoverError
		if !errors.As(err, &fe) || len(fe.Attempts) != 1 {
			t.Fatalf("err = %v, want a FailoverError of one attempt", err)
		}
		if fe.Attempts[0].Err == nil {
			t.Errorf("the FailoverError's attempt has a nil cause: %v", err)
		}
		for _, a := range rep.Attempts() {
			if a.Err == nil {
				t.Errorf("the report's attempt %s#%d has a nil cause", a.Provider, a.Number)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(events) != 1 || events[0] == nil {
			t.Errorf("AttemptFailed events carry %v, want one cause", events)
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

// sendsAsItEnds streams x, then waits; the moment its context ends it
// puts y in its buffer and reports success: a token that arrives in the
// very instant relay stops the attempt.
func sendsAsItEnds(ctx context.Context, _ string) (<-chan string, <-chan error) {
	out := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		defer close(errc)
		select {
		case out <- "x":
		case <-ctx.Done():
			return
		}
		<-ctx.Done()
		out <- "y"
	}()
	return out, errc
}

func TestCommitAfterNeverCommitsAnAttemptItsTimeoutEnded(t *testing.T) {
	t.Parallel()
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			// The second content token arrives in the very instant the idle
			// timeout ends the attempt: the call must fail over, never
			// commit x and y and then end with the timeout.
			bad := 0
			for range 200 {
				synctest.Test(t, func(t *testing.T) {
					backup := streamtest.Tokens[string]("p")
					g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: sendsAsItEnds}, {Name: "b", Source: backup.Source}},
						failover.CommitAfter(2), failover.IdleTimeout(time.Second))
					got, err := f.collect(t.Context(), g, "req")
					if err != nil || diff([]string{"p"}, got) != "" {
						if bad++; bad == 1 {
							t.Errorf("got %q, %v; want p after a's idle timeout", got, err)
						}
					}
					synctest.Wait()
					backup.Wait()
				})
			}
			if bad > 0 {
				t.Errorf("%d of 200 calls committed an attempt its idle timeout had ended", bad)
			}
		})
	}
}

func TestCommitAfterNeverCommitsAnAttemptTheCommitTimeoutEnded(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// The content predicate takes long over y: the commit timeout
		// ends the call meanwhile, and y must not commit.
		slow := func(tok string) bool {
			if tok == "y" {
				time.Sleep(2 * time.Second)
			}
			return true
		}
		fs := fakes(toks("x", "y"))
		g := failover.New(providers(fs), failover.CommitAfter(2), failover.Content(slow), failover.CommitTimeout(time.Second))
		got, err := f.collect(t.Context(), g, "req")
		var fe *errs.FailoverError
		if len(got) != 0 || !errors.As(err, &fe) || !errors.Is(err, errs.ErrCommitTimeout) {
			t.Errorf("got %q, %v; want nothing and a FailoverError for the commit timeout", got, err)
		}
		waitAll(fs)
	})
}

func TestAResumedCallKeepsCoolingProvidersLast(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		var bCalls atomic.Int32
		b := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			switch bCalls.Add(1) {
			case 2:
				return streamtest.New[string](script{Tokens: []string{"b0"}, Err: errB}).Source(ctx, req)
			default:
				return streamtest.Tokens[string]("b1").Source(ctx, req)
			}
		}
		a := &switchable{name: "a"}
		a.set(errA, 0)
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}, {Name: "b", Source: b}},
			failover.Cooldown(1, time.Minute), failover.Resume(continueText))
		serve(t, f, g) // a fails and cools down; b serves
		// a cools down, so b goes first; it commits b0, then fails, and the
		// call resumes: on b again, with a still last.
		ctx, rep := failover.WithReport(t.Context())
		if got, err := f.collect(ctx, g, "req"); err != nil || diff([]string{"b0", "b1"}, got) != "" {
			t.Errorf("got %q, %v; want b0 b1", got, err)
		}
		if got := tried(rep); got != "bb" {
			t.Errorf("the call tried %q, want b, then b again: a cools down and stays last", got)
		}
		a.wait()
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

func TestIdleTimeoutEndsAStallWithinAQuarterOfItsLength(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		const d = 30 * time.Second
		fs := fakes([]script{{Tokens: []string{"x", "y"}, Gap: 3 * time.Second, Stall: true, StallAfter: 2}})
		g := failover.New(providers(fs), failover.IdleTimeout(d))
		start := time.Now()
		_, err := f.collect(t.Context(), g, "req")
		silent := time.Since(start) - 3*time.Second // y came 3s after x
		if !errors.Is(err, errs.ErrIdleTimeout) || silent < d || silent > d+d/4 {
			t.Errorf("the stall ended after %v of silence with %v, want an idle timeout within [%v, %v]", silent, err, d, d+d/4)
		}
		if err != nil && !strings.Contains(err.Error(), "no token for 30s") {
			t.Errorf("the message does not say how long the provider was silent: %v", err)
		}
		waitAll(fs)
	})
}
