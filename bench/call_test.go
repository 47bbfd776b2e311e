package bench

import (
	"context"
	"testing"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/fallback"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
)

func consume(out <-chan int, errc <-chan error) {
	for range out {
	}
	<-errc
}

// BenchmarkCall measures the cost of a whole call that streams one token:
// the setup, the commit and the end, beside a bare provider call and
// failsafe-go's retry and fallback around the equivalent calls.
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			consume(oneToken(ctx, 0))
		}
	})
	one := group(oneToken)
	b.Run("relay-stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			consume(one.Stream(ctx, 0))
		}
	})
	b.Run("relay-all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for range one.All(ctx, 0) {
			}
		}
	})
	b.Run("bare-failover-once", func(b *testing.B) {
		// By hand: call the failing provider, see its error, call the next.
		b.ReportAllocs()
		for b.Loop() {
			consume(failsAtOnce(ctx, 0))
			consume(oneToken(ctx, 0))
		}
	})
	twice := group(failsAtOnce, oneToken)
	b.Run("relay-stream-failover-once", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			consume(twice.Stream(ctx, 0))
		}
	})
	b.Run("relay-all-failover-once", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for range twice.All(ctx, 0) {
			}
		}
	})
	exec := failsafe.With[int](fallback.NewWithResult(0), retrypolicy.NewWithDefaults[int]())
	b.Run("failsafe-func", func(b *testing.B) {
		// failsafe-go's retry and fallback around a plain function call
		// that succeeds: it has no streaming form.
		b.ReportAllocs()
		for b.Loop() {
			_, _ = exec.Get(func() (int, error) { return 1, nil })
		}
	})
	b.Run("failsafe-bare", func(b *testing.B) {
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

// BenchmarkCallFloor measures the floors under BenchmarkCall's relay rows:
// a minimal hand-written wrapper, with and without a per-attempt context.
func BenchmarkCallFloor(b *testing.B) {
	ctx := context.Background()
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			consume(oneToken(ctx, 0))
		}
	})
	b.Run("bare-ctx", func(b *testing.B) {
		// The pull form's floor: the bare call under its own context.
		b.ReportAllocs()
		for b.Loop() {
			actx, cancel := context.WithCancelCause(ctx)
			consume(oneToken(actx, 0))
			cancel(nil)
		}
	})
	b.Run("wrapped", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			consume(wrapped(ctx, false))
		}
	})
	b.Run("wrapped-ctx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			consume(wrapped(ctx, true))
		}
	})
	one := group(oneToken)
	b.Run("relay-stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			consume(one.Stream(ctx, 0))
		}
	})
	b.Run("relay-all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for range one.All(ctx, 0) {
			}
		}
	})
}
