package relayotel

import (
	"context"
	"errors"
	"time"

	"github.com/relay-go/relay/failover"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// call is the state of one call, and the call's context: the context
// CallStarted was given, with the call's span, and itself under its key.
// A context of its own type saves the allocation a context.WithValue
// would cost; it forwards everything else to the context it wraps.
type call struct {
	context.Context
	o        *observer
	span     trace.Span
	start    time.Time
	served   *provider // the provider of the latest commit
	failed   *provider // the provider of an attempt that failed before the commit, until the next attempt starts
	attempts int       // attempts started
	resumes  int       // continuations started (see failover.Resume)
	latest   *attempt  // every attempt of the call, latest first
	a0       attempt   // the first attempt, kept inline to save an allocation
}

// callKey is the key of a call's state in its context: the observer's
// own, so that two observers of one group keep apart.
type callKey struct{ o *observer }

func (c *call) Value(key any) any {
	if k, ok := key.(callKey); ok && k.o == c.o {
		return c
	}
	return c.Context.Value(key)
}

// callOf returns the state of the call whose context ctx is, or nil.
func (o *observer) callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{o}).(*call)
	return c
}

// callStarted starts the call's span, in ctx: as a child of the span of
// the outer group's attempt when the call is nested.
func (o *observer) callStarted(ctx context.Context, e *failover.Event) context.Context {
	ctx, span := o.start(ctx, o.span, o.spanOpts)
	c := &call{Context: ctx, o: o, span: span, start: e.Time}
	if span.IsRecording() {
		span.SetAttributes(keyCall.Int64(int64(e.Call)))
	}
	return c
}

// event handles an event of the call's health: rare, and off the path
// of a call that goes well.
//
//go:noinline
func (c *call) event(e *failover.Event) {
	o := c.o
	var name string
	kv := []attribute.KeyValue{keyProvider.String(e.Provider)}
	switch e.Kind {
	case failover.Probe:
		o.in.probes.Add(c, 1, o.provider(e.Provider).base.add...)
		name = "relay.probe"
	case failover.CooldownStarted:
		o.in.cooldowns.Add(c, 1, o.provider(e.Provider).base.add...)
		name = "relay.cooldown"
		kv = append(kv, keyCooldown.Float64(ms(e.Until.Sub(e.Time))))
	case failover.Recovered:
		name = "relay.recovered"
	case failover.AtLimit:
		name = "relay.at_limit"
	}
	if c.span.IsRecording() {
		c.span.AddEvent(name, trace.WithAttributes(kv...))
	}
}

// resumed marks a committed stream that failed and goes on (see
// failover.Resume): the attempt a ended with the failure.
//
//go:noinline
func (c *call) resumed(a *attempt, e *failover.Event) {
	c.resumes++
	c.o.in.resumes.Add(c, 1, a.p.base.add...)
	if c.span.IsRecording() {
		c.span.AddEvent("relay.resume", trace.WithAttributes(
			keyProvider.String(e.Provider), keyResume.Int(c.resumes), keyError.String(e.Err.Error())))
	}
}

// done ends the call: first the span of any attempt that reported no
// outcome (the caller left the loop of failover.Group.All while it was in
// flight, or committed), then the call's.
func (c *call) done(e *failover.Event) {
	for a := c.latest; a != nil; a = a.next {
		if !a.ended {
			a.cutShort(e)
		}
	}
	out := classify(e.Err)
	set := &c.o.calls[out]
	if c.served != nil {
		set = &c.served.calls[out]
	}
	in := &c.o.in
	in.calls.Add(c, 1, set.add...)
	in.duration.Record(c, e.Time.Sub(c.start).Seconds(), set.rec...)
	in.tokens.Record(c, int64(e.Emitted), set.rec...)
	if c.span.IsRecording() {
		c.describe(out, e)
	}
	c.span.End()
}

// describe gives a recording call span its outcome.
//
//go:noinline
func (c *call) describe(out outcome, e *failover.Event) {
	kv := []attribute.KeyValue{
		keyOutcome.String(out.String()),
		keyEmitted.Int(e.Emitted),
		keyAttempts.Int(c.attempts),
	}
	if c.served != nil {
		kv = append(kv, keyProvider.String(c.served.name))
	}
	if c.resumes > 0 {
		kv = append(kv, keyResumes.Int(c.resumes))
	}
	c.span.SetAttributes(kv...)
	if e.Err != nil {
		c.span.RecordError(e.Err)
		c.span.SetStatus(codes.Error, e.Err.Error())
	}
}

// errCutShort is the cause of an attempt the call ended without an
// outcome of its own, should the call report none either.
var errCutShort = errors.New("relay: the call ended before this attempt did")

// classify tells an outcome by its error: a context's error means that
// the caller cut the work short.
func classify(err error) outcome {
	switch {
	case err == nil:
		return ok
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return canceled
	}
	return failed
}

// ms is d in milliseconds, the unit of the duration attributes of spans.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
