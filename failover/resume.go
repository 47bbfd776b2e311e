package failover

import (
	"context"
	"slices"
	"time"

	"github.com/relay-go/relay/errs"
)

// resumption is what a call with Resume keeps: the request it started
// with, every token the caller received, and each committed failure.
type resumption[Req, Tok any] struct {
	req       Req
	delivered []Tok
	failures  []*errs.CommittedError
}

// count notes a token handed to the caller. It stays small enough to be
// inlined into the committed loops.
func (r *run[Req, Tok]) count(tok Tok) {
	r.emitted++
	if r.res != nil {
		r.res.keep(tok)
	}
}

func (res *resumption[Req, Tok]) keep(tok Tok) {
	res.delivered = append(res.delivered, tok)
}

// resume goes on after the committed attempt a failed with ce: it builds
// the continuation's request and starts a new phase before a commit, the
// providers after a first and a last. It returns nil when the call goes
// on, and otherwise ends the call and returns its error.
func (r *run[Req, Tok]) resume(ctx context.Context, a *attempt[Tok], ce *errs.CommittedError) error {
	res := r.res
	res.failures = append(res.failures, ce)
	var why error
	switch {
	case ctx.Err() != nil:
		why = ctxErr(ctx)
	case r.resumes >= r.g.cfg.maxResumes:
		why = errs.ErrMaxResumes
	default:
		req, err := r.g.resume(res.req, res.delivered)
		if err != nil {
			why = err
			break
		}
		r.continueWith(a, req)
		return nil
	}
	var err error = ce
	if r.resumes > 0 || why != errs.ErrMaxResumes && ctx.Err() == nil {
		// A call that resumed, or whose resume was refused, says so; one
		// that never could is a plain committed failure.
		err = r.res.stopped(r, why)
	}
	r.finish(err)
	return err
}

// commitBy bounds the time until the call's first commit: past d, the
// call's context ends with ErrCommitTimeout as its cause. commit stops the
// timer.
func (r *run[Req, Tok]) commitBy(ctx context.Context, d time.Duration) context.Context {
	ctx, cancel := context.WithCancelCause(ctx)
	r.commitT = time.AfterFunc(d, func() { cancel(&limitHit{errs.ErrCommitTimeout, "nothing committed within", d}) })
	prev := r.stopCall
	r.stopCall = func() {
		cancel(nil)
		if prev != nil {
			prev()
		}
	}
	return ctx
}

// continueWith starts continuation number r.resumes+1 with req.
func (r *run[Req, Tok]) continueWith(failed *attempt[Tok], req Req) {
	r.resumes++
	r.req = req
	// The providers after the one that failed first, that one last.
	k := int(failed.idx) + 1
	rotate(r.order, k)
	r.plan = r.g.newPlan(r.order)
	r.fails, r.failSeq = nil, nil
	r.pending, r.heldPos = false, 0
	if h := r.h; h != nil {
		h.want, h.noHedge, h.unpaid, h.wake = 1, false, false, time.Time{}
	}
	if r.g.cfg.observe != nil {
		r.event(Resumed, failed, r.res.failures[len(r.res.failures)-1].Err, true)
	}
	// The next step starts the continuation's first attempt: pick sees a
	// plan with every try left.
	r.started = max(r.started, 1)
	r.last = -1
}

// rotate moves the first k entries of order to its end, in place.
func rotate(order []int32, k int) {
	k %= len(order)
	slices.Reverse(order[:k])
	slices.Reverse(order[k:])
	slices.Reverse(order)
}

// stopped is the error of a call that resumed and still did not
// complete: each committed failure, and why the call did not go on.
func (res *resumption[Req, Tok]) stopped(r *run[Req, Tok], why error) error {
	if _, done := why.(*errs.ResumeError); done {
		return why
	}
	return &errs.ResumeError{Emitted: r.emitted, Resumes: r.resumes, Failures: res.failures, Err: why}
}
