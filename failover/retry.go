package failover

import (
	"context"
	"time"

	"github.com/relay-go/relay/errs"
)

// plan decides, after an attempt failed before the commit, what the call
// does next: stop, retry the provider after a wait, or move on to the next
// provider after a wait. No wait may end after the call's deadline.
func (r *run[Req, Tok]) plan(ctx context.Context, cause error) {
	g := r.g
	class := DefaultClass(cause)
	if g.classify != nil {
		class = g.classify(cause)
	}
	switch class {
	case Stop:
		r.finish(&errs.FailoverError{Attempts: r.fails})
		return
	case NextProvider:
		r.try = r.attempts
	}
	r.wait = 0
	deadline, bounded := ctx.Deadline()
	fits := func(d time.Duration) bool { return !bounded || !time.Now().Add(d).After(deadline) }
	late := false
	if r.try < r.attempts {
		hint, hinted := errs.RetryAfterHint(cause)
		switch {
		case hinted && hint > g.maxRetryAfter:
			r.try = r.attempts // not worth waiting for in this call
		default:
			var wait time.Duration
			if hinted {
				wait = hint
			}
			if g.backoffBase > 0 {
				wait = max(wait, g.jitter(r.try))
			}
			if fits(wait) {
				r.wait = wait
				return
			}
			late = true
			r.try = r.attempts
		}
	}
	// The call moves on to the next provider, if there is one.
	if r.pos+1 >= len(r.order) {
		if late {
			r.finish(&errs.FailoverError{Attempts: r.fails, Err: errs.ErrDeadline})
		}
		return
	}
	if g.backoffProviders && g.backoffBase > 0 {
		wait := g.jitter(len(r.fails))
		if !fits(wait) {
			r.finish(&errs.FailoverError{Attempts: r.fails, Err: errs.ErrDeadline})
			return
		}
		r.wait = wait
	}
}

// mayGoOn runs before every attempt but a call's first: it spends the
// retry budget and waits out the planned delay. It reports false, having
// ended the call, when the budget is spent or ctx ends during the wait.
func (r *run[Req, Tok]) mayGoOn(ctx context.Context) bool {
	if b := r.g.budget; b != nil && !b.spend() {
		r.finish(&errs.FailoverError{Attempts: r.fails, Err: errs.ErrBudget})
		return false
	}
	if r.wait <= 0 {
		return true
	}
	t := time.NewTimer(r.wait)
	defer t.Stop()
	select {
	case <-t.C:
		r.wait = 0
		return true
	case <-ctx.Done():
		r.finish(&errs.FailoverError{Attempts: r.fails, Err: ctxErr(ctx)})
		return false
	}
}
