package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/relayotel"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func main() {
	hold := flag.Duration("hold", 0, "keep serving /metrics this long before the scrape and the exit")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *hold+30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

// run does the whole show, writing to w, and returns once the server it
// started has stopped.
func run(ctx context.Context, w io.Writer, hold time.Duration) error {
	// Metrics: the OpenTelemetry SDK, read by the Prometheus exporter
	// into a registry of our own, served on a loopback port.
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer mp.Shutdown(context.Background())

	// Traces: the SDK, exporting each span as it ends to memory.
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Shutdown(context.Background())
		<-served
	}()
	url := "http://" + ln.Addr().String() + "/metrics"
	fmt.Fprintln(w, "serving", url)

	calls(ctx, w, relayotel.WithTracerProvider(tp), relayotel.WithMeterProvider(mp))

	fmt.Fprintln(w, "\ntraces:")
	printTree(w, spans.GetSpans().Snapshots(), trace.SpanID{}, "  ")

	if hold > 0 {
		fmt.Fprintf(w, "\nholding for %v\n", hold)
		select {
		case <-time.After(hold):
		case <-ctx.Done():
		}
	}
	fmt.Fprintln(w, "\nscraped from", url+":")
	return scrape(ctx, w, url)
}

// calls makes a few calls of an outer group of providers, whose second
// provider is an inner group, both observed with relayotel.
func calls(ctx context.Context, w io.Writer, opts ...relayotel.Option) {
	overloaded := errors.New("503 overloaded")
	// The primary serves the first call, fails the second at once, and
	// is slow on the third, which a hedge serves.
	primary := streamtest.New[string](
		streamtest.Script[string]{Tokens: []string{"Hello", ",", " world"}},
		streamtest.Script[string]{Err: overloaded},
		streamtest.Script[string]{Tokens: []string{"too", " late"}, FirstDelay: time.Second},
	)
	// The inner group: a regional pair, whose first provider is down.
	inner := failover.New([]failover.Provider[string, string]{
		{Name: "eu", Source: streamtest.Fails[string, string](overloaded).Source},
		{Name: "us", Source: streamtest.New[string](streamtest.Script[string]{Tokens: []string{"Hi", " there"}, FirstDelay: 2 * time.Millisecond}).Source},
	}, relayotel.New("regional", opts...))
	outer := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: primary.Source},
		{Name: "regional", Source: inner.Stream},
	}, failover.Hedge(50*time.Millisecond), relayotel.New("chat", opts...))

	for i := range 3 {
		toks, err := stream.Collect(ctx, outer.Stream, "Say hello")
		fmt.Fprintf(w, "call %d: %q %v\n", i+1, strings.Join(toks, ""), err)
	}
	primary.Wait()
}

// printTree prints the spans under parent, in the order they started.
func printTree(w io.Writer, spans []sdktrace.ReadOnlySpan, parent trace.SpanID, indent string) {
	spans = slices.Clone(spans)
	slices.SortStableFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	for _, s := range spans {
		if s.Parent().SpanID() != parent {
			continue
		}
		var attrs []string
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case "relay.group", "relay.provider", "relay.call":
				continue // in the name, or noise here
			}
			attrs = append(attrs, strings.TrimPrefix(string(kv.Key), "relay.")+"="+kv.Value.String())
		}
		line := fmt.Sprintf("%s%s (%v) %s", indent, s.Name(), s.EndTime().Sub(s.StartTime()).Round(time.Millisecond), strings.Join(attrs, " "))
		if d := s.Status().Description; d != "" {
			line += fmt.Sprintf(" error=%q", d)
		}
		for _, e := range s.Events() {
			if e.Name != "exception" {
				line += " [" + e.Name + "]"
			}
		}
		fmt.Fprintln(w, line)
		printTree(w, spans, s.SpanContext().SpanID(), indent+"  ")
	}
}

// scrape reads url and prints its relay metrics, without the histograms'
// buckets.
func scrape(ctx context.Context, w io.Writer, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		l := lines.Text()
		if strings.HasPrefix(l, "relay_") && !strings.Contains(l, "_bucket{") {
			fmt.Fprintln(w, "  "+l)
		}
	}
	return lines.Err()
}
