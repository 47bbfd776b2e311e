package failover

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/relay-go/relay/errs"
)

// run is the failover state machine of one call. It owns no goroutine: a
// driver calls next for each token from whichever goroutine it runs on (the
// relay goroutine for Stream, the caller's for All) and delivers the token,
// counting it in emitted. Before the commit it keeps the attempt in flight
// in cur; the first content token moves that attempt to live, and from then
// on next only reads live's channel.
type run[Req, Tok any] struct {
	g   *Group[Req, Tok]
	req Req
	rep *Report

	order []int32 // eligible providers, by index, in the order to try them
	obuf  [8]int32
	plan  *plan         // made at the call's first failure, or at its start with hedging
	h     *hedging[Tok] // nil unless the group hedges
	hc    *callHealth   // the call's health, batched for Record
	// direct: the group keeps health in process and the call found no
	// provider cooling: each attempt's outcome goes straight to its
	// provider's health as the attempt ends.
	direct bool
	call   uint64 // the call's number, for events

	cur  *attempt[Tok] // in flight before the commit
	live *attempt[Tok] // committed
	a0   attempt[Tok]  // the first attempt, kept inline to save an allocation

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
	fails    []*errs.AttemptError
	resumes  int // continuations started (see Resume)
	res      *resumption[Req, Tok]
	commitT  *time.Timer // CommitTimeout, until the first commit
	failSeq  []int32     // with hedging: when each failed attempt started
	err      error
	stopCall func() // releases the MaxCallTime context, if any
}

// plan is what a call that has failed over knows of its providers. A call
// served by its first attempt never makes one.
type plan struct {
	tries []tries   // per entry of the call's order
	gate  time.Time // BackoffBetweenProviders: no other provider before it
	late  bool      // a provider was given up: its wait would end past the deadline
	tbuf  [8]tries  // tries for up to eight providers, in the same allocation
}

// newPlan makes the plan of a call over order, with each provider's own
// number of tries.
func (g *Group[Req, Tok]) newPlan(order []int32) *plan {
	p := new(plan)
	if len(order) <= len(p.tbuf) {
		p.tries = p.tbuf[:len(order)]
	} else {
		p.tries = make([]tries, len(order))
	}
	for k, i := range order {
		p.tries[k].max = int32(cmp.Or(g.providers[i].Attempts, g.cfg.attempts, 1))
	}
	return p
}

// tries is what the call knows of one provider's tries.
type tries struct {
	after time.Time // the next try may not start before this
	n     int32     // tries started
	max   int32     // tries allowed: the provider's Attempts, or the group's
	// deferred: after is the provider's own Retry-After hint, so the call
	// moves on to the providers after it meanwhile. Otherwise after is a
	// backoff, and the provider keeps its place: its tries come first.
	deferred bool
	out      bool  // no further try in this call
	running  int32 // attempts in flight (hedging)
}

// errStopped is the cause of an attempt whose caller stopped reading (a
// break out of the pull form, or a panic in its loop body).
var errStopped = fmt.Errorf("%w: the caller stopped reading", context.Canceled)

