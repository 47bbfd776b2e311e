package failover

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/relay-go/relay/errs"
)

// run is the life of one call. It owns no goroutine: a driver calls next
// for each token from whichever goroutine it runs on (the relay goroutine
// for Stream, the caller's for All) and delivers the token, counting it
// in emitted. Before the commit the engine (loop.go) keeps the attempts in
// flight in its slots; the first content token moves one attempt to live,
// and from then on next only reads live's channel.
type run[Req, Tok any] struct {
	g   *Group[Req, Tok]
	req Req
	rep *Report

	order []int32 // eligible providers, by index, in the order to try them
	obuf  [8]int32
	ncool int32         // entries at the end of order whose providers cool down
	plan  *plan         // made at the call's first failure, or at its start with several slots
	hc    *callHealth   // the call's health, batched for Record
	eng   engine[Tok]   // the attempts in flight before the commit
	live  *attempt[Tok] // committed
	a0    attempt[Tok]  // the first attempt, kept inline to save an allocation
	res   *resumption[Req, Tok]
	// direct: the group keeps health in process and the call found no
	// provider cooling: each attempt's outcome goes straight to its
	// provider's health as the attempt ends.
	direct bool
	call   uint64 // the call's identity, for events

	// Tokens to hand out before reading on: the committed attempt's held
	// tokens that were not content, then the token that committed.
	first    Tok
	heldPos  int32
	last     int32 // entry of order of the latest attempt
	started  int32 // attempts started in this call
	pending  bool
	done     bool
	clean    bool // the committed stream ended cleanly; close ends its attempt
	emitted  int  // tokens the driver delivered
	resumes  int  // continuations started (see Resume)
	fails    []*errs.AttemptError
	more     *callMore   // what only some calls need
	commitT  *time.Timer // CommitTimeout, until the first commit
	err      error
	stopCall func() // releases the MaxCallTime and CommitTimeout contexts, if any
}

// callMore is what only some calls need, kept out of run so that a call
// that needs none of it allocates less.
type callMore struct {
	parent  AttemptInfo // the outer attempt that made the call, for events
	ignore  []string    // with a report: the caller's ignore list, for nested groups
	failSeq []int32     // with several slots: when each failed attempt started
	hinted  int         // failed attempts of this phase that gave a Retry-After hint
	retryAt time.Time   // the earliest time one of them may be tried again
}

// extra returns the call's callMore, made on first use.
func (r *run[Req, Tok]) extra() *callMore {
	if r.more == nil {
		r.more = new(callMore)
	}
	return r.more
}

// errStopped is the cause of an attempt whose caller stopped reading (a
// break out of the pull form, or a panic in its loop body).
var errStopped = fmt.Errorf("%w: the caller stopped reading", context.Canceled)

// begin starts a call, or returns the error that ends it before any
// attempt. Accepts and the ignore list are evaluated here, on the caller's
// goroutine. The returned context is the one the call runs under: ctx, or
// a child bounded by MaxCallTime and CommitTimeout.
func (g *Group[Req, Tok]) begin(ctx context.Context, req Req) (*run[Req, Tok], context.Context, error) {
	if ctx.Err() != nil {
		return nil, ctx, ctxErr(ctx)
	}
	r := &run[Req, Tok]{g: g, req: req}
	v := valuesOf(ctx)
	r.rep = v.claim()
	ign := v.ignore
	if r.rep != nil {
		r.extra().ignore = ign // for a nested group's calls
	}
	r.order = r.obuf[:0]
	for i := range g.members {
		m := &g.members[i]
		if len(ign) > 0 && slices.Contains(ign, m.name) {
			continue
		}
		if m.accepts != nil && !m.accepts(req) {
			continue
		}
		r.order = append(r.order, int32(i))
	}
	if len(r.order) == 0 {
		return nil, ctx, errs.ErrNoProvider
	}
	if g.cfg.order != orderGiven {
		g.arrange(r.order)
	}
	if g.cfg.observe {
		ctx = r.observed(ctx)
	}
	if g.health != nil {
		r.check(ctx)
	}
	if g.budget != nil {
		g.budget.call()
	}
	r.eng.init(g.cfg.inFlight)
	if g.cfg.inFlight > 1 {
		if g.hedges != nil {
			g.hedges.call()
		}
	}
	if g.cfg.inFlight > 1 && r.plan == nil {
		r.plan = g.newPlan(r.order, r.ncool)
	}
	var owner *limitOwner
	if g.cfg.maxCall > 0 || g.cfg.commitTimeout > 0 {
		owner = new(limitOwner)
	}
	if d := g.cfg.maxCall; d > 0 {
		ctx, r.stopCall = context.WithTimeoutCause(ctx, d, &limitHit{errs.ErrCallTimeout, "the call ran longer than", d, owner})
	}
	if g.resume != nil {
		r.res = &resumption[Req, Tok]{req: req}
	}
	if d := g.cfg.commitTimeout; d > 0 {
		ctx = r.commitBy(ctx, d, owner)
	}
	if owner != nil {
		ctx = own(ctx, owner)
	}
	return r, ctx, nil
}

