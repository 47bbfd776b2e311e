package failover

import (
	"context"
	"errors"
	"time"

	"github.com/relay-go/relay/errs"
)

// engine is the phase of a call before its commit: one event loop over
// the attempts in flight, whatever the options. Each feature is a rule in
// one place of it: the plan (retry.go) says which try may start and when,
// fill starts it or gives up, handle and take (commit.go) act on what an
// attempt sends, and wait waits for the next event of any attempt, of a
// Source call made off the loop, of the one timer (hedge delay, backoff,
// Retry-After) or of the call's context.
//
// Without hedging the engine has one slot: the Source is called inline
// on the driver's goroutine and a wait is one select on the attempt's
// channels, as cheap as a hand-written loop. With several slots each
// Source call runs on a goroutine of its own that hands the attempt back
// through started, so that one slow to return holds back nothing.
type engine[Tok any] struct {
	fl      []*attempt[Tok]  // the slots, len MaxInFlight; nil: free
	one     [1]*attempt[Tok] // the slot without hedging
	n       int              // attempts in flight
	want    int              // attempts the call wants in flight
	noHedge bool             // the call hedges no more: the budget said no, or nothing is left
	unpaid  bool             // want counts a hedge not yet paid for from the hedge budget
	last    time.Time        // when the latest attempt started (several slots)
	wake    time.Time        // when the plan lets the next try start; zero: now or never
	timer   *time.Timer
	slot    chan struct{}      // a MaxConcurrent slot the call waits for; nil: none
	slotAt  int                // the entry it is for
	granted int                // the entry whose slot the call got while waiting; -1: none
	started chan *attempt[Tok] // attempts whose Source call returned (several slots)
	quit    chan struct{}      // closed when the call ends (several slots)
}

func (e *engine[Tok]) init(slots int) {
	e.want, e.granted = 1, -1
	if slots == 1 {
		e.fl = e.one[:]
		return
	}
	e.fl = make([]*attempt[Tok], slots)
}

// launch starts the call's first attempt when it has one slot and the
// first provider of its order goes first, from the top of the driver's
// stack (see bench/doc.go); otherwise (several slots, a plan that the
// group's health shaped, a provider at its MaxConcurrent) the first step
// starts it.
func (r *run[Req, Tok]) launch(ctx context.Context) {
	if len(r.eng.fl) != 1 || r.plan != nil {
		return
	}
	if r.g.loads != nil && !r.g.loads[r.order[0]].take() {
		r.plan = r.g.newPlan(r.order, r.ncool) // the plan passes it over
		return
	}
	r.start(ctx, 0)
}

// step is one turn of the engine: settle what needs no wait, start what
// the plan allows (or give up), or wait for the next event.
func (r *run[Req, Tok]) step(ctx context.Context) {
	e := &r.eng
	if e.n > 0 {
		for _, a := range e.fl {
			if a == nil || !a.ready {
				continue
			}
			if tok, ev, wait := a.poll(ctx); !wait {
				r.handle(ctx, a, tok, ev)
				return
			}
		}
	}
	if r.fill(ctx) {
		return
	}
	r.wait(ctx)
}

// fill starts the next try if the call wants one more attempt in flight
// and the plan has one ready, or gives the call up when nothing is in
// flight and nothing is left to try. It reports whether it did either.
func (r *run[Req, Tok]) fill(ctx context.Context) bool {
	e := &r.eng
	var now time.Time
	if e.n > 0 && e.n == e.want && e.want < len(e.fl) && !e.noHedge {
		// No commit within the hedge delay: one more beside them, paid
		// for from the hedge budget when it starts.
		if now = time.Now(); !now.Before(e.last.Add(r.g.hedgeDelay())) {
			e.want++
			e.unpaid = r.g.hedges != nil
		}
	}
	e.wake = time.Time{}
	if e.n == 0 {
		// Nothing in flight: whatever was wanted beside it is moot, and
		// the next start replaces a failure, which no hedge pays for.
		e.want, e.unpaid = 1, false
	}
	if e.n >= e.want {
		return false
	}
	if (r.started > 0 || r.plan != nil) && ctx.Err() != nil {
		r.giveUp(ctxErr(ctx))
		return true
	}
	i := 0
	switch {
	case e.granted >= 0:
		i, e.granted = e.granted, -1 // a slot came free for it
	case r.plan != nil:
		if now.IsZero() {
			now = time.Now()
		}
		var changed bool
		if i, changed = r.pick(ctx, now); i < 0 {
			return changed
		}
	case r.g.loads != nil && !r.g.loads[r.order[0]].take():
		r.plan = r.g.newPlan(r.order, r.ncool) // at its limit: the plan passes it over
		return true
	}
	if e.unpaid {
		e.unpaid = false
		if !r.g.hedges.spend() {
			e.want, e.noHedge = e.n, true
			r.unclaim(i)
			return false
		}
	}
	if r.started > 0 {
		if b := r.g.budget; b != nil && !b.spend() {
			r.unclaim(i)
			if e.n == 0 {
				r.giveUp(errs.ErrBudget)
				return true
			}
			e.want, e.noHedge = e.n, true
			return false
		}
	}
	e.last = now
	r.start(ctx, i)
	return true
}

