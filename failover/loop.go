package failover

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/relay-go/relay/errs"
)

// hedging is the state of a call that may have several attempts in flight
// before the commit. Its event loop waits on every attempt in flight, on
// the Source calls made off the loop, on one timer (for the hedge delay
// and for planned waits) and on the call's context, all in one select.
type hedging[Tok any] struct {
	fl      [maxInFlight]*attempt[Tok] // in flight, in no particular order
	began   [maxInFlight]time.Time     // when each started, for AdaptiveHedge
	n       int                        // attempts in flight
	want    int                        // attempts the call wants in flight
	max     int                        // MaxInFlight
	noHedge bool                       // the hedge budget said no for this call
	unpaid  bool                       // want counts a hedge not yet paid for from the hedge budget
	last    time.Time                  // when the latest attempt started
	wake    time.Time                  // when the plan lets the next try start
	timer   *time.Timer
	started chan *attempt[Tok] // attempts whose Source call returned
	quit    chan struct{}      // closed when the call ends
}

// errCallEnded is the cause of an attempt still in flight when another
// attempt's failure stopped the call.
var errCallEnded = errors.New("the call stopped before this attempt ended")

func newHedging[Tok any](max int) *hedging[Tok] {
	return &hedging[Tok]{want: 1, max: max, started: make(chan *attempt[Tok]), quit: make(chan struct{})}
}

// stepN is one turn of the event loop before the commit: settle what needs
// no wait, start what the plan allows, or wait for the next event.
func (r *run[Req, Tok]) stepN(ctx context.Context) {
	h := r.h
	for _, a := range h.fl {
		if a == nil || !a.ready {
			continue
		}
		if tok, ev, wait := a.poll(ctx); !wait {
			r.handle(ctx, a, tok, ev)
			return
		}
	}
	if r.fill(ctx) {
		return
	}
	r.waitN(ctx)
}

// handle acts on one event of an attempt in flight before the commit,
// with or without hedging.
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

// fill starts the next try if the call wants one more attempt in flight
// and the plan has one ready, or ends the call when nothing is in flight
// and nothing is left to try. It reports whether it changed anything.
func (r *run[Req, Tok]) fill(ctx context.Context) bool {
	h := r.h
	if ctx.Err() != nil {
		r.finish(&errs.FailoverError{Attempts: r.fails, Err: ctxErr(ctx)})
		return true
	}
	now := time.Now()
	if h.n > 0 && h.n == h.want && h.want < h.max && !h.noHedge && !now.Before(h.last.Add(r.g.hedgeDelay())) {
		// No commit within the hedge delay: one more beside them, paid
		// for from the hedge budget when it starts.
		h.want++
		h.unpaid = r.g.hedges != nil
	}
	h.wake = time.Time{}
	if h.n >= h.want {
		return false
	}
	i, wake, ok := r.plan.next(now, int(r.last), true)
	switch {
	case !ok && h.n == 0:
		var why error
		if r.plan.late {
			why = errs.ErrDeadline
		}
		r.finish(&errs.FailoverError{Attempts: r.fails, Err: why})
		return true
	case !ok:
		// Nothing left to try: wait for the attempts in flight.
		h.want, h.noHedge, h.unpaid = h.n, true, false
		return false
	case i < 0:
		h.wake = wake
		return false
	}
	if h.unpaid {
		h.unpaid = false
		if !r.g.hedges.spend() {
			h.want, h.noHedge = h.n, true
			return false
		}
	}
	if r.started > 0 {
		if b := r.g.budget; b != nil && !b.spend() {
			if h.n == 0 {
				r.finish(&errs.FailoverError{Attempts: r.fails, Err: errs.ErrBudget})
				return true
			}
			h.want, h.noHedge = h.n, true
			return false
		}
	}
	h.last = now
	r.startAsync(ctx, i)
	return true
}

