package failover

import (
	"context"
	"fmt"
	"time"
)

// CommitAfter holds up to n content tokens of an attempt before it commits,
// instead of committing at the first: an attempt that fails within its
// first n content tokens fails over with nothing shown, as one that fails
// before its first token does. The held tokens (with the tokens that are
// not content before them) are released in order at the commit, which
// comes at the n-th content token or at the clean end of a shorter
// stream.
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

// CommitTimeout bounds the time a call takes to get an answer started:
// if no attempt has committed d after the call started, across every
// attempt and every wait, the call ends with an [*errs.FailoverError]
// whose Err wraps [errs.ErrCommitTimeout], and every attempt in flight is
// cancelled. After the commit it no longer applies, so a long answer that
// started in time is never cut; [MaxCallTime] bounds a whole call. Zero,
// the default, leaves the start to the other timeouts and the caller's
// context. CommitTimeout panics if d < 0.
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

// AttemptInfo says which attempt a provider's Source call serves.
type AttemptInfo struct {
	Provider string // the provider's name in its group
	Number   int    // its try within the call's current phase, from 1
	Hedge    bool   // it started beside other attempts of the call in flight
	// Resume is 0 for the call's first phase, and k for the k-th
	// continuation of a committed stream that failed (see [Resume]).
	Resume int
}

type attemptKey struct{}

// AttemptOf returns which attempt a provider serves, read from the context
// its Source was called with, for its logs and for idempotency keys
// (provider, number and resume tell apart the tries of one call). It
// reports false for a context that is not an attempt's, nil included. A
// provider nested in an inner group sees the inner group's attempt.
// Reading it costs no allocation.
func AttemptOf(ctx context.Context) (AttemptInfo, bool) {
	if ctx == nil {
		return AttemptInfo{}, false
	}
	info, ok := ctx.Value(attemptKey{}).(*AttemptInfo)
	if !ok {
		return AttemptInfo{}, false
	}
	return *info, true
}
