package failover

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/relay-go/relay/errs"
)

// Resume continues a stream that fails after its commit instead of ending
// it: continueFrom builds a new request from the call's request and every
// token the caller has received so far, and the call goes on with it in a
// fresh phase before a commit (retries, timeouts, hedging and all), trying
// first the providers after the one that failed and that one last. Only
// the continuation's own tokens reach the caller, so that the output
// reads as one answer. continueFrom can refuse, with an error, when the
// prefix cannot be continued (a tool call half-emitted, say); the call
// then ends.
//
// A call resumes at most [MaxResumes] times (2 by default). When it ends
// without completing, its error is an [*errs.ResumeError] that names each
// committed failure and why the call stopped; errors.As still finds the
// first [*errs.CommittedError] in it. A call that never resumed because
// it could not (MaxResumes(0), or the caller's context ended with the
// first failure) ends with that plain *errs.CommittedError. The [Report] marks each attempt with
// the continuation it served ([Attempt].Resume), and a provider can read
// the same from its context ([AttemptOf]).
//
// continueFrom runs on the goroutine that drives the call; emitted is
// relay's own record, valid only during the call: copy what you keep.
// Keeping that record costs a slice append per token, and only with
// Resume. New panics if continueFrom's types are not the group's, and
// Resume panics if continueFrom is nil.
func Resume[Req, Tok any](continueFrom func(req Req, emitted []Tok) (Req, error)) Option {
	if continueFrom == nil {
		panic("failover: Resume needs a non-nil function")
	}
	return optionFunc(func(c *config) { c.resume = continueFrom })
}

// MaxResumes bounds how many times one call resumes (see [Resume]); the
// default is 2. MaxResumes(0) keeps the record of what was delivered but
// never resumes. MaxResumes panics if n < 0.
func MaxResumes(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("failover: MaxResumes(%d): the count must not be negative", n))
	}
	return optionFunc(func(c *config) { c.maxResumes = n })
}

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
		r.continueWith(ctx, a, req)
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

// continueWith starts continuation number r.resumes+1 with req.
func (r *run[Req, Tok]) continueWith(ctx context.Context, failed *attempt[Tok], req Req) {
	r.resumes++
	r.req = req
	// The hints the call knows of (kept by the group, or its own) hold in
	// the continuation too, provider by provider.
	now := time.Now()
	holds := map[int32]time.Time{}
	if old := r.plan; old != nil {
		for k, t := range old.tries {
			if t.deferred && t.after.After(now) {
				holds[r.order[k]] = t.after
			}
		}
	}
	for i, s := range r.g.lstates {
		if h := s.hint.Load(); h > now.UnixNano() && time.Unix(0, h).After(holds[int32(i)]) {
			holds[int32(i)] = time.Unix(0, h)
		}
	}
	// The providers after the one that failed first, that one last; the
	// cooling ones stay after every other, in the same rotation.
	cool := len(r.order) - int(r.ncool)
	if k := int(failed.idx); k < cool {
		rotate(r.order[:cool], k+1)
	} else {
		rotate(r.order[cool:], k-cool+1)
	}
	r.plan = r.g.newPlan(r.order, r.ncool)
	if len(holds) > 0 {
		deadline, _ := ctx.Deadline()
		for k, i := range r.order {
			if until, ok := holds[i]; ok {
				r.plan.hold(k, until, deadline)
			}
		}
	}
	r.fails = nil
	if m := r.more; m != nil {
		m.failSeq, m.hinted = nil, 0
	}
	r.pending, r.heldPos = false, 0
	e := &r.eng
	e.want, e.noHedge, e.unpaid, e.wake = 1, false, false, time.Time{}
	if r.g.cfg.observe {
		r.event(Resumed, failed, r.res.failures[len(r.res.failures)-1].Err, true)
	}
	// The next step starts the continuation's first attempt: fill sees a
	// plan with every try left.
	r.started = max(r.started, 1)
	r.last = -1
}

// rotate moves the first k entries of order to its end, in place.
func rotate(order []int32, k int) {
	if len(order) == 0 {
		return
	}
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
