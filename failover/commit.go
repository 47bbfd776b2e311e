package failover

import (
	"context"
	"fmt"
	"time"

	"github.com/relay-go/relay/errs"
)

// Content sets which tokens are content. The first content token of an
// attempt is its commit point. Tokens that are not content (metadata, usage
// reports) that arrive before the commit are held and released, in order,
// just before the committing token, or dropped with the attempt if it fails,
// so the caller never sees a token from a provider that lost. An attempt
// that ends without a content token fails with [errs.ErrEmpty]. After the
// commit the predicate is no longer called. By default every token is
// content.
//
// isContent runs on the goroutine that drives the call (the group's relay
// goroutine for [Group.Stream]); a panic in it is not recovered. New panics
// if isContent's token type is not the group's, and Content panics if
// isContent is nil.
func Content[Tok any](isContent func(Tok) bool) Option {
	if isContent == nil {
		panic("failover: Content needs a non-nil predicate")
	}
	return optionFunc(func(c *config) { c.content = isContent })
}

// CommitAfter holds up to n content tokens of an attempt before it commits,
// instead of committing at the first: an attempt that fails within its
// first n content tokens fails over with nothing shown, as one that fails
// before its first token does. The held tokens (with the tokens that are
// not content before them) are released in order at the commit, which
// comes at the n-th content token or at the clean end of a shorter
// stream. An attempt that a timeout, the group's limits or the caller
// ended never commits, even on a token that arrived in the same instant.
//
// The caller trades latency for safety: the first token reaches it when
// the n-th arrives, and the held tokens cost memory until then. After the
// commit nothing changes: one receive per token. The first-token timeout
// still measures the first content token. CommitAfter(1) is the default.
// CommitAfter panics if n < 1.
func CommitAfter(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("failover: CommitAfter(%d): an attempt commits at its first content token at the earliest", n))
	}
	return optionFunc(func(c *config) { c.commitAfter = n })
}

// CommitTimeout bounds the time a call takes to get an answer started:
// if no attempt has committed d after the call started, across every
// attempt and every wait, the call ends with an [*errs.FailoverError]
// whose Err wraps [errs.ErrCommitTimeout], and every attempt in flight is
// cancelled. After the commit it no longer applies, so a long answer that
// started in time is never cut; [MaxCallTime] bounds a whole call. An
// attempt that the commit timeout ends counts as its provider's failure
// for health ([Cooldown]): a provider that hangs is cooled down like one
// that errs. Zero, the default, leaves the start to the other timeouts
// and the caller's context. CommitTimeout panics if d < 0.
//
// A commit in the very instant the timeout fires may lose the race: the
// stream has committed, so the call ends as a committed stream does, with
// an [*errs.CommittedError] whose cause wraps ErrCommitTimeout, after the
// tokens the caller took (perhaps none). Nothing is mixed either way.
func CommitTimeout(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("failover: CommitTimeout(%v): the duration must not be negative", d))
	}
	return optionFunc(func(c *config) { c.commitTimeout = d })
}

// commitBy bounds the time until the call's first commit: past d, the
// call's context ends with ErrCommitTimeout as its cause. commit stops the
// timer.
func (r *run[Req, Tok]) commitBy(ctx context.Context, d time.Duration, owner *limitOwner) context.Context {
	ctx, cancel := context.WithCancelCause(ctx)
	r.commitT = time.AfterFunc(d, func() { cancel(&limitHit{errs.ErrCommitTimeout, "nothing committed within", d, owner}) })
	prev := r.stopCall
	r.stopCall = func() {
		cancel(nil)
		if prev != nil {
			prev()
		}
	}
	return ctx
}

// take handles one token of an attempt before the commit.
func (r *run[Req, Tok]) take(ctx context.Context, a *attempt[Tok], tok Tok) {
	if !a.seen {
		a.seen = true
		if r.g.cfg.observe {
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
			r.failPre(ctx, a, a.stopCause(ctx))
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
	if a.contents == 1 && r.g.cfg.observe {
		r.event(Held, a, nil, false)
	}
}

// commit makes a the attempt the caller receives, tok its last token
// before reading on (after the tokens it held), and ends every other
// attempt in flight: lost hedges. An attempt whose context has ended (a
// timeout fired, the group's limit or the caller's context ended) as its
// committing token arrived fails instead: nothing is shown of it.
func (r *run[Req, Tok]) commit(ctx context.Context, a *attempt[Tok], tok Tok) {
	if (a.w != nil && !a.w.running()) || a.ctx.Err() != nil {
		r.failPre(ctx, a, a.stopCause(ctx))
		return
	}
	if !a.alive {
		a.arm(false) // the caller gets this token first
	}
	if r.commitT != nil {
		r.commitT.Stop()
		r.commitT = nil
	}
	r.live = a
	r.first, r.pending = tok, true
	if r.g.cfg.observe {
		r.event(Committed, a, nil, false)
	}
	r.settle(ctx, a)
	if r.rep != nil {
		r.rep.commit(a.rep)
	}
}

// settle empties the engine's slots at the commit of won: every other
// attempt in flight lost the race.
func (r *run[Req, Tok]) settle(ctx context.Context, won *attempt[Tok]) {
	e := &r.eng
	if len(e.fl) == 1 && r.g.ttft == nil {
		e.fl[0], e.n = nil, 0 // the one slot: nothing else ran
		r.ran(won.idx)
		return
	}
	now := time.Now()
	for k, a := range e.fl {
		if a == nil {
			continue
		}
		e.fl[k] = nil
		r.ran(a.idx)
		if r.g.ttft != nil {
			// The winner's time to first token; a loser ran this long
			// without one, a lower bound of its own.
			r.g.ttft.observe(now.Sub(a.began))
		}
		if a != won {
			r.end(ctx, a, errs.ErrHedgeLost)
			if r.g.cfg.observe {
				r.event(HedgeLost, a, errs.ErrHedgeLost, false)
			}
		}
	}
	e.n = 0
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
			// A clean end: close ends the attempt, from the top of the
			// driver's stack (see bench/doc.go).
			r.clean = true
			r.finish(nil)
			return tok, false, nil
		}
	}
}

// failLive ends the committed attempt with cause.
func (r *run[Req, Tok]) failLive(ctx context.Context, a *attempt[Tok], cause error) error {
	r.end(ctx, a, cause)
	if hint, ok := errs.RetryAfterHint(cause); ok {
		r.hint(ctx, a, hint, cause, false) // for the group's other calls, and a resume
	}
	if r.g.cfg.observe {
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