// startAsync starts a try of the provider at entry i of the order, calling
// its Source on a goroutine of its own that hands the attempt back through
// h.started once the call returns.
func (r *run[Req, Tok]) startAsync(ctx context.Context, i int) {
	h := r.h
	a := r.newAttempt(i)
	a.ctx, a.cancel = context.WithCancelCause(ctx)
	r.setup(a)
	for k := range h.fl {
		if h.fl[k] == nil {
			h.fl[k] = a
			if r.g.ttft != nil {
				h.began[k] = time.Now()
			}
			break
		}
	}
	h.n++
	r.plan.tries[i].running++
	src := r.g.providers[r.order[i]].Source
	req, started, quit := r.req, h.started, h.quit
	done := a.ctx.Done()
	go func() {
		call(a, src, req)
		select {
		case started <- a:
		case <-quit:
		case <-done:
			// The attempt ended while its Source call ran (a lost hedge,
			// a timeout): nothing waits for it, and its context stops
			// what the call started.
		}
	}()
}

// waitN waits for one event of the attempts in flight, of their Source
// calls, of the timer or of ctx, and acts on it.
func (r *run[Req, Tok]) waitN(ctx context.Context) {
	h := r.h
	var outs [maxInFlight]<-chan Tok
	var errcs [maxInFlight]<-chan error
	var dones [maxInFlight]<-chan struct{}
	for k, a := range h.fl {
		if a == nil {
			continue
		}
		dones[k] = a.ctx.Done()
		if a.ready {
			outs[k], errcs[k] = a.out, a.errc
			if !a.waited {
				// Relay waits for it until its own event: the events of
				// the others, handled at once before the commit, do not
				// interrupt that wait for its idle watch.
				a.waiting()
				a.waited = true
			}
		}
	}
	var tick <-chan time.Time
	if at := h.next(r.g.hedgeDelay()); !at.IsZero() {
		if h.timer == nil {
			h.timer = time.NewTimer(time.Until(at))
		} else {
			h.timer.Reset(time.Until(at))
		}
		tick = h.timer.C
	}
	k, tok, ok, err, ev := -1, *new(Tok), false, error(nil), 0
	var begun *attempt[Tok]
	select {
	case tok, ok = <-outs[0]:
		k, ev = 0, evToken
	case tok, ok = <-outs[1]:
		k, ev = 1, evToken
	case tok, ok = <-outs[2]:
		k, ev = 2, evToken
	case tok, ok = <-outs[3]:
		k, ev = 3, evToken
	case err, ok = <-errcs[0]:
		k, ev = 0, evMore
	case err, ok = <-errcs[1]:
		k, ev = 1, evMore
	case err, ok = <-errcs[2]:
		k, ev = 2, evMore
	case err, ok = <-errcs[3]:
		k, ev = 3, evMore
	case <-dones[0]:
		k, ev = 0, evCancel
	case <-dones[1]:
		k, ev = 1, evCancel
	case <-dones[2]:
		k, ev = 2, evCancel
	case <-dones[3]:
		k, ev = 3, evCancel
	case begun = <-h.started:
	case <-tick:
	case <-ctx.Done():
	}
	if k >= 0 {
		if a := h.fl[k]; a.waited {
			a.busy()
			a.waited = false
		}
	}
	// The other attempts' waits stay open while this event is handled, but
	// their idle clocks stand still: what the handling costs (a predicate,
	// an observer, a classifier of the caller's) is not their silence.
	if r.idleOthers(k) {
		r.pauseOthers(k, true)
		defer r.pauseOthers(k, false)
	}
	if begun != nil {
		r.begun(ctx, begun)
	}
	if k < 0 {
		return
	}
	a := h.fl[k]
	switch {
	case ev == evToken && ok:
		r.take(ctx, a, tok)
		return
	case ev == evToken:
		ev = a.gotClose(ctx)
	case ev == evMore:
		ev = a.gotOutcome(ctx, err, ok)
	case !a.ready:
		// Its Source call has not returned: only ctx can end it now.
		cause := ctxErr(ctx)
		if !a.halted(ctx) {
			cause = a.stop
		}
		r.failPre(ctx, a, cause)
		return
	default:
		ev = a.gotDone(ctx)
	}
	r.handle(ctx, a, tok, ev)
}

