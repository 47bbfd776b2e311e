package failover

import (
	"context"
	"reflect"
	"time"
)

// waitMany waits, with several slots, for one event of the attempts in
// flight, of their Source calls, of the timer or of ctx, and acts on it.
func (r *run[Req, Tok]) waitMany(ctx context.Context) {
	e := &r.eng
	for _, a := range e.fl {
		if a != nil && a.ready && !a.waited {
			// Relay waits for it until its own event: the events of the
			// others, handled at once before the commit, do not interrupt
			// that wait for its idle watch.
			a.waiting()
			a.waited = true
		}
	}
	var tick <-chan time.Time
	if at := e.next(r.g.hedgeDelay()); !at.IsZero() {
		tick = e.arm(at)
	}
	var w waited[Tok]
	if len(e.fl) <= 4 {
		w = r.select4(ctx, tick)
	} else {
		w = r.selectN(ctx, tick)
	}
	k := w.slot
	if k >= 0 {
		if a := e.fl[k]; a.waited {
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
	if w.begun != nil {
		r.begun(ctx, w.begun)
	}
	if k < 0 {
		return
	}
	a := e.fl[k]
	ev := w.ev
	switch {
	case ev == evToken && w.ok:
		r.take(ctx, a, w.tok)
		return
	case ev == evToken:
		ev = a.gotClose(ctx)
	case ev == evMore:
		ev = a.gotOutcome(ctx, w.err, w.ok)
	case !a.ready:
		// Its Source call has not returned: only a context can end it now.
		r.failPre(ctx, a, a.stopCause(ctx))
		return
	default:
		ev = a.gotDone(ctx)
	}
	r.handle(ctx, a, w.tok, ev)
}

// waited is what one wait of waitMany received.
type waited[Tok any] struct {
	slot  int // the slot whose attempt sent it; -1 for none
	ev    int // evToken (a token or the close), evMore (the outcome) or evCancel (its context)
	tok   Tok
	ok    bool
	err   error
	begun *attempt[Tok] // an attempt whose Source call returned
}

// select4 is waitMany's select for up to four slots, written out: no
// reflection and no allocation.
func (r *run[Req, Tok]) select4(ctx context.Context, tick <-chan time.Time) (w waited[Tok]) {
	e := &r.eng
	var outs [4]<-chan Tok
	var errcs [4]<-chan error
	var dones [4]<-chan struct{}
	for k, a := range e.fl {
		if a == nil {
			continue
		}
		dones[k] = a.ctx.Done()
		if a.ready {
			outs[k], errcs[k] = a.out, a.errc
		}
	}
	w.slot = -1
	select {
	case w.tok, w.ok = <-outs[0]:
		w.slot, w.ev = 0, evToken
	case w.tok, w.ok = <-outs[1]:
		w.slot, w.ev = 1, evToken
	case w.tok, w.ok = <-outs[2]:
		w.slot, w.ev = 2, evToken
	case w.tok, w.ok = <-outs[3]:
		w.slot, w.ev = 3, evToken
	case w.err, w.ok = <-errcs[0]:
		w.slot, w.ev = 0, evMore
	case w.err, w.ok = <-errcs[1]:
		w.slot, w.ev = 1, evMore
	case w.err, w.ok = <-errcs[2]:
		w.slot, w.ev = 2, evMore
	case w.err, w.ok = <-errcs[3]:
		w.slot, w.ev = 3, evMore
	case <-dones[0]:
		w.slot, w.ev = 0, evCancel
	case <-dones[1]:
		w.slot, w.ev = 1, evCancel
	case <-dones[2]:
		w.slot, w.ev = 2, evCancel
	case <-dones[3]:
		w.slot, w.ev = 3, evCancel
	case w.begun = <-e.started:
	case <-e.slot:
		e.gotSlot()
	case <-tick:
	case <-ctx.Done():
	}
	return w
}

// selectN is waitMany's select for more than four slots, through
// reflect.Select: a call that keeps that many attempts in flight pays a
// few allocations per event before its commit, and nothing after it.
func (r *run[Req, Tok]) selectN(ctx context.Context, tick <-chan time.Time) (w waited[Tok]) {
	e := &r.eng
	n := len(e.fl)
	cases := make([]reflect.SelectCase, 3*n+4)
	for k, a := range e.fl {
		for j := range 3 {
			cases[3*k+j].Dir = reflect.SelectRecv
		}
		if a == nil {
			continue
		}
		cases[3*k+2].Chan = reflect.ValueOf(a.ctx.Done())
		if a.ready {
			if a.out != nil {
				cases[3*k].Chan = reflect.ValueOf(a.out)
			}
			if a.errc != nil {
				cases[3*k+1].Chan = reflect.ValueOf(a.errc)
			}
		}
	}
	for j, ch := range []any{e.started, tick, ctx.Done(), e.slot} {
		cases[3*n+j].Dir = reflect.SelectRecv
		if v := reflect.ValueOf(ch); !v.IsNil() {
			cases[3*n+j].Chan = v
		}
	}
	chosen, v, ok := reflect.Select(cases)
	w.slot = -1
	switch {
	case chosen < 3*n:
		w.slot, w.ok = chosen/3, ok
		switch chosen % 3 {
		case 0:
			w.ev = evToken
			if x := v.Interface(); ok && x != nil {
				w.tok = x.(Tok) // a nil of an interface Tok stays the zero Tok
			}
		case 1:
			w.ev = evMore
			if ok && !v.IsNil() {
				w.err = v.Interface().(error)
			}
		default:
			w.ev = evCancel
		}
	case chosen == 3*n && ok:
		w.begun = v.Interface().(*attempt[Tok])
	case chosen == 3*n+3:
		e.gotSlot()
	}
	return w
}

// idleOthers reports whether an attempt other than slot k has a watch
// (a first-token or idle timeout) running on an open wait.
func (r *run[Req, Tok]) idleOthers(k int) bool {
	for j, a := range r.eng.fl {
		if j != k && a != nil && a.waited && a.w != nil {
			return true
		}
	}
	return false
}

// pauseOthers stops (or restarts) the idle clocks of the attempts other
// than slot k that are waited for.
func (r *run[Req, Tok]) pauseOthers(k int, pause bool) {
	for j, a := range r.eng.fl {
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
