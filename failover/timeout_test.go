package failover_test

// The timeouts are tested in testing/synctest bubbles (eachForm makes one
// per form), where time is fake and exact: a time.Sleep here advances the
// bubble's clock, and waits for nothing.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

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

// tripCtx is a caller's context that ends in the instant between two
// reads of its Err: from at on, the first two reads still say nil (one
// context.Cause makes two), and the context ends before the next.
type tripCtx struct {
	context.Context
	cancel context.CancelFunc
	at     time.Time
	reads  atomic.Int32
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
