package failover

import (
	"context"
	"errors"
	"reflect"
	"slices"
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
	fl      []*attempt[Tok] // the slots, len MaxInFlight; nil: free
	fbuf    [4]*attempt[Tok]
	n       int       // attempts in flight
	want    int       // attempts the call wants in flight
	noHedge bool      // the call hedges no more: the budget said no, or nothing is left
	unpaid  bool      // want counts a hedge not yet paid for from the hedge budget
	last    time.Time // when the latest attempt started (several slots)
	wake    time.Time // when the plan lets the next try start; zero: now or never
	timer   *time.Timer
	started chan *attempt[Tok] // attempts whose Source call returned (several slots)
	quit    chan struct{}      // closed when the call ends (several slots)
}

func (e *engine[Tok]) init(slots int) {
	e.want = 1
	if slots <= len(e.fbuf) {
		e.fl = e.fbuf[:slots]
		return
	}
	e.fl = make([]*attempt[Tok], slots)
}

// launch starts the call's first attempt when it has one slot, from the
// top of the driver's stack (see bench/doc.go); with several, the first
// step starts it.
func (r *run[Req, Tok]) launch(ctx context.Context) {
	if len(r.eng.fl) == 1 {
		r.start(ctx, 0)
	}
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
	if e.n >= e.want {
		return false
	}
	i := 0
	if r.started > 0 {
		if ctx.Err() != nil {
			r.giveUp(ctxErr(ctx))
			return true
		}
	}
	if r.plan != nil && (r.started > 0 || len(e.fl) > 1) {
		if now.IsZero() {
			now = time.Now()
		}
		var wake time.Time
		var ok bool
		i, wake, ok = r.plan.next(now, int(r.last), e.n > 0)
		switch {
		case !ok && e.n == 0:
			var why error
			if r.plan.late {
				why = errs.ErrDeadline
			}
			r.giveUp(why)
			return true
		case !ok:
			// Nothing left to start beside the attempts in flight: wait
			// for them.
			e.want, e.noHedge, e.unpaid = e.n, true, false
			return false
		case i < 0:
			e.wake = wake
			return false
		}
	}
	if e.unpaid {
		e.unpaid = false
		if !r.g.hedges.spend() {
			e.want, e.noHedge = e.n, true
			return false
		}
	}
	if r.started > 0 {
		if b := r.g.budget; b != nil && !b.spend() {
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

// start starts a try of the provider at entry i of the order: the one
// place a try starts. With one slot the Source is called here, on the
// driver's goroutine; with several, on a goroutine of its own.
func (r *run[Req, Tok]) start(ctx context.Context, i int) {
	e := &r.eng
	a := r.newAttempt(i)
	// The context is made here rather than in newAttempt: registering a
	// child with a cancelable parent is deep, and on the caller's
	// goroutine (the pull form) or the relay goroutine one frame less
	// keeps their stacks from growing.
	a.ctx, a.cancel = context.WithCancelCause(ctx)
	r.setup(a)
	for k := range e.fl {
		if e.fl[k] == nil {
			e.fl[k] = a
			break
		}
	}
	e.n++
	if r.plan != nil {
		r.plan.tries[i].running++
	}
	if len(e.fl) == 1 {
		call(a, r.g.members[r.order[i]].source, r.req)
		r.begun(ctx, a)
		return
	}
	if e.started == nil {
		e.started, e.quit = make(chan *attempt[Tok]), make(chan struct{})
	}
	src := r.g.members[r.order[i]].source
	req, started, quit := r.req, e.started, e.quit
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
	a.info.Provider, a.idx = r.g.members[r.order[i]].name, int32(i)
	a.info.Hedge, a.info.Resume = r.eng.n > 0, r.resumes
	return a
}

// setup gives an attempt that has its context what only some need: a
// report entry, timeouts, a start time, an event.
func (r *run[Req, Tok]) setup(a *attempt[Tok]) {
	m := &r.g.members[r.order[a.idx]]
	if r.rep != nil || m.firstToken > 0 || m.idle > 0 || r.g.cfg.timed {
		r.extras(a, m)
	}
}

// extras sets up what only some attempts need: a report entry, timeouts,
// a start time for health, hedging and events, an event. It stays out of
// newAttempt so that newAttempt's frame, under which a new context
// registers with its parent, stays small (see bench/doc.go).
//
//go:noinline
func (r *run[Req, Tok]) extras(a *attempt[Tok], m *member[Req, Tok]) {
	if r.rep != nil {
		r.reportStart(a)
	}
	if m.firstToken > 0 || m.idle > 0 {
		a.w = newWatch(a.cancel, m.firstToken, m.idle)
	}
	if r.g.cfg.timed {
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

// begun takes an attempt whose Source call returned: ready to be read,
// or failed if the call panicked or returned a nil channel. One that
// already ended (a timeout or the caller's cancellation) is left alone.
func (r *run[Req, Tok]) begun(ctx context.Context, a *attempt[Tok]) {
	if !slices.Contains(r.eng.fl, a) {
		return
	}
	a.ready = true
	if a.out == nil || a.errc == nil || a.panicked != nil {
		r.failStart(ctx, a)
	}
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
		cause = errNilChannels
	case a.out == nil:
		cause = errNilTokens
	default:
		cause = errNilErrors
	}
	r.failPre(ctx, a, cause)
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
		if !e.wake.IsZero() {
			select {
			case <-e.arm(e.wake):
			case <-ctx.Done():
			}
		}
		return
	}
	r.waitMany(ctx)
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
		if r.g.cfg.observe != nil {
			r.event(AttemptFailed, a, cause, false)
		}
		r.failSeq = append(r.failSeq, a.seq)
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
	for i := 1; i < len(r.fails); i++ {
		for j := i; j > 0 && r.failSeq[j] < r.failSeq[j-1]; j-- {
			r.fails[j], r.fails[j-1] = r.fails[j-1], r.fails[j]
			r.failSeq[j], r.failSeq[j-1] = r.failSeq[j-1], r.failSeq[j]
		}
	}
}

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
	if len(e.fl) <= len(e.fbuf) {
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
	cases := make([]reflect.SelectCase, 3*n+3)
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
	for j, ch := range []any{e.started, tick, ctx.Done()} {
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
			if ok {
				w.tok = v.Interface().(Tok)
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

// errCallEnded is the cause of an attempt still in flight when another
// attempt's failure stopped the call.
var errCallEnded = errors.New("the call stopped before this attempt ended")
