package failover

import (
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

	order []int // eligible providers, by index, in the order to try them
	obuf  [8]int
	pos   int // index in order of the provider being tried
	try   int // tries of that provider so far

	cur  *attempt[Tok] // in flight before the commit
	live *attempt[Tok] // committed
	a0   attempt[Tok]  // the first attempt, kept inline to save an allocation

	// Tokens to hand out before reading on: the held tokens that were not
	// content, then the token that committed.
	held     []Tok
	heldPos  int
	first    Tok
	pending  bool
	emitted  int // tokens the driver delivered
	fails    []*errs.AttemptError
	done     bool
	err      error
	attempts int
	launched int           // attempts started in this call
	wait     time.Duration // to wait before the next attempt
	stopCall func()        // releases the MaxCallTime context, if any
}

// begin starts a call, or returns the error that ends it before any
// attempt. Accepts and the ignore list are evaluated here, on the caller's
// goroutine. The returned context is the one the call runs under: ctx, or
// a child bounded by MaxCallTime.
func (g *Group[Req, Tok]) begin(ctx context.Context, req Req) (*run[Req, Tok], context.Context, error) {
	if ctx.Err() != nil {
		return nil, ctx, ctxErr(ctx)
	}
	r := &run[Req, Tok]{g: g, req: req, attempts: max(g.attempts, 1)}
	r.rep = reportFor(ctx)
	ign := ignored(ctx)
	r.order = r.obuf[:0]
	for i := range g.providers {
		p := &g.providers[i]
		if len(ign) > 0 && slices.Contains(ign, p.Name) {
			continue
		}
		if p.Accepts != nil && !p.Accepts(req) {
			continue
		}
		r.order = append(r.order, i)
	}
	if len(r.order) == 0 {
		return nil, ctx, errs.ErrNoProvider
	}
	if g.shuffle {
		g.shuffleInto(r.order)
	}
	if g.budget != nil {
		g.budget.call()
	}
	if g.maxCall > 0 {
		ctx, r.stopCall = context.WithTimeoutCause(ctx, g.maxCall, &callTimeout{g.maxCall})
	}
	return r, ctx, nil
}

// next returns the next token for the caller, or ok == false and the call's
// final error (nil for success). After the commit, it is one receive.
func (r *run[Req, Tok]) next(ctx context.Context) (tok Tok, ok bool, err error) {
	if a := r.live; a != nil {
		if !r.pending && a.out != nil && !a.known {
			a.waiting()
			select {
			case tok, ok := <-a.out:
				if ok {
					a.busy()
					return tok, true, nil
				}
				a.out = nil
			case <-a.ctx.Done():
			}
		}
		return r.nextLive(ctx, a)
	}
	for !r.done {
		if r.cur == nil {
			r.launchNext(ctx)
			continue
		}
		r.step(ctx, r.cur)
		if a := r.live; a != nil {
			return r.nextLive(ctx, a)
		}
	}
	return tok, false, r.err
}

// fast returns the committed attempt when the next token is a plain
// receive from it: no held tokens to release, no outcome seen early, no
// timeout to feed. The drivers then run their own loop of receives and
// deliveries, and come back to next for anything else.
func (r *run[Req, Tok]) fast() *attempt[Tok] {
	if a := r.live; a != nil && !r.pending && a.out != nil && !a.known && a.w == nil {
		return a
	}
	return nil
}

// nextLive is the committed path that is not a plain receive: tokens held
// at the commit, the drain after an early outcome, the end of the stream.
func (r *run[Req, Tok]) nextLive(ctx context.Context, a *attempt[Tok]) (tok Tok, ok bool, err error) {
	if r.pending {
		if r.heldPos < len(r.held) {
			tok = r.held[r.heldPos]
			r.heldPos++
			return tok, true, nil
		}
		var zero Tok
		tok, r.first, r.pending, r.held = r.first, zero, false, nil
		return tok, true, nil
	}
	if a.out != nil && a.known {
		// The outcome came first: every token sent before it is buffered.
		select {
		case tok, ok := <-a.out:
			if ok {
				return tok, true, nil
			}
		default:
		}
		a.out = nil
	}
	if a.out != nil {
		// The plain receive in next was cut short by the attempt's context.
		return tok, false, r.failLive(ctx, a, r.cause(ctx, a, nil))
	}
	if !a.known {
		select {
		case err, ok := <-a.errc:
			a.setOutcome(err, ok)
		case <-a.ctx.Done():
			return tok, false, r.failLive(ctx, a, r.cause(ctx, a, nil))
		}
	}
	if a.outcome != nil {
		return tok, false, r.failLive(ctx, a, r.cause(ctx, a, a.outcome))
	}
	r.end(a, nil)
	r.live = nil
	r.finish(nil)
	return tok, false, nil
}

