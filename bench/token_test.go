package bench

import (
	"context"
	"iter"
	"testing"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

// BenchmarkToken measures the cost of one token after the commit, on a
// stream that never ends. Every sub-benchmark reads from the same kind of
// provider; the baselines run beside relay in the same run.
func BenchmarkToken(b *testing.B) {
	first := func(src func(context.Context, int) (<-chan int, <-chan error)) func(context.Context) <-chan int {
		return func(ctx context.Context) <-chan int { out, _ := src(ctx, 0); return out }
	}
	b.Run("direct-plain", func(b *testing.B) { readPlain(b, first(endless)) })
	b.Run("direct-robust", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		out, _ := endless(ctx, 0)
		done := ctx.Done()
		b.ReportAllocs()
		for b.Loop() {
			select {
			case <-out:
			case <-done:
			}
		}
		cancel()
		drainAll(out)
	})
	b.Run("direct-robust-iter", func(b *testing.B) {
		// The robust direct read delivered as an iter.Seq2, as Group.All
		// delivers it: the cost of the iterator protocol itself.
		ctx, cancel := context.WithCancel(context.Background())
		out, _ := endless(ctx, 0)
		b.ReportAllocs()
		for range robustSeq(ctx, out) {
			if !b.Loop() {
				break
			}
		}
		cancel()
		drainAll(out)
	})
	b.Run("forwarder-plain", func(b *testing.B) {
		readPlain(b, func(ctx context.Context) <-chan int { return forwardPlain(ctx, endless) })
	})
	b.Run("forwarder-robust", func(b *testing.B) {
		readPlain(b, func(ctx context.Context) <-chan int { return forwardRobust(ctx, endless) })
	})
	b.Run("relay-stream", func(b *testing.B) { readPlain(b, first(group(endless).Stream)) })
	b.Run("relay-stream-timeouts", func(b *testing.B) { readPlain(b, first(groupWith(timeouts, endless).Stream)) })
	for _, tc := range []struct {
		name string
		g    *failover.Group[int, int]
	}{
		{"relay-all", group(endless)},
		{"relay-all-timeouts", groupWith(timeouts, endless)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			b.ReportAllocs()
			for range tc.g.All(ctx, 0) {
				if !b.Loop() {
					break
				}
			}
		})
	}
	b.Run("batch=16", func(b *testing.B) {
		// One token's share of a 16-token batch: the consumer takes a
		// batch per 16 iterations.
		ctx, cancel := context.WithCancel(context.Background())
		out, _ := stream.Batch(endless, 16, 0)(ctx, 0)
		b.ReportAllocs()
		var batch []int
		for b.Loop() {
			if len(batch) == 0 {
				batch = <-out
			}
			batch = batch[1:]
		}
		cancel()
		drainAll(out)
	})
}

// readPlain measures a plain receive per token from the channel that open
// returns, then cancels the stream and waits for it to end.
func readPlain(b *testing.B, open func(ctx context.Context) <-chan int) {
	ctx, cancel := context.WithCancel(context.Background())
	out := open(ctx)
	b.ReportAllocs()
	for b.Loop() {
		<-out
	}
	cancel()
	drainAll(out)
}

// forwardPlain is the minimal hand-written forwarder: a plain receive, a
// send that watches ctx.
func forwardPlain(ctx context.Context, src stream.Source[int, int]) <-chan int {
	in, _ := src(ctx, 0)
	out := make(chan int)
	go func() {
		defer close(out)
		for t := range in {
			select {
			case out <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// forwardRobust is the fair baseline for the channel form: receive and send
// each watch ctx, so that it never hangs on a provider that ignores ctx.
func forwardRobust(ctx context.Context, src stream.Source[int, int]) <-chan int {
	in, _ := src(ctx, 0)
	out := make(chan int)
	done := ctx.Done()
	go func() {
		defer close(out)
		for {
			var t int
			var ok bool
			select {
			case t, ok = <-in:
				if !ok {
					return
				}
			case <-done:
				return
			}
			select {
			case out <- t:
			case <-done:
				return
			}
		}
	}()
	return out
}

// robustSeq is a hand-written pull iterator over a channel, each receive
// watching ctx.
func robustSeq(ctx context.Context, in <-chan int) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		done := ctx.Done()
		for {
			select {
			case t, ok := <-in:
				if !ok || !yield(t, nil) {
					return
				}
			case <-done:
				yield(0, ctx.Err())
				return
			}
		}
	}
}
