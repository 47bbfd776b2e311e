package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// BenchmarkScale measures the cost of a token when many streams run at
// once, each read by its own goroutine: 1, 100 and 10,000 streams. Each
// reader opens its stream once, so the per-call setup is spread over the
// tokens it reads. Every provider goroutine has ended, and the heap has
// been collected, before the next benchmark starts, so that one
// benchmark's streams do not slow down the next.
func BenchmarkScale(b *testing.B) {
	var running sync.WaitGroup
	endless := counted(&running)
	for _, streams := range []int{1, 100, 10_000} {
		for _, path := range []struct {
			name string
			read func(next func() bool)
		}{
			{"direct-robust", func(next func() bool) {
				ctx, cancel := context.WithCancel(context.Background())
				out, _ := endless(ctx, 0)
				done := ctx.Done()
				for next() {
					select {
					case <-out:
					case <-done:
					}
				}
				cancel()
				drainAll(out)
			}},
			{"relay-all", func(next func() bool) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				for range group(endless).All(ctx, 0) {
					if !next() {
						break
					}
				}
			}},
			{"forwarder-robust", func(next func() bool) {
				ctx, cancel := context.WithCancel(context.Background())
				out := forwardRobust(ctx, endless)
				for next() {
					<-out
				}
				cancel()
				drainAll(out)
			}},
			{"relay-stream", func(next func() bool) {
				ctx, cancel := context.WithCancel(context.Background())
				out, _ := group(endless).Stream(ctx, 0)
				for next() {
					<-out
				}
				cancel()
				drainAll(out)
			}},
		} {
			b.Run(fmt.Sprintf("streams=%d/%s", streams, path.name), func(b *testing.B) {
				runtime.GC()
				b.ReportAllocs()
				if streams == 1 {
					path.read(b.Loop)
				} else {
					b.SetParallelism((streams + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
					b.RunParallel(func(pb *testing.PB) { path.read(pb.Next) })
				}
				b.StopTimer()
				running.Wait()
			})
		}
	}
}
