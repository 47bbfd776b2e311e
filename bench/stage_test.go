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
// cost.
func BenchmarkStage(b *testing.B) {
	for _, tc := range []struct {
		name string
		src  stream.Source[int, int]
	}{
		{"map", stream.Map(endless, func(t int) int { return t + 1 })},
		{"filter", stream.Filter(endless, func(int) bool { return true })},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			out, _ := tc.src(ctx, 0)
			b.ReportAllocs()
			for b.Loop() {
				<-out
			}
			cancel()
			drainAll(out)
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