// next is when the loop must look again without an event: when the hedge
// delay passes, or when the plan lets the next try start.
func (h *hedging[Tok]) next(delay time.Duration) time.Time {
	var at time.Time
	if h.n > 0 && h.n == h.want && h.want < h.max && !h.noHedge {
		at = h.last.Add(delay)
	}
	if !h.wake.IsZero() && (at.IsZero() || h.wake.Before(at)) {
		at = h.wake
	}
	return at
}

// begun takes an attempt whose Source call returned. One that already
// ended (a timeout or the caller's cancellation) is left alone.
func (r *run[Req, Tok]) begun(ctx context.Context, a *attempt[Tok]) {
	if !slices.Contains(r.h.fl[:], a) {
		return
	}
	a.ready = true
	if a.out == nil || a.errc == nil || a.panicked != nil {
		r.failStart(ctx, a)
	}
}

// commitN ends every other attempt in flight: a lost hedge.
func (r *run[Req, Tok]) commitN(ctx context.Context, won *attempt[Tok]) {
	h := r.h
	now := time.Now()
	for k, a := range h.fl {
		if a == nil {
			continue
		}
		h.fl[k] = nil
		if r.g.ttft != nil {
			// The winner's time to first token; a loser ran this long
			// without one, a lower bound of its own.
			r.g.ttft.observe(now.Sub(h.began[k]))
		}
		if a != won {
			r.plan.tries[a.idx].running--
			r.end(ctx, a, errs.ErrHedgeLost)
			if r.g.cfg.observe != nil {
				r.event(HedgeLost, a, errs.ErrHedgeLost, false)
			}
		}
	}
	h.n = 0
}

// removeN takes a failed attempt out of its slot.
func (r *run[Req, Tok]) removeN(a *attempt[Tok]) {
	h := r.h
	for k := range h.fl {
		if h.fl[k] == a {
			h.fl[k] = nil
			h.n--
			r.plan.tries[a.idx].running--
			return
		}
	}
}

// stopN ends every attempt still in flight when the call ends before the
// commit, and lists them among the failed attempts, in the order the
// attempts started.
func (r *run[Req, Tok]) stopN(ctx context.Context) {
	h := r.h
	cause := errCallEnded
	if ctx.Err() != nil {
		cause = ctxErr(ctx)
	}
	for k, a := range h.fl {
		if a == nil {
			continue
		}
		h.fl[k] = nil
		r.end(ctx, a, cause)
		r.fails = append(r.fails, &errs.AttemptError{Provider: a.info.Provider, Attempt: a.info.Number, Err: cause})
		if r.g.cfg.observe != nil {
			r.event(AttemptFailed, a, cause, false)
		}
		r.failSeq = append(r.failSeq, a.seq)
	}
	h.n = 0
	r.sortFails()
	if fe, ok := r.err.(*errs.FailoverError); ok {
		fe.Attempts = r.fails
	}
}

// sortFails puts the failed attempts in the order they started: with
// several in flight, a later attempt can fail first.
func (r *run[Req, Tok]) sortFails() {
	for i := 1; i < len(r.fails); i++ {
		for j := i; j > 0 && r.failSeq[j] < r.failSeq[j-1]; j-- {
			r.fails[j], r.fails[j-1] = r.fails[j-1], r.fails[j]
			r.failSeq[j], r.failSeq[j-1] = r.failSeq[j-1], r.failSeq[j]
		}
	}
}

// idleOthers reports whether an attempt other than slot k has a watch
// (a first-token or idle timeout) running on an open wait.
func (r *run[Req, Tok]) idleOthers(k int) bool {
	for j, a := range r.h.fl {
		if j != k && a != nil && a.waited && a.w != nil {
			return true
		}
	}
	return false
}

// pauseOthers stops (or restarts) the idle clocks of the attempts other
// than slot k that are waited for.
func (r *run[Req, Tok]) pauseOthers(k int, pause bool) {
	for j, a := range r.h.fl {
		if j == k || a == nil || !a.waited || a.w == nil {
			continue
		}
		if pause {
			a.w.pause()
		} else {
			a.w.resume()
		}
	}
}
