package failover

import (
	"context"
	"slices"
	"time"
)

// start starts a try of the provider at entry i of the order: the one
// place a try starts. With one slot the Source is called here, on the
// driver's goroutine; with several, on a goroutine of its own.
func (r *run[Req, Tok]) start(ctx context.Context, i int) {
	e := &r.eng
	a := r.newAttempt(i)
	// The context is made here, not in newAttempt: see bench/doc.go.
	if r.g.loads != nil {
		r.held(a) // the caller claimed its slot
	}
	base := ctx
	if r.g.cfg.observe {
		base = r.attemptStarted(ctx, a) // an observer may extend it
	}
	a.ctx, a.cancel = context.WithCancelCause(base)
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
	a.info.Hedge, a.info.Resume, a.info.Call = r.eng.n > 0, r.resumes, r.call
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
// newAttempt (see bench/doc.go).
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
}

// call calls the provider's Source, catching a panic in it.
func call[Req, Tok any](a *attempt[Tok], src func(context.Context, Req) (<-chan Tok, <-chan error), req Req) {
	defer a.catch()
	a.out, a.errc = src(a, req)
}

//go:noinline
func (r *run[Req, Tok]) reportStart(a *attempt[Tok]) {
	a.rep = r.rep.add(Attempt{Provider: a.info.Provider, Number: a.info.Number, Start: time.Now(), Resume: a.info.Resume})
	a.vals = &callValues{parent: r.rep, entry: a.rep}
	if r.more != nil {
		a.vals.ignore = r.more.ignore
	}
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
