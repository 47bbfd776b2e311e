package relayotel_test

import (
	"context"
	"strings"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/relayotel"
	"github.com/relay-go/relay/stream"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

func TestMisuseAtConstructionPanics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		make func()
	}{
		{"New without a group name panics", func() { relayotel.New("") }},
		{"New with a nil option panics", func() { relayotel.New("chat", nil) }},
		{"WithTracerProvider with a nil provider panics", func() { relayotel.WithTracerProvider(nil) }},
		{"WithMeterProvider with a nil provider panics", func() { relayotel.WithMeterProvider(nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "failover: relayotel.") {
					t.Errorf("it panicked with %q, want a message starting %q", msg, "failover: relayotel.")
				}
			}()
			tc.make()
		})
	}
}

// TestTelemetryOffCostsNothing: with both providers no-op, a call through
// a group with relayotel allocates what one without it does: there is no
// observer at all.
func TestTelemetryOffCostsNothing(t *testing.T) {
	src := stream.FromSlice[string]([]string{"ok"}, nil)
	plain := failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}})
	off := failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}},
		relayotel.New("chat", relayotel.WithTracerProvider(tracenoop.NewTracerProvider()), relayotel.WithMeterProvider(metricnoop.NewMeterProvider())))
	call := func(g *failover.Group[string, string]) func() {
		return func() {
			for range g.All(context.Background(), "q") {
			}
		}
	}
	if a, b := testing.AllocsPerRun(100, call(plain)), testing.AllocsPerRun(100, call(off)); a != b {
		t.Errorf("a call allocates %v times without relayotel and %v with it turned off, want the same", a, b)
	}
}