// launchNext starts the next try: the same provider while it has tries
// left, then the next one. When none is left it ends the call. It keeps
// its frame small and its cold paths out of line: the provider's Source
// runs on top of it, on the relay goroutine's small stack.
func (r *run[Req, Tok]) launchNext(ctx context.Context) {
	if ctx.Err() != nil {
		r.finish(&errs.FailoverError{Attempts: r.fails, Err: ctxErr(ctx)})
		return
	}
	if r.try >= r.attempts {
		r.pos++
		r.try = 0
	}
	if r.pos >= len(r.order) {
		r.finish(&errs.FailoverError{Attempts: r.fails})
		return
	}
	if r.launched > 0 && !r.mayGoOn(ctx) {
		return
	}
	r.launched++
	r.try++
	p := &r.g.providers[r.order[r.pos]]
	a := &r.a0
	if a.name != "" {
		a = new(attempt[Tok])
	}
	a.name, a.num = p.Name, r.try
	a.ctx, a.cancel = context.WithCancelCause(ctx)
	if r.rep != nil {
		r.reportStart(a)
	}
	if r.g.firstToken > 0 || r.g.idle > 0 {
		a.w = newWatch(a.cancel, r.g.firstToken, r.g.idle)
	}
	r.cur = a
	call(a, p.Source, r.req)
	if a.out == nil || a.errc == nil || a.pc.Recovered() != nil {
		r.failStart(ctx, a)
	}
}

// call calls the provider's Source, catching a panic in it.
func call[Req, Tok any](a *attempt[Tok], src func(context.Context, Req) (<-chan Tok, <-chan error), req Req) {
	a.pc.Try(func() { a.out, a.errc = src(a.ctx, req) })
}

//go:noinline
func (r *run[Req, Tok]) reportStart(a *attempt[Tok]) {
	a.start = time.Now()
	a.rep = r.rep.add(Attempt{Provider: a.name, Number: a.num, Start: a.start})
}

// failStart fails an attempt whose Source call panicked or returned a nil
// channel.
//
//go:noinline
func (r *run[Req, Tok]) failStart(ctx context.Context, a *attempt[Tok]) {
	var cause error
	switch rec := a.pc.Recovered(); {
	case rec != nil:
		cause = &errs.PanicError{Value: rec.Value, Stack: rec.Stack}
	case a.out == nil && a.errc == nil:
		cause = fmt.Errorf("%w: it returned nil token and error channels", errs.ErrContract)
	case a.out == nil:
		cause = fmt.Errorf("%w: it returned a nil token channel", errs.ErrContract)
	default:
		cause = fmt.Errorf("%w: it returned a nil error channel", errs.ErrContract)
	}
	r.failPre(ctx, a, cause)
}

// step waits for one event of the attempt in flight before the commit.
func (r *run[Req, Tok]) step(ctx context.Context, a *attempt[Tok]) {
	switch {
	case a.known:
		r.drainPre(ctx, a)
		return
	case a.out == nil:
		select {
		case err, ok := <-a.errc:
			a.setOutcome(err, ok)
			r.endPre(ctx, a)
		case <-a.ctx.Done():
			r.failPre(ctx, a, r.cause(ctx, a, nil))
		}
		return
	}
	a.waiting()
	select {
	case tok, ok := <-a.out:
		if !ok {
			a.out = nil
			return
		}
		a.busy()
		r.take(ctx, a, tok)
	case err, ok := <-a.errc:
		a.setOutcome(err, ok)
		r.drainPre(ctx, a)
	case <-a.ctx.Done():
		r.failPre(ctx, a, r.cause(ctx, a, nil))
	}
}

