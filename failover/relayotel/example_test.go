package relayotel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/relayotel"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// A group whose first provider is overloaded: the call's span has a
// failed attempt and the attempt that served it as children.
func ExampleNew() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: streamtest.Fails[string, string](errors.New("overloaded")).Source},
		{Name: "backup", Source: streamtest.Tokens[string]("Hello", ", world").Source},
	}, relayotel.New("chat", relayotel.WithTracerProvider(tp)))

	toks, err := stream.Collect(context.Background(), g.Stream, "Say hello")
	fmt.Printf("%q %v\n", strings.Join(toks, ""), err)
	printTree(spans.Ended(), trace.SpanID{}, "")
	// Output:
	// "Hello, world" <nil>
	// relay chat outcome=ok emitted=2 provider=backup
	//   relay chat/primary outcome=error error="overloaded"
	//   relay chat/backup outcome=ok emitted=2 [relay.commit]
}

// printTree prints the spans under parent, in the order they started,
// with a few of their attributes.
func printTree(spans []sdktrace.ReadOnlySpan, parent trace.SpanID, indent string) {
	spans = slices.Clone(spans)
	slices.SortStableFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	for _, s := range spans {
		if s.Parent().SpanID() != parent {
			continue
		}
		line := indent + s.Name()
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case "relay.outcome", "relay.provider", "relay.emitted":
				if kv.Key == "relay.provider" && strings.Contains(s.Name(), "/") {
					continue // in the name
				}
				line += fmt.Sprintf(" %s=%s", strings.TrimPrefix(string(kv.Key), "relay."), kv.Value.String())
			}
		}
		if d := s.Status().Description; d != "" && s.Parent().IsValid() {
			line += fmt.Sprintf(" error=%q", d)
		}
		var events []string
		for _, e := range s.Events() {
			if e.Name != "exception" {
				events = append(events, e.Name)
			}
		}
		if len(events) > 0 {
			line += " [" + strings.Join(events, " ") + "]"
		}
		fmt.Println(line)
		printTree(spans, s.SpanContext().SpanID(), indent+"  ")
	}
}

// The metrics of a group, read from the SDK: here three calls, of which
// the primary served the first (its later calls fail).
func ExampleWithMeterProvider() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	flaky := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"ok"}}, streamtest.Script[string]{Err: errors.New("overloaded")})
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: flaky.Source},
		{Name: "backup", Source: streamtest.Tokens[string]("ok").Source},
	}, relayotel.New("chat", relayotel.WithMeterProvider(mp)))
	for range 3 {
		if _, err := stream.Collect(context.Background(), g.Stream, "Say hello"); err != nil {
			fmt.Println(err)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		sum, ok := m.Data.(metricdata.Sum[int64])
		if !ok || !sum.IsMonotonic {
			continue
		}
		var points []string
		for _, p := range sum.DataPoints {
			provider, _ := p.Attributes.Value("relay.provider")
			point := provider.AsString()
			if outcome, ok := p.Attributes.Value("relay.outcome"); ok {
				point += " " + outcome.AsString()
			}
			points = append(points, fmt.Sprintf("%s: %d", point, p.Value))
		}
		slices.Sort(points)
		fmt.Printf("%s {%s}\n", m.Name, strings.Join(points, ", "))
	}
	// Output:
	// relay.calls {backup ok: 2, primary ok: 1}
	// relay.attempts {backup ok: 2, primary error: 2, primary ok: 1}
	// relay.failovers {primary: 2}
}
