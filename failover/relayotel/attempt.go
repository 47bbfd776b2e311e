package relayotel

import (
	"context"
	"time"

	"github.com/relay-go/relay/failover"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// attempt is the state of one attempt, and the context its Source is
// called with (failover derives the attempt's own from it): the call's
// context with the attempt's span, and itself under its key.
type attempt struct {
	context.Context
	c     *call
	p     *provider
	span  trace.Span
	start time.Time
	hedge bool
	ttft  bool // its time to first content token is recorded
	won   bool // it committed
	ended bool
	next  *attempt // the call's attempt started before this one
}

type attemptKey struct{ o *observer }

func (a *attempt) Value(key any) any {
	if k, ok := key.(attemptKey); ok && k.o == a.c.o {
		return a
	}
	return a.Context.Value(key)
}

// attemptOf returns the state of the attempt whose context ctx is, or
// nil.
func (o *observer) attemptOf(ctx context.Context) *attempt {
	a, _ := ctx.Value(attemptKey{o}).(*attempt)
	return a
}

// attemptStarted starts the attempt's span, a child of the call's, and
// returns the context its Source is to be called with.
func (o *observer) attemptStarted(ctx context.Context, e *failover.Event) context.Context {
	c := o.callOf(ctx)
	if c == nil {
		return ctx // not a call this observer started: nothing to attach to
	}
	p := o.provider(e.Provider)
	ctx, span := o.start(ctx, p.span, p.start)
	a := &c.a0
	if c.latest != nil {
		a = new(attempt)
	}
	a.Context, a.c, a.p, a.span, a.start, a.hedge, a.next = ctx, c, p, span, e.Time, e.Hedge, c.latest
	c.latest = a
	c.attempts++
	if span.IsRecording() {
		a.started(e)
	}
	in := &o.in
	in.active.Add(c, 1, p.base.add...)
	if e.Hedge {
		in.hedgesStarted.Add(c, 1, p.base.add...)
	}
	if c.failed != nil {
		// The call went on after a failure. (The failure's GoesOn
		// cannot tell: it is true for a call's last attempt too.)
		in.failovers.Add(c, 1, c.failed.base.add...)
		c.failed = nil
	}
	return a
}

// started gives a recording attempt span what the attempt is.
//
//go:noinline
func (a *attempt) started(e *failover.Event) {
	a.span.SetAttributes(keyAttempt.Int(e.Attempt), keyHedge.Bool(e.Hedge), keyResume.Int(a.c.resumes))
}

// event handles an event of the attempt.
func (a *attempt) event(e *failover.Event) {
	switch e.Kind {
	case failover.Committed:
		a.firstContent(e.FirstToken)
		a.c.served, a.won = a.p, true
		if a.hedge {
			a.c.o.in.hedgesWon.Add(a.c, 1, a.p.base.add...)
		}
		if a.span.IsRecording() {
			a.span.SetAttributes(keyCommitted.Bool(true))
			a.span.AddEvent("relay.commit")
		}
	case failover.Completed:
		a.end(ok, nil, e.Emitted)
	case failover.AttemptFailed:
		if !a.won {
			a.c.failed = a.p // a failover, if another attempt starts
		}
		a.end(classify(e.Err), e.Err, e.Emitted)
	case failover.HedgeLost, failover.Held, failover.Deferred, failover.Resumed:
		a.rare(e)
	}
}

// rare handles the events that only some calls have, off the path of a
// call that goes well.
//
//go:noinline
func (a *attempt) rare(e *failover.Event) {
	switch e.Kind {
	case failover.HedgeLost:
		a.c.o.in.hedgesLost.Add(a.c, 1, a.p.base.add...)
		if a.span.IsRecording() {
			a.span.AddEvent("relay.hedge_lost")
		}
		a.end(hedgeLost, nil, 0)
	case failover.Held:
		a.firstContent(e.Time.Sub(a.start))
		if a.span.IsRecording() {
			a.span.AddEvent("relay.held")
		}
	case failover.Deferred:
		if a.span.IsRecording() {
			a.span.AddEvent("relay.deferred", trace.WithAttributes(
				keyDeferred.Float64(ms(e.Until.Sub(e.Time))), keyError.String(e.Err.Error())))
		}
	case failover.Resumed:
		a.c.resumed(a, e)
	}
}

// firstContent records the attempt's time to first content token, once.
func (a *attempt) firstContent(d time.Duration) {
	if a.ttft {
		return
	}
	a.ttft = true
	a.c.o.in.ttft.Record(a.c, d.Seconds(), a.p.base.rec...)
	if a.span.IsRecording() {
		a.span.SetAttributes(keyTTFT.Float64(ms(d)))
	}
}

// cutShort ends an attempt that reported no outcome, as the call e ends:
// the caller cut it short.
//
//go:noinline
func (a *attempt) cutShort(e *failover.Event) {
	cause := e.Err
	if cause == nil {
		cause = errCutShort
	}
	a.end(classify(cause), cause, e.Emitted)
}

// end ends the attempt, once, with its outcome and its cause (nil for a
// clean end or a lost hedge). emitted is what the caller had received
// of the call by then, for a committed attempt.
func (a *attempt) end(out outcome, cause error, emitted int) {
	if a.ended {
		return
	}
	a.ended = true
	in := &a.c.o.in
	in.attempts.Add(a.c, 1, a.p.attempts[out].add...)
	in.active.Add(a.c, -1, a.p.base.add...)
	if a.span.IsRecording() {
		a.describe(out, cause, emitted)
	}
	a.span.End()
}

// describe gives a recording attempt span its outcome.
//
//go:noinline
func (a *attempt) describe(out outcome, cause error, emitted int) {
	kv := []attribute.KeyValue{keyOutcome.String(out.String())}
	if a.won {
		kv = append(kv, keyEmitted.Int(emitted))
	}
	a.span.SetAttributes(kv...)
	if cause != nil {
		a.span.RecordError(cause)
		a.span.SetStatus(codes.Error, cause.Error())
	}
}