// drainPre takes the tokens buffered before an early outcome, which may
// still commit the attempt, and otherwise ends it.
func (r *run[Req, Tok]) drainPre(ctx context.Context, a *attempt[Tok]) {
	for r.cur == a {
		select {
		case tok, ok := <-a.out:
			if ok {
				r.take(ctx, a, tok)
				continue
			}
		default:
		}
		a.out = nil
		r.endPre(ctx, a)
	}
}

// take handles one token before the commit.
func (r *run[Req, Tok]) take(ctx context.Context, a *attempt[Tok], tok Tok) {
	if !a.seen {
		a.seen = true
		if a.w != nil && !a.w.gotFirst() {
			r.failPre(ctx, a, r.cause(ctx, a, nil))
			return
		}
		if r.rep != nil {
			r.rep.firstToken(a.rep, time.Since(a.start))
		}
	}
	if r.g.content != nil && !r.g.content(tok) {
		a.held = append(a.held, tok)
		return
	}
	r.cur, r.live = nil, a
	r.held, a.held = a.held, nil
	r.first, r.pending = tok, true
	if r.rep != nil {
		r.rep.commit(a.rep)
	}
}

// endPre ends an attempt whose stream ended before any content token.
func (r *run[Req, Tok]) endPre(ctx context.Context, a *attempt[Tok]) {
	err := a.outcome
	if err == nil {
		err = errs.ErrEmpty
	}
	r.failPre(ctx, a, r.cause(ctx, a, err))
}

// failPre records a failed attempt before the commit and decides whether
// the call goes on.
func (r *run[Req, Tok]) failPre(ctx context.Context, a *attempt[Tok], cause error) {
	r.end(a, cause)
	r.cur = nil
	r.fails = append(r.fails, &errs.AttemptError{Provider: a.name, Attempt: a.num, Err: cause})
	if ctx.Err() != nil {
		r.finish(&errs.FailoverError{Attempts: r.fails, Err: ctxErr(ctx)})
		return
	}
	r.plan(ctx, cause)
}

// failLive ends the committed attempt with cause.
func (r *run[Req, Tok]) failLive(ctx context.Context, a *attempt[Tok], cause error) error {
	r.end(a, cause)
	r.live = nil
	err := &errs.CommittedError{Provider: a.name, Emitted: r.emitted, Err: cause}
	r.finish(err)
	return err
}

// abort ends the call because the caller's context ended while a token
// of the committed attempt was being delivered.
func (r *run[Req, Tok]) abort(ctx context.Context) error {
	return r.failLive(ctx, r.live, ctxErr(ctx))
}

// close cancels whatever is still in flight; the driver defers it, so an
// early return or a panic leaves no attempt running.
func (r *run[Req, Tok]) close() {
	for _, a := range [...]*attempt[Tok]{r.cur, r.live} {
		if a != nil {
			r.end(a, nil)
		}
	}
	r.cur, r.live = nil, nil
	r.done = true
	if r.stopCall != nil {
		r.stopCall()
	}
}

func (r *run[Req, Tok]) end(a *attempt[Tok], err error) {
	if a.w != nil {
		a.w.stop()
	}
	a.cancel(nil)
	if r.rep != nil {
		r.rep.end(a.rep, err)
	}
}

func (r *run[Req, Tok]) finish(err error) {
	r.done = true
	r.err = err
}

// cause is why an attempt ended: the caller's context error if it ended,
// relay's own timeout if relay stopped the attempt, else err.
func (r *run[Req, Tok]) cause(ctx context.Context, a *attempt[Tok], err error) error {
	if ctx.Err() != nil {
		return ctxErr(ctx)
	}
	if a.ctx.Err() != nil {
		if c := context.Cause(a.ctx); c != nil && c != context.Canceled {
			return c
		}
	}
	if err == nil {
		err = context.Cause(a.ctx)
	}
	return err
}
