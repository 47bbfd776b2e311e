package relayotel

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/relay-go/relay/failover"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// scope names the instrumentation: the tracer and the meter.
const scope = "github.com/relay-go/relay/failover/relayotel"

// New returns an option of a failover group that traces its calls and
// counts them, in OpenTelemetry: a span per call with a child span per
// attempt, and the metrics the package doc lists, every one with the
// attribute relay.group = group.
//
// Each attempt's span is in the context its provider's Source is called
// with, so the provider's own spans (an instrumented HTTP client, an
// SDK's) are its children, and the call of a group nested in the
// attempt is too. Every span ends: an attempt's at its outcome (or, for
// one the caller cut short by leaving the pull form's loop, when the
// call ends), the call's when its stream has ended.
//
// The observer runs on the goroutine that drives the call, as every
// observer does ([failover.Observe]). It works per attempt and per call,
// never per token: with the no-op providers, one allocation per call and
// a few counter calls per attempt; with a recording SDK, what that SDK
// costs for two spans and a dozen measurements. The attribute sets of the
// metrics are made once per provider. The same option may serve several
// groups; they then share the relay.group value.
//
// New panics if group is empty or an option is nil.
func New(group string, opts ...Option) failover.Option {
	if group == "" {
		panic("failover: relayotel.New needs a group name")
	}
	c := resolve(opts)
	if tracerOf(c.tracers) == nil && isNoopMeters(c.meters) {
		// Nothing would be recorded: no observer at all, so that a group
		// pays nothing when OpenTelemetry is turned off. (Any observer
		// costs a call something; see bench/README.md.)
		return failover.Options()
	}
	o := &observer{
		group:    group,
		tracer:   tracerOf(c.tracers),
		in:       newInstruments(c.meters.Meter(scope)),
		span:     "relay " + group,
		spanOpts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(keyGroup.String(group))},
	}
	for k := range o.calls {
		o.calls[k] = newAttrs(keyGroup.String(group), keyOutcome.String(outcome(k).String()))
	}
	empty := map[string]*provider{}
	o.providers.Store(&empty)
	return failover.ObserveContext(o.observe)
}

// observer turns the events of a group's calls into spans and metrics.
type observer struct {
	group    string
	tracer   trace.Tracer // nil: tracing is off
	in       instruments
	span     string                  // the calls' span name
	spanOpts []trace.SpanStartOption // the calls' span options
	calls    [hedgeLost]attrs        // calls that no provider served, by outcome

	providers atomic.Pointer[map[string]*provider] // copied on write
	mu        sync.Mutex                           // serializes writers of providers
}

// isNoopMeters reports whether mp is otel's no-op MeterProvider, which
// records nothing.
func isNoopMeters(mp metric.MeterProvider) bool {
	switch mp.(type) {
	case metricnoop.MeterProvider, *metricnoop.MeterProvider:
		return true
	}
	return false
}

// tracerOf returns tp's tracer, or nil for otel's no-op provider: then
// no span is started at all, which saves their cost, and the provider's
// own spans keep the caller's span as their parent (a no-op tracer would
// hide it behind a span of its own).
func tracerOf(tp trace.TracerProvider) trace.Tracer {
	switch tp.(type) {
	case tracenoop.TracerProvider, *tracenoop.TracerProvider:
		return nil
	}
	return tp.Tracer(scope)
}

// off is the span of every call and attempt when tracing is off.
var off trace.Span = tracenoop.Span{}

// start starts a span named name in ctx, with opts, unless tracing is
// off.
func (o *observer) start(ctx context.Context, name string, opts []trace.SpanStartOption) (context.Context, trace.Span) {
	if o.tracer == nil {
		return ctx, off
	}
	return o.tracer.Start(ctx, name, opts...)
}

// provider is what the observer precomputes for one provider of the
// group, the first time it sees it: the names and attribute sets its
// events use.
type provider struct {
	name     string
	span     string                  // its attempts' span name
	start    []trace.SpanStartOption // its attempts' span options
	base     attrs                   // group and provider
	attempts [outcomes]attrs         // with the attempt's outcome
	calls    [hedgeLost]attrs        // with the outcome of a call it served
}

// provider returns the provider named name, making it the first time.
func (o *observer) provider(name string) *provider {
	if p := (*o.providers.Load())[name]; p != nil {
		return p
	}
	return o.add(name)
}

// add makes the provider named name, once.
//
//go:noinline
func (o *observer) add(name string) *provider {
	o.mu.Lock()
	defer o.mu.Unlock()
	old := *o.providers.Load()
	if p := old[name]; p != nil {
		return p
	}
	g, pn := keyGroup.String(o.group), keyProvider.String(name)
	p := &provider{
		name:  name,
		span:  o.span + "/" + name,
		start: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(g, pn)},
		base:  newAttrs(g, pn),
	}
	for k := range p.attempts {
		p.attempts[k] = newAttrs(g, pn, keyOutcome.String(outcome(k).String()))
	}
	for k := range p.calls {
		p.calls[k] = newAttrs(g, pn, keyOutcome.String(outcome(k).String()))
	}
	m := make(map[string]*provider, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[name] = p
	o.providers.Store(&m)
	return p
}

// observe is the observer given to failover.ObserveContext. The state of
// a call and of each attempt lives in the context it returns for
// CallStarted and AttemptStarted, so that the later events, which come
// with those contexts (or ones derived from them), find it there.
func (o *observer) observe(ctx context.Context, e failover.Event) context.Context {
	switch e.Kind {
	case failover.CallStarted:
		return o.callStarted(ctx, &e)
	case failover.AttemptStarted:
		return o.attemptStarted(ctx, &e)
	case failover.CallDone:
		if c := o.callOf(ctx); c != nil {
			c.done(&e)
		}
	case failover.Probe, failover.CooldownStarted, failover.Recovered, failover.AtLimit:
		if c := o.callOf(ctx); c != nil {
			c.event(&e)
		}
	default: // the events of an attempt
		if a := o.attemptOf(ctx); a != nil {
			a.event(&e)
		}
	}
	return ctx
}