// next returns the next token for the caller, or ok == false and the call's
// final error (nil for success).
func (r *run[Req, Tok]) next(ctx context.Context) (tok Tok, ok bool, err error) {
	for !r.done {
		if a := r.live; a != nil {
			if tok, ok, err = r.nextLive(ctx, a); ok || r.done {
				return tok, ok, err
			}
			continue // a committed stream failed and the call resumes
		}
		if a := r.eng.fl[0]; a != nil && len(r.eng.fl) == 1 {
			// One slot, its attempt in flight: the engine's step comes
			// down to the attempt's own receive, taken here one frame
			// nearer the top of the stack (see bench/doc.go).
			tok, ev := a.recv(ctx)
			r.handle(ctx, a, tok, ev)
			continue
		}
		r.step(ctx)
	}
	if r.eng.n > 0 {
		r.stopAll(ctx)
	}
	if fe, ok := r.err.(*errs.FailoverError); ok && r.more != nil && r.more.hinted > 0 && r.more.hinted == len(fe.Attempts) {
		fe.RetryAt = r.more.retryAt // every attempt asked to wait: so does the call
	}
	if r.res != nil && r.resumes > 0 && r.err != nil {
		r.err = r.res.stopped(r, r.err)
	}
	return tok, false, r.err
}

// failPre records a failed attempt before the commit and decides whether
// the call goes on.
func (r *run[Req, Tok]) failPre(ctx context.Context, a *attempt[Tok], cause error) {
	if cause == nil {
		// Every path above names a cause; this keeps the promise that no
		// attempt is reported without one should a path ever miss it.
		cause = fmt.Errorf("%w: the attempt ended for no reason relay could tell", errs.ErrContract)
	}
	r.end(ctx, a, cause)
	r.release(a)
	r.fails = append(r.fails, &errs.AttemptError{Provider: a.info.Provider, Attempt: a.info.Number, Err: cause})
	if len(r.eng.fl) > 1 {
		r.extra().failSeq = append(r.more.failSeq, a.seq)
		r.sortFails()
	}
	if ctx.Err() != nil {
		r.giveUp(ctxErr(ctx))
	} else {
		r.decide(ctx, int(a.idx), cause)
	}
	if hint, ok := errs.RetryAfterHint(cause); ok {
		r.hint(ctx, a, hint, cause, true) // Deferred, before the attempt's end
	}
	if r.g.cfg.observe {
		r.event(AttemptFailed, a, cause, r.goesOn())
	}
	if r.direct {
		r.applyDirect(ctx, a, cause, false)
	}
}

// goesOn reports whether a call that just lost an attempt before its
// commit can go on: it has not ended, and has an attempt in flight, a
// try left, or a slot to wait for.
func (r *run[Req, Tok]) goesOn() bool {
	return !r.done && (r.eng.n > 0 || r.eng.slot != nil || r.eng.granted >= 0 || r.plan == nil || r.plan.left())
}

// giveUp ends a call that committed nothing: the one place a call gives
// up. why is why it stopped early, nil when it ran out of tries.
func (r *run[Req, Tok]) giveUp(why error) {
	r.finish(&errs.FailoverError{Attempts: r.fails, Err: why})
}

// close cancels whatever is still in flight; the driver defers it, so an
// early return or a panic leaves no attempt running. An attempt still in
// flight here was cut short by the caller.
func (r *run[Req, Tok]) close(ctx context.Context) {
	cause := errStopped
	if ctx.Err() != nil {
		cause = ctxErr(ctx)
	}
	if a := r.live; a != nil && r.clean {
		if r.g.cfg.observe {
			r.event(Completed, a, nil, false)
		}
		r.end(ctx, a, nil)
		if r.direct {
			r.applyDirect(ctx, a, nil, true)
		}
		r.live = nil
	}
	if a := r.live; a != nil {
		r.end(ctx, a, cause)
		if r.g.cfg.observe {
			r.event(AttemptFailed, a, cause, false)
		}
		r.live = nil
	}
	r.leaveQueue()
	r.eng.close(func(a *attempt[Tok]) {
		r.end(ctx, a, cause)
		if r.g.cfg.observe {
			r.event(AttemptFailed, a, cause, false)
		}
		if r.direct {
			r.applyDirect(ctx, a, cause, false)
		}
	})
	if !r.done {
		r.done, r.err = true, cause // the caller cut the call short
	}
	if r.commitT != nil {
		r.commitT.Stop()
	}
	if r.stopCall != nil {
		r.stopCall()
	}
}

// ended tells the group's Health and observer that the call ended. The
// drivers call it after close, at the top of their stack (see
// bench/doc.go).
func (r *run[Req, Tok]) ended(ctx context.Context) {
	if r.hc != nil {
		r.record(ctx)
	}
	if r.g.cfg.observe {
		r.callDone(ctx)
	}
}

// end ends an attempt: its timeouts, its context, its report entry and its
// outcome for health. err is why it ended, nil for a clean end.
func (r *run[Req, Tok]) end(ctx context.Context, a *attempt[Tok], err error) {
	if a.w != nil {
		a.w.stop()
	}
	a.cancel(nil)
	if a.slot != nil {
		a.free()
	}
	if r.rep != nil {
		r.rep.end(a.rep, err)
	}
	if r.hc != nil {
		r.outcome(ctx, a, err, a == r.live)
	}
}

func (r *run[Req, Tok]) finish(err error) {
	r.done = true
	r.err = err
}
