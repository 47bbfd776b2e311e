package bench

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/relayotel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ended is an OpenTelemetry span processor that counts the spans the SDK
// recorded and keeps none, so that a long benchmark holds no memory for
// them: the SDK's own cost, without an exporter's.
type ended struct{ n atomic.Int64 }

func (*ended) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (e *ended) OnEnd(sdktrace.ReadOnlySpan)                   { e.n.Add(1) }
func (*ended) Shutdown(context.Context) error                  { return nil }
func (*ended) ForceFlush(context.Context) error                { return nil }

// BenchmarkOtel measures what relayotel adds to a call that streams one
// token, under a cancelable caller context, beside the same call without
// an observer and with an observer that does nothing (the cost of the
// events themselves): relayotel on OpenTelemetry's no-op providers (what
// a program that has not set up OpenTelemetry pays), and on the SDK,
// recording every span (sampled always) and every measurement (read by
// a ManualReader) in memory.
func BenchmarkOtel(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	spans := &ended{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer tp.Shutdown(context.Background())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	for _, row := range []struct {
		name string
		opts []failover.Option
	}{
		{"none", nil},
		{"observe", []failover.Option{failover.Observe(func(failover.Event) {})}},
		{"noop", []failover.Option{relayotel.New("bench",
			relayotel.WithTracerProvider(tracenoop.NewTracerProvider()),
			relayotel.WithMeterProvider(metricnoop.NewMeterProvider()))}},
		{"sdk", []failover.Option{relayotel.New("bench",
			relayotel.WithTracerProvider(tp),
			relayotel.WithMeterProvider(mp))}},
	} {
		g := groupWith(row.opts, oneToken)
		b.Run("cancel/"+row.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				consume(g.Stream(ctx, 0))
			}
		})
	}
}
