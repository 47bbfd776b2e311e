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
func (o *observer) attemptStarted(ctx context.Context, e failover.Event) context.Context {
	c := o.callOf(ctx)
	if c == nil {
		return ctx // not a call this observer started: nothing to attach to
	}
	p := o.provider(e.Provider)
	ctx, span := o.tracer.Start(ctx, p.span, p.start...)
	a := &attempt{Context: ctx, c: c, p: p, span: span, start: e.Time, hedge: e.Hedge, next: c.first}
	c.first = a
	c.attempts++
	if span.IsRecording() {
		span.SetAttributes(keyAttempt.Int(e.Attempt), keyHedge.Bool(e.Hedge), keyResume.Int(c.resumes))
	}
	o.in.active.Add(c, 1, p.base.add...)
	if c.failed != nil {
		// The call went on after a failure. (The failure's GoesOn
		// cannot tell: it is true for a call's last attempt too.)
		o.in.failovers.Add(c, 1, c.failed.base.add...)
		c.failed = nil
	}
	if e.Hedge {
		o.in.hedgesStarted.Add(c, 1, p.base.add...)
	}
	return a
}

// event handles an event of the attempt.
func (a *attempt) event(e failover.Event) {
	c, in := a.c, &a.c.o.in
	switch e.Kind {
	case failover.Held:
		a.firstContent(e.Time.Sub(a.start))
		if a.span.IsRecording() {
			a.span.AddEvent("relay.held")
		}
	case failover.Committed:
		a.firstContent(e.FirstToken)
		c.served, a.won = a.p, true
		if a.hedge {
			in.hedgesWon.Add(c, 1, a.p.base.add...)
		}
		if a.span.IsRecording() {
			a.span.SetAttributes(keyCommitted.Bool(true))
			a.span.AddEvent("relay.commit")
		}
	case failover.Deferred:
		if a.span.IsRecording() {
			a.span.AddEvent("relay.deferred", trace.WithAttributes(
				keyDeferred.Float64(ms(e.Until.Sub(e.Time))), keyError.String(e.Err.Error())))
		}
	case failover.AttemptFailed:
		if !a.won {
			c.failed = a.p // a failover, if another attempt starts
		}
		a.end(c, classify(e.Err), e.Err, e.Emitted)
	case failover.HedgeLost:
		in.hedgesLost.Add(c, 1, a.p.base.add...)
		if a.span.IsRecording() {
			a.span.AddEvent("relay.hedge_lost")
		}
		a.end(c, hedgeLost, nil, 0)
	case failover.Completed:
		a.end(c, ok, nil, e.Emitted)
	case failover.Resumed:
		c.resumed(a, e)
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

// end ends the attempt, once, with its outcome and its cause (nil for a
// clean end or a lost hedge). emitted is what the caller had received
// of the call by then, for a committed attempt.
func (a *attempt) end(ctx context.Context, out outcome, cause error, emitted int) {
	if a.ended {
		return
	}
	a.ended = true
	in := &a.c.o.in
	in.attempts.Add(ctx, 1, a.p.attempts[out].add...)
	in.active.Add(ctx, -1, a.p.base.add...)
	if s := a.span; s.IsRecording() {
		kv := []attribute.KeyValue{keyOutcome.String(out.String())}
		if a.won {
			kv = append(kv, keyEmitted.Int(emitted))
		}
		s.SetAttributes(kv...)
		if cause != nil {
			s.RecordError(cause)
			s.SetStatus(codes.Error, cause.Error())
		}
	}
	a.span.End()
}