// begin starts a call, or returns the error that ends it before any
// attempt. Accepts and the ignore list are evaluated here, on the caller's
// goroutine. The returned context is the one the call runs under: ctx, or
// a child bounded by MaxCallTime.
func (g *Group[Req, Tok]) begin(ctx context.Context, req Req) (*run[Req, Tok], context.Context, error) {
	if ctx.Err() != nil {
		return nil, ctx, ctxErr(ctx)
	}
	r := &run[Req, Tok]{g: g, req: req}
	v := valuesOf(ctx)
	r.rep = v.claim()
	ign := v.ignore
	r.order = r.obuf[:0]
	for i := range g.providers {
		p := &g.providers[i]
		if len(ign) > 0 && slices.Contains(ign, p.Name) {
			continue
		}
		if p.Accepts != nil && !p.Accepts(req) {
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
	if g.cfg.observe != nil {
		r.call = g.calls.Add(1)
	}
	if g.health != nil {
		r.check(ctx)
	}
	if g.budget != nil {
		g.budget.call()
	}
	if g.cfg.hedge {
		if g.hedges != nil {
			g.hedges.call()
		}
		r.h = newHedging[Tok](g.cfg.inFlight())
		r.plan = g.newPlan(r.order)
	}
	if d := g.cfg.maxCall; d > 0 {
		ctx, r.stopCall = context.WithTimeoutCause(ctx, d, &limitHit{errs.ErrCallTimeout, "the call ran longer than", d})
	}
	if g.resume != nil {
		r.res = &resumption[Req, Tok]{req: req}
	}
	if d := g.cfg.commitTimeout; d > 0 {
		ctx = r.commitBy(ctx, d)
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
		switch {
		case r.h != nil:
			r.stepN(ctx)
		case r.cur == nil:
			r.launchNext(ctx)
		default:
			r.step(ctx, r.cur)
		}
	}
	if r.h != nil && r.h.n > 0 {
		r.stopN(ctx)
	}
	if r.res != nil && r.resumes > 0 && r.err != nil {
		r.err = r.res.stopped(r, r.err)
	}
	return tok, false, r.err
}

// fast returns the committed attempt when the next token is a plain
// receive from it: no held tokens to release, no outcome seen early, no
// timeout to feed. The drivers then run their own loop of receives and
// deliveries, and come back to next for anything else.
func (r *run[Req, Tok]) fast() *attempt[Tok] {
	if a := r.live; a != nil && !r.pending && a.out != nil && !a.known && !a.final && a.w == nil {
		return a
	}
	return nil
}

// nextLive is the committed path that is not a plain receive: tokens held
// at the commit, the attempt's timeouts, its outcome, the end of the stream.
func (r *run[Req, Tok]) nextLive(ctx context.Context, a *attempt[Tok]) (tok Tok, ok bool, err error) {
	if ctx.Err() != nil {
		// Nothing more once ctx has ended, whatever is buffered.
		return tok, false, r.failLive(ctx, a, a.cut(ctx))
	}
	if r.pending {
		if int(r.heldPos) < len(a.held) {
			tok = a.held[r.heldPos]
			r.heldPos++
			return tok, true, nil
		}
		var zero Tok
		tok, r.first, r.pending, a.held = r.first, zero, false, nil
		return tok, true, nil
	}
	for {
		tok, ev := a.recv(ctx)
		switch ev {
		case evToken:
			return tok, true, nil
		case evCancel:
			return tok, false, r.failLive(ctx, a, a.cut(ctx))
		case evEnd:
			if cause := a.endCause(); cause != nil {
				return tok, false, r.failLive(ctx, a, cause)
			}
			// A clean end. close ends the attempt, from the top of the
			// driver's stack: cancelling a context under this deep frame
			// would grow the relay goroutine's small stack.
			r.clean = true
			r.finish(nil)
			return tok, false, nil
		}
	}
}

// launchNext starts the next try, waiting first if the policy says so, or
// ends the call when none is left. It keeps its frame small and its cold
// paths out of line: the provider's Source runs on top of it, on the relay
// goroutine's small stack.
func (r *run[Req, Tok]) launchNext(ctx context.Context) {
	i := 0
	if r.started > 0 {
		var ok bool
		if i, ok = r.pick(ctx); !ok {
			return
		}
	}
	r.start(ctx, i)
}

// start calls the Source of the provider at entry i of the order, on the
// driver's goroutine.
func (r *run[Req, Tok]) start(ctx context.Context, i int) {
	a := r.newAttempt(i)
	// The context is made here rather than in newAttempt: registering a
	// child with a cancelable parent is deep, and on the caller's
	// goroutine (the pull form) or the relay goroutine one frame less
	// keeps their stacks from growing.
	a.ctx, a.cancel = context.WithCancelCause(ctx)
	r.setup(a)
	r.cur = a
	call(a, r.g.providers[r.order[i]].Source, r.req)
	a.ready = true
	if a.out == nil || a.errc == nil || a.panicked != nil {
		r.failStart(ctx, a)
	}
}

// newAttempt makes the next attempt, of the provider at entry i of the
// order; the caller gives it its context, then calls setup.
func (r *run[Req, Tok]) newAttempt(i int) *attempt[Tok] {
	a := &r.a0
	if a.info.Provider != "" {
		a = new(attempt[Tok])
	}
	a.seq = r.started
	r.started++
	r.last = int32(i)
	a.info.Number = 1
	if r.plan != nil {
		r.plan.tries[i].n++
		a.info.Number = int(r.plan.tries[i].n)
	}
	p := &r.g.providers[r.order[i]]
	a.info.Provider, a.idx = p.Name, int32(i)
	a.info.Hedge, a.info.Resume = r.h != nil && r.h.n > 0, r.resumes
	return a
}

// setup gives an attempt that has its context what only some need: a
// report entry, timeouts, a start time, an event.
func (r *run[Req, Tok]) setup(a *attempt[Tok]) {
	p := &r.g.providers[r.order[a.idx]]
	if r.rep != nil || p.FirstTokenTimeout > 0 || p.IdleTimeout > 0 || r.g.cfg.firstToken > 0 || r.g.cfg.idle > 0 || r.g.cfg.order == orderHealth || r.g.cfg.observe != nil {
		r.extras(a, p)
	}
}

// extras sets up what only some attempts need: a report entry, timeouts,
// a start time for health, an event. It stays out of newAttempt so that
// newAttempt's frame, under which a new context registers with its
// parent, stays small: the relay goroutine's stack then rarely grows.
//
//go:noinline
func (r *run[Req, Tok]) extras(a *attempt[Tok], p *Provider[Req, Tok]) {
	if r.rep != nil {
		r.reportStart(a)
	}
	first, idle := cmp.Or(p.FirstTokenTimeout, r.g.cfg.firstToken), cmp.Or(p.IdleTimeout, r.g.cfg.idle)
	if first > 0 || idle > 0 {
		a.w = newWatch(a.cancel, first, idle)
	}
	if r.g.cfg.order == orderHealth || r.g.cfg.observe != nil {
		a.began = time.Now()
	}
	if r.g.cfg.observe != nil {
		r.event(AttemptStarted, a, nil, false)
	}
}

// call calls the provider's Source, catching a panic in it.
func call[Req, Tok any](a *attempt[Tok], src func(context.Context, Req) (<-chan Tok, <-chan error), req Req) {
	defer a.catch()
	a.out, a.errc = src(a, req)
}

//go:noinline
func (r *run[Req, Tok]) reportStart(a *attempt[Tok]) {
	a.rep = r.rep.add(Attempt{Provider: a.info.Provider, Number: a.info.Number, Start: time.Now(), Resume: a.info.Resume})
}

// failStart fails an attempt whose Source call panicked or returned a nil
// channel.
//
//go:noinline
func (r *run[Req, Tok]) failStart(ctx context.Context, a *attempt[Tok]) {
	var cause error
	switch {
	case a.panicked != nil:
		cause = a.panicked
	case a.out == nil && a.errc == nil:
		cause = fmt.Errorf("%w: it returned nil token and error channels", errs.ErrContract)
	case a.out == nil:
		cause = fmt.Errorf("%w: it returned a nil token channel", errs.ErrContract)
	default:
		cause = fmt.Errorf("%w: it returned a nil error channel", errs.ErrContract)
	}
	r.failPre(ctx, a, cause)
}

// step waits for and handles one event of the attempt in flight before
// the commit.
func (r *run[Req, Tok]) step(ctx context.Context, a *attempt[Tok]) {
	tok, ev := a.recv(ctx)
	r.handle(ctx, a, tok, ev)
}

// take handles one token before the commit.
func (r *run[Req, Tok]) take(ctx context.Context, a *attempt[Tok], tok Tok) {
	if !a.seen {
		a.seen = true
		if r.g.cfg.observe != nil {
			r.event(FirstToken, a, nil, false)
		}
	}
	if r.g.content != nil && !r.g.content(tok) {
		if !a.alive {
			a.arm(true) // held: relay reads on at once
		}
		a.held = append(a.held, tok)
		return
	}
	if a.contents == 0 {
		// The first content token: the first-token timeout is met.
		if a.w != nil && !a.w.content() {
			// A timeout ended the attempt as this token arrived.
			cause := ctxErr(ctx)
			if !a.halted(ctx) {
				cause = a.stop
			}
			r.failPre(ctx, a, cause)
			return
		}
		if !a.began.IsZero() {
			a.ttft = time.Since(a.began)
		}
		if r.rep != nil {
			r.rep.firstToken(a.rep)
		}
	}
	a.contents++
	if a.contents < int32(r.g.cfg.commitAfter) {
		r.hold(a, tok)
		return
	}
	r.commit(ctx, a, tok)
}

// hold keeps a content token of an attempt that has not yet sent the
// CommitAfter count: it fails over with nothing shown if it fails now.
func (r *run[Req, Tok]) hold(a *attempt[Tok], tok Tok) {
	if !a.alive {
		a.arm(true) // held: relay reads on at once
	}
	a.held = append(a.held, tok)
	if a.contents == 1 && r.g.cfg.observe != nil {
		r.event(Held, a, nil, false)
	}
}

// commit makes a the attempt the caller receives, tok its last token
// before reading on (after the tokens it held).
func (r *run[Req, Tok]) commit(ctx context.Context, a *attempt[Tok], tok Tok) {
	if !a.alive {
		a.arm(false) // the caller gets this token first
	}
	if r.commitT != nil {
		r.commitT.Stop()
		r.commitT = nil
	}
	r.cur, r.live = nil, a
	r.first, r.pending = tok, true
	if r.g.cfg.observe != nil {
		r.event(Committed, a, nil, false)
	}
	if r.h != nil {
		r.commitN(ctx, a)
	}
	if r.rep != nil {
		r.rep.commit(a.rep)
	}
}

// failPre records a failed attempt before the commit and decides whether
// the call goes on.
func (r *run[Req, Tok]) failPre(ctx context.Context, a *attempt[Tok], cause error) {
	r.end(ctx, a, cause)
	r.cur = nil
	r.fails = append(r.fails, &errs.AttemptError{Provider: a.info.Provider, Attempt: a.info.Number, Err: cause})
	if r.h != nil {
		r.removeN(a)
		r.failSeq = append(r.failSeq, a.seq)
		r.sortFails()
	}
	if ctx.Err() != nil {
		r.finish(&errs.FailoverError{Attempts: r.fails, Err: ctxErr(ctx)})
	} else {
		r.decide(ctx, int(a.idx), cause)
	}
	if r.g.cfg.observe != nil {
		r.event(AttemptFailed, a, cause, !r.done)
	}
	if r.direct {
		r.applyDirect(ctx, a, cause, false)
	}
}

// failLive ends the committed attempt with cause.
func (r *run[Req, Tok]) failLive(ctx context.Context, a *attempt[Tok], cause error) error {
	r.end(ctx, a, cause)
	if r.g.cfg.observe != nil {
		r.event(AttemptFailed, a, cause, false)
	}
	if r.direct {
		r.applyDirect(ctx, a, cause, true)
	}
	r.live = nil
	err := &errs.CommittedError{Provider: a.info.Provider, Emitted: r.emitted, Err: cause}
	if r.res != nil {
		return r.resume(ctx, a, err)
	}
	r.finish(err)
	return err
}

// abort ends the call because the caller's context ended while a token
// of the committed attempt was being delivered.
func (r *run[Req, Tok]) abort(ctx context.Context) error {
	return r.failLive(ctx, r.live, r.live.cut(ctx))
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
		r.end(ctx, a, nil)
		if r.direct {
			r.applyDirect(ctx, a, nil, true)
		}
		r.live = nil
	}
	for _, a := range [...]*attempt[Tok]{r.cur, r.live} {
		if a != nil {
			r.end(ctx, a, cause)
		}
	}
	r.cur, r.live = nil, nil
	if h := r.h; h != nil {
		for k, a := range h.fl {
			if a != nil {
				h.fl[k] = nil
				r.end(ctx, a, cause)
			}
		}
		close(h.quit)
		if h.timer != nil {
			h.timer.Stop()
		}
	}
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
// drivers call it after close, at the top of their stack: the Health's
// Record then runs on a shallow stack (the relay goroutine's starts
// small, and growing it would cost a call far more than the Record).
func (r *run[Req, Tok]) ended(ctx context.Context) {
	if r.hc != nil {
		r.record(ctx)
	}
	if r.g.cfg.observe != nil {
		r.callDone()
	}
}

//go:noinline
func (r *run[Req, Tok]) callDone() {
	r.emit(Event{Kind: CallDone, Err: r.err})
}

// end ends an attempt: its timeouts, its context, its report entry and its
// outcome for health. err is why it ended, nil for a clean end.
func (r *run[Req, Tok]) end(ctx context.Context, a *attempt[Tok], err error) {
	if a.w != nil {
		a.w.stop()
	}
	a.cancel(nil)
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
