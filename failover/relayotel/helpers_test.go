package relayotel_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/relayotel"
	"github.com/relay-go/relay/stream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// sdk is the real OpenTelemetry SDK, recording in memory: spans as they
// end, metrics when read.
type sdk struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newSDK() *sdk {
	s := &sdk{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	s.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.spans))
	s.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	return s
}

// option is relayotel for a group named group, on the recording SDK.
func (s *sdk) option(group string) failover.Option {
	return relayotel.New(group, relayotel.WithTracerProvider(s.tp), relayotel.WithMeterProvider(s.mp))
}

// node is a span as the tests compare it.
type node struct {
	Name     string
	Attrs    map[string]string // but relay.group and relay.call, which every span of a test shares or differs in by run
	Status   string            // "Error: message" for an error
	Events   []string          // names, in order
	Children []node            // in the order they started
}

// tree returns the trees of spans that ended, roots first, each level in
// the order the spans started; it fails the test if a span that started
// has not ended.
func (s *sdk) tree(t *testing.T) []node {
	t.Helper()
	started, ended := len(s.spans.Started()), s.spans.Ended()
	if started != len(ended) {
		t.Errorf("%d spans started, %d ended", started, len(ended))
	}
	spans := slices.Clone(ended)
	slices.SortStableFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	var build func(parent trace.SpanID) []node
	build = func(parent trace.SpanID) []node {
		var out []node
		for _, sp := range spans {
			if sp.Parent().SpanID() != parent {
				continue
			}
			n := node{Name: sp.Name(), Attrs: map[string]string{}}
			for _, kv := range sp.Attributes() {
				if kv.Key == "relay.group" || kv.Key == "relay.call" {
					continue
				}
				n.Attrs[string(kv.Key)] = kv.Value.String()
			}
			if len(n.Attrs) == 0 {
				n.Attrs = nil
			}
			if st := sp.Status(); st.Code == codes.Error {
				n.Status = "Error: " + st.Description
			}
			for _, ev := range sp.Events() {
				n.Events = append(n.Events, ev.Name)
			}
			n.Children = build(sp.SpanContext().SpanID())
			out = append(out, n)
		}
		return out
	}
	return build(trace.SpanID{})
}

// traced is a provider that starts a span of its own from the context
// its Source is called with, as an instrumented HTTP client or SDK does.
func traced(tp trace.TracerProvider, name string, src stream.Source[string, string]) stream.Source[string, string] {
	tracer := tp.Tracer("provider")
	return func(ctx context.Context, req string) (<-chan string, <-chan error) {
		_, span := tracer.Start(ctx, name)
		defer span.End()
		return src(ctx, req)
	}
}

// metrics reads every metric: counters and up-down counters as their sum,
// histograms as "count=N sum=S", each by its attributes (but relay.group)
// written k=v,k=v.
func (s *sdk) metrics(t *testing.T) map[string]map[string]string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			points := map[string]string{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if p.Value != 0 || !d.IsMonotonic {
						points[label(p.Attributes)] = fmt.Sprint(p.Value)
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					points[label(p.Attributes)] = fmt.Sprintf("count=%d sum=%g", p.Count, p.Sum)
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					points[label(p.Attributes)] = fmt.Sprintf("count=%d sum=%d", p.Count, p.Sum)
				}
			default:
				t.Fatalf("metric %s: unexpected data %T", m.Name, m.Data)
			}
			if len(points) > 0 {
				out[m.Name+" ("+m.Unit+")"] = points
			}
		}
	}
	return out
}

func label(set attribute.Set) string {
	var kv []string
	for _, a := range set.ToSlice() {
		if a.Key == "relay.group" {
			continue
		}
		kv = append(kv, strings.TrimPrefix(string(a.Key), "relay.")+"="+a.Value.String())
	}
	slices.SortFunc(kv, cmp.Compare)
	return strings.Join(kv, ",")
}

// providers names sources "a", "b", ... in order.
func providers(src ...stream.Source[string, string]) []failover.Provider[string, string] {
	ps := make([]failover.Provider[string, string], len(src))
	for i, s := range src {
		ps[i] = failover.Provider[string, string]{Name: string(rune('a' + i)), Source: s}
	}
	return ps
}
