package bench

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

// BenchmarkMemory measures the memory one idle in-flight stream holds:
// 10,000 streams are opened, each has delivered its first token to its
// reader, and every provider is stalled. The metric B/stream is the live
// heap and goroutine stacks per stream; extra-B/stream subtracts a reader
// of the bare provider measured the same way in the same iteration, so it
// is what relay adds beyond the provider's own.
func BenchmarkMemory(b *testing.B) {
	const streams = 10_000
	direct := func(ctx context.Context, first func()) {
		out, _ := stallAfterOne(ctx, 0)
		<-out
		first()
		select {
		case <-out:
		case <-ctx.Done():
		}
		drainAll(out)
	}
	// One group per path, as a program has: what a stream holds is its
	// call's state, not the group's.
	plain, timed := group(stallAfterOne), groupWith(timeouts, stallAfterOne)
	for _, path := range []struct {
		name string
		read func(ctx context.Context, first func())
	}{
		{"relay-stream", func(ctx context.Context, first func()) {
			out, _ := plain.Stream(ctx, 0)
			<-out
			first()
			drainAll(out)
		}},
		{"relay-stream-timeouts", func(ctx context.Context, first func()) {
			out, _ := timed.Stream(ctx, 0)
			<-out
			first()
			drainAll(out)
		}},
		{"relay-all", func(ctx context.Context, first func()) {
			for _, err := range plain.All(ctx, 0) {
				if err == nil {
					first()
				}
			}
		}},
		{"relay-all-timeouts", func(ctx context.Context, first func()) {
			for _, err := range timed.All(ctx, 0) {
				if err == nil {
					first()
				}
			}
		}},
	} {
		b.Run(path.name, func(b *testing.B) {
			var total, extra float64
			for b.Loop() {
				base := held(streams, direct)
				got := held(streams, path.read)
				total += got
				extra += got - base
			}
			b.ReportMetric(total/float64(b.N), "B/stream")
			b.ReportMetric(extra/float64(b.N), "extra-B/stream")
			b.ReportMetric(0, "ns/op")
		})
	}
}

var timeouts = timeoutOpts()

// held opens n streams with read, waits until each has delivered its first
// token, and returns the live heap and stack bytes per stream.
func held(n int, read func(ctx context.Context, first func())) float64 {
	ctx, cancel := context.WithCancel(context.Background())
	before := live()
	var firsts, done sync.WaitGroup
	firsts.Add(n)
	for range n {
		done.Go(func() { read(ctx, firsts.Done) })
	}
	firsts.Wait()
	after := live()
	cancel()
	done.Wait()
	return float64(after-before) / float64(n)
}

func live() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}
