package failover

import (
	"context"
	"time"

	"github.com/relay-go/relay/errs"
)

// decide records, after the attempt at entry i of the order failed before
// the commit, what the call does next: stop, or when each provider may be
// tried again. It never sleeps: pick does the waiting.
//
// A backoff keeps the provider's place (its tries come before the next
// provider's); a Retry-After hint defers it instead, so the call moves on
// and comes back to it only if it still needs it, once the hint has
// passed. No wait may end at or after the call's deadline: a provider that
// would have to wait that long is given up for the call.
func (r *run[Req, Tok]) decide(ctx context.Context, i int, cause error) {
	g := r.g
	if r.plan == nil {
		r.plan = r.g.newPlan(r.order)
		r.plan.tries[r.last].n = 1
	}
	pl := r.plan
	t := &pl.tries[i]
	class := DefaultClass(cause)
	if g.cfg.classify != nil {
		class = g.cfg.classify(cause)
	}
	switch class {
	case Stop:
		r.finish(&errs.FailoverError{Attempts: r.fails, Err: cause})
		return
	case NextProvider:
		t.out = true
	}
	var now time.Time
	deadline, bounded := ctx.Deadline()
	fits := func(d time.Duration) bool {
		if now.IsZero() {
			now = time.Now()
		}
		return !bounded || now.Add(d).Before(deadline)
	}
	moving := t.out || t.n >= t.max
	if !moving {
		hint, hinted := errs.RetryAfterHint(cause)
		var wait time.Duration
		switch {
		case hinted && hint > g.cfg.maxRetryAfter:
			t.out, moving = true, true // not worth waiting for in this call
		case hinted:
			wait = hint
		}
		if !moving && g.cfg.backoffBase > 0 {
			wait = max(wait, g.jitter(int(t.n)))
		}
		switch {
		case moving || wait <= 0:
		case fits(wait):
			t.after, t.deferred, moving = now.Add(wait), hinted, hinted
		default:
			t.out, moving, pl.late = true, true, true
		}
	}
	if moving && g.cfg.backoffProviders && g.cfg.backoffBase > 0 {
		// A wait that would cross the deadline is skipped: move on now.
		pl.gate = time.Time{}
		if wait := g.jitter(len(r.fails)); fits(wait) {
			pl.gate = now.Add(wait)
		}
	}
}

// next returns the entry of the order to try next, if one may start at
// now, and otherwise when to look again (ok is false when no try is
// left). Providers are looked at in order: the first one ready starts; a
// provider waiting out a backoff holds its place, so the ones after it
// wait too; a deferred one lets the ones after it go first.
//
// With idleFirst (hedging), a provider with an attempt in flight is passed
// over for one without, if one is ready.
func (pl *plan) next(now time.Time, last int, idleFirst bool) (i int, wake time.Time, ok bool) {
	if idleFirst {
		if i, wake, ok := pl.scan(now, last, true); i >= 0 {
			return i, wake, ok
		}
	}
	return pl.scan(now, last, false)
}

func (pl *plan) scan(now time.Time, last int, idle bool) (i int, wake time.Time, ok bool) {
	for i := range pl.tries {
		t := &pl.tries[i]
		if t.out || t.n >= t.max || (idle && t.running > 0) {
			continue
		}
		at := t.after
		if i != last && at.Before(pl.gate) {
			at = pl.gate
		}
		if !at.After(now) {
			return i, now, true
		}
		if wake.IsZero() || at.Before(wake) {
			wake = at
		}
		if !t.deferred {
			break
		}
	}
	return -1, wake, !wake.IsZero()
}

// pick waits until a try may start and returns its entry of the order. It
// reports false, having ended the call, when no try is left, the retry
// budget is spent or ctx ends, during a wait or before the try.
func (r *run[Req, Tok]) pick(ctx context.Context) (int, bool) {
	for {
		if ctx.Err() != nil {
			r.finish(&errs.FailoverError{Attempts: r.fails, Err: ctxErr(ctx)})
			return 0, false
		}
		now := time.Now()
		i, wake, ok := r.plan.next(now, int(r.last), false)
		if !ok {
			var why error
			if r.plan.late {
				why = errs.ErrDeadline
			}
			r.finish(&errs.FailoverError{Attempts: r.fails, Err: why})
			return 0, false
		}
		if i >= 0 {
			if b := r.g.budget; b != nil && !b.spend() {
				r.finish(&errs.FailoverError{Attempts: r.fails, Err: errs.ErrBudget})
				return 0, false
			}
			return i, true
		}
		if !sleep(ctx, wake.Sub(now)) {
			continue // ctx ended: the check above ends the call
		}
	}
}

// sleep waits for d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
