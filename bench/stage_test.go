package bench

import (
	"context"
	"testing"
	"time"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

func timeoutOpts() []failover.Option {
	return []failover.Option{failover.FirstTokenTimeout(time.Minute), failover.IdleTimeout(time.Minute)}
}

// BenchmarkStage measures one token through each stream stage, beside the
// robust forwarder, which is the least a stage with its own goroutine can
// cost. "generate" is a source built with stream.Generate, to compare with
// the hand-written endless provider read directly (Token/direct-plain).
func BenchmarkStage(b *testing.B) {
	for _, tc := range []struct {
		name string
		src  stream.Source[int, int]
	}{
		{"generate", stream.Generate(func(ctx context.Context, _ int, yield func(int) bool) error {
			for i := 0; yield(i); i++ {
			}
			return ctx.Err()
		})},
		{"map", stream.Map(endless, func(t int) int { return t + 1 })},
		{"filter", stream.Filter(endless, func(int) bool { return true })},
	} {
		b.Run(tc.name, func(b *testing.B) {
			readPlain(b, func(ctx context.Context) <-chan int { out, _ := tc.src(ctx, 0); return out })
		})
	}
	b.Run("tee", func(b *testing.B) {
		// Both branches are read; one iteration is one token to each.
		ctx, cancel := context.WithCancel(context.Background())
		x, y := stream.Tee(ctx, endless, 0, 0)
		b.ReportAllocs()
		for b.Loop() {
			<-x.Tokens
			<-y.Tokens
		}
		cancel()
		go drainAll(x.Tokens)
		drainAll(y.Tokens)
	})
}
