package bench

import (
	"context"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/fallback"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/relay-go/relay/failover"
)

func consume(out <-chan int, errc <-chan error) {
	for range out {
	}
	<-errc
}

// callContexts are the caller contexts every per-call benchmark runs
// under: context.Background(), and a cancelable context as a server's
// request has, whose Done channel every context derived from it must
// watch. The rows under the second are named "cancel/...".
func callContexts(b *testing.B, body func(b *testing.B, prefix string, ctx context.Context)) {
	body(b, "", context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body(b, "cancel/", ctx)
}

// BenchmarkCall measures the cost of a whole call that streams one token:
// the setup, the commit and the end, beside a bare provider call and
// failsafe-go's retry and fallback around the equivalent calls.
func BenchmarkCall(b *testing.B) {
	callContexts(b, func(b *testing.B, prefix string, ctx context.Context) {
		b.Run(prefix+"bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				consume(oneToken(ctx, 0))
			}
		})
		one := group(oneToken)
		b.Run(prefix+"relay-stream", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				consume(one.Stream(ctx, 0))
			}
		})
		b.Run(prefix+"relay-all", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for range one.All(ctx, 0) {
				}
			}
		})
		// Eight providers, the first of which serves: the cost of the
		// call's order, and of the health bookkeeping when it is on.
		eight := eightOneToken()
		// Every provider capped, far above what the benchmark reaches.
		ps := make([]failover.Provider[int, int], len(eight))
		for i, s := range eight {
			ps[i] = failover.Provider[int, int]{Name: string(rune('a' + i)), Source: s, MaxConcurrent: 1 << 20}
		}
		capped := failover.New(ps)
		for _, tc := range []struct {
			name string
			g    *failover.Group[int, int]
		}{
			{"relay-stream-8", group(eight...)},
			{"relay-stream-8-cooldown", groupWith([]failover.Option{failover.Cooldown(3, time.Minute)}, eight...)},
			{"relay-stream-8-leastbusy", groupWith([]failover.Option{failover.LeastBusy()}, eight...)},
			{"relay-stream-8-maxconcurrent", capped},
		} {
			b.Run(prefix+tc.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					consume(tc.g.Stream(ctx, 0))
				}
			})
		}
		b.Run(prefix+"bare-failover-once", func(b *testing.B) {
			// By hand: call the failing provider, see its error, call the next.
			b.ReportAllocs()
			for b.Loop() {
				consume(failsAtOnce(ctx, 0))
				consume(oneToken(ctx, 0))
			}
		})
		twice := group(failsAtOnce, oneToken)
		b.Run(prefix+"relay-stream-failover-once", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				consume(twice.Stream(ctx, 0))
			}
		})
		b.Run(prefix+"relay-all-failover-once", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for range twice.All(ctx, 0) {
				}
			}
		})
		exec := failsafe.With[int](fallback.NewWithResult(0), retrypolicy.NewWithDefaults[int]())
		b.Run(prefix+"failsafe-func", func(b *testing.B) {
			// failsafe-go's retry and fallback around a plain function call
			// that succeeds: it has no streaming form.
			b.ReportAllocs()
			for b.Loop() {
				_, _ = exec.Get(func() (int, error) { return 1, nil })
			}
		})
		b.Run(prefix+"failsafe-bare", func(b *testing.B) {
			// The same around the bare provider call, read to its end.
			b.ReportAllocs()
			for b.Loop() {
				_, _ = exec.Get(func() (int, error) {
					out, errc := oneToken(ctx, 0)
					n := 0
					for t := range out {
						n += t
					}
					return n, <-errc
				})
			}
		})
	})
}

// wrapped is the least a channel-form wrapper can cost: its own goroutine
// and channels, forwarding one provider's tokens with each receive and send
// watching ctx. withCtx adds the per-attempt context that lets a wrapper
// stop the attempt without ending the caller's context.
func wrapped(ctx context.Context, withCtx bool) (<-chan int, <-chan error) {
	out := make(chan int)
	errc := make(chan error, 1)
	go func() {
		actx := ctx
		if withCtx {
			var cancel context.CancelCauseFunc
			actx, cancel = context.WithCancelCause(ctx)
			defer cancel(nil)
		}
		in, ierr := oneToken(actx, 0)
		done := actx.Done()
		var err error
	loop:
		for {
			select {
			case t, ok := <-in:
				if !ok {
					err = <-ierr
					break loop
				}
				select {
				case out <- t:
				case <-done:
					err = ctx.Err()
					break loop
				}
			case <-done:
				err = ctx.Err()
				break loop
			}
		}
		if err != nil {
			errc <- err
		}
		close(errc)
		close(out)
	}()
	return out, errc
}

// robustConsume reads a stream to its end as a consumer that must never
// hang does: every receive also watches ctx.
func robustConsume(ctx context.Context, out <-chan int, errc <-chan error) {
	done := ctx.Done()
	for {
		select {
		case _, ok := <-out:
			if ok {
				continue
			}
			select {
			case <-errc:
			case <-done:
			}
			return
		case <-done:
			return
		}
	}
}

// BenchmarkCallFloor measures the floors under BenchmarkCall's relay rows:
// a bare call under its own context, read plainly and read robustly, and
// a minimal hand-written wrapper, with and without a per-attempt context.
func BenchmarkCallFloor(b *testing.B) {
	callContexts(b, func(b *testing.B, prefix string, ctx context.Context) {
		b.Run(prefix+"bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				consume(oneToken(ctx, 0))
			}
		})
		b.Run(prefix+"bare-ctx", func(b *testing.B) {
			// The bare call under its own context, read with plain receives.
			b.ReportAllocs()
			for b.Loop() {
				actx, cancel := context.WithCancelCause(ctx)
				consume(oneToken(actx, 0))
				cancel(nil)
			}
		})
		b.Run(prefix+"bare-ctx-robust", func(b *testing.B) {
			// The same, read as the pull form must: each receive watching
			// the context, so that a provider that ignores it cannot hang
			// the caller.
			b.ReportAllocs()
			for b.Loop() {
				actx, cancel := context.WithCancelCause(ctx)
				out, errc := oneToken(actx, 0)
				robustConsume(actx, out, errc)
				cancel(nil)
			}
		})
		b.Run(prefix+"wrapped", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				consume(wrapped(ctx, false))
			}
		})
		b.Run(prefix+"wrapped-ctx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				consume(wrapped(ctx, true))
			}
		})
		one := group(oneToken)
		b.Run(prefix+"relay-stream", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				consume(one.Stream(ctx, 0))
			}
		})
		b.Run(prefix+"relay-all", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for range one.All(ctx, 0) {
				}
			}
		})
	})
}

// eightOneToken is eight providers that each stream one token: the first
// serves, and the others make the call's order and health bookkeeping
// cost what they cost with a real list.
func eightOneToken() []func(context.Context, int) (<-chan int, <-chan error) {
	eight := make([]func(context.Context, int) (<-chan int, <-chan error), 8)
	for i := range eight {
		eight[i] = oneToken
	}
	return eight
}