// handle acts on one event of an attempt in flight before the commit.
func (r *run[Req, Tok]) handle(ctx context.Context, a *attempt[Tok], tok Tok, ev int) {
	switch ev {
	case evToken:
		r.take(ctx, a, tok)
	case evCancel:
		r.failPre(ctx, a, a.cut(ctx))
	case evEnd:
		cause := a.endCause()
		switch {
		case cause == nil && len(a.held) > 0 && a.contents > 0:
			// A clean end before the CommitAfter count: commit what it
			// held, the last held token in the place of the next one.
			last := a.held[len(a.held)-1]
			a.held = a.held[:len(a.held)-1]
			r.commit(ctx, a, last)
			return
		case cause == nil:
			cause = errs.ErrEmpty
		}
		r.failPre(ctx, a, cause)
	}
}

// wait waits for one event and acts on it. With one slot and an attempt
// in flight it is the attempt's own receive; with none in flight, the
// timer of the plan's next try, or the end of ctx.
func (r *run[Req, Tok]) wait(ctx context.Context) {
	e := &r.eng
	if len(e.fl) == 1 {
		if a := e.fl[0]; a != nil {
			tok, ev := a.recv(ctx)
			r.handle(ctx, a, tok, ev)
			return
		}
		var tick <-chan time.Time
		if !e.wake.IsZero() {
			tick = e.arm(e.wake)
		}
		select {
		case <-tick:
		case <-e.slot:
			e.gotSlot()
		case <-ctx.Done():
		}
		return
	}
	r.waitMany(ctx)
}

// gotSlot notes the MaxConcurrent slot the call waited for: the next
// look starts its entry.
func (e *engine[Tok]) gotSlot() {
	e.granted, e.slot = e.slotAt, nil
}

// arm sets the engine's one timer to fire at at, and returns its channel.
func (e *engine[Tok]) arm(at time.Time) <-chan time.Time {
	d := time.Until(at)
	if e.timer == nil {
		e.timer = time.NewTimer(d)
	} else {
		e.timer.Reset(d)
	}
	return e.timer.C
}

// next is when the loop must look again without an event: when the hedge
// delay passes, or when the plan lets the next try start.
func (e *engine[Tok]) next(delay time.Duration) time.Time {
	var at time.Time
	if e.n > 0 && e.n == e.want && e.want < len(e.fl) && !e.noHedge {
		at = e.last.Add(delay)
	}
	if !e.wake.IsZero() && (at.IsZero() || e.wake.Before(at)) {
		at = e.wake
	}
	return at
}

// release takes an attempt that ended out of its slot.
func (r *run[Req, Tok]) release(a *attempt[Tok]) {
	e := &r.eng
	for k := range e.fl {
		if e.fl[k] == a {
			e.fl[k] = nil
			e.n--
			r.ran(a.idx)
			return
		}
	}
}

// ran notes that an attempt of entry i left its slot.
func (r *run[Req, Tok]) ran(i int32) {
	if r.plan != nil {
		r.plan.tries[i].running--
	}
}

// close ends every attempt still in its slot with end, and stops what the
// engine started.
func (e *engine[Tok]) close(end func(*attempt[Tok])) {
	for k, a := range e.fl {
		if a != nil {
			e.fl[k] = nil
			end(a)
		}
	}
	e.n = 0
	if e.quit != nil {
		close(e.quit)
		e.quit = nil
	}
	if e.timer != nil {
		e.timer.Stop()
	}
}

// stopAll ends every attempt still in flight when the call ends before
// the commit, and lists them among the failed attempts, in the order the
// attempts started.
func (r *run[Req, Tok]) stopAll(ctx context.Context) {
	e := &r.eng
	cause := errCallEnded
	if ctx.Err() != nil {
		cause = ctxErr(ctx)
	}
	for k, a := range e.fl {
		if a == nil {
			continue
		}
		e.fl[k] = nil
		r.ran(a.idx)
		r.end(ctx, a, cause)
		r.fails = append(r.fails, &errs.AttemptError{Provider: a.info.Provider, Attempt: a.info.Number, Err: cause})
		if r.g.cfg.observe {
			r.event(AttemptFailed, a, cause, false)
		}
		if r.direct {
			r.applyDirect(ctx, a, cause, false)
		}
		r.extra().failSeq = append(r.more.failSeq, a.seq)
	}
	e.n = 0
	r.sortFails()
	if fe, ok := r.err.(*errs.FailoverError); ok {
		fe.Attempts = r.fails
	}
}

// sortFails puts the failed attempts in the order they started: with
// several in flight, a later attempt can fail first.
func (r *run[Req, Tok]) sortFails() {
	seq := r.extra().failSeq
	for i := 1; i < len(r.fails); i++ {
		for j := i; j > 0 && seq[j] < seq[j-1]; j-- {
			r.fails[j], r.fails[j-1] = r.fails[j-1], r.fails[j]
			seq[j], seq[j-1] = seq[j-1], seq[j]
		}
	}
}

// errCallEnded is the cause of an attempt still in flight when another
// attempt's failure stopped the call.
var errCallEnded = errors.New("the call stopped before this attempt ended")
