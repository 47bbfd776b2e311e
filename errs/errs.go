package errs

import "errors"

// ErrNoProvider reports that no provider was eligible for a request: the
// list was empty, or every provider was ignored or declined the request
// through its Accepts function. No provider was called.
var ErrNoProvider = errors.New("relay: no provider is eligible for the request")

// ErrEmpty is the cause of an attempt whose stream ended cleanly without a
// single content token. An empty answer is a failure: the call fails over.
var ErrEmpty = errors.New("stream ended without a content token")

// ErrFirstTokenTimeout is the cause of an attempt that relay stopped because
// its first content token did not arrive within the first-token timeout.
// Tokens that are not content (see failover.Content), such as keep-alives
// or a role chunk, do not stop it.
var ErrFirstTokenTimeout = errors.New("first-token timeout")

// ErrIdleTimeout is the cause of an attempt that relay stopped because the
// provider went silent between two tokens for longer than the idle timeout.
var ErrIdleTimeout = errors.New("idle timeout")

// ErrContract is the cause of an attempt whose source broke the stream
// contract: it returned a nil channel, or reported an error and then kept
// its token channel open. The wrapping error says which.
var ErrContract = errors.New("source broke the stream contract")

// ErrBudget is why a call stopped early when the group's retry budget was
// spent: too many recent calls needed retries or failovers, so this one did
// not add more load. It appears as [FailoverError.Err].
var ErrBudget = errors.New("retry budget spent: too many recent calls needed a retry")

// ErrDeadline is why a call stopped early when every provider left to try
// would have to wait until after the deadline (the caller's context
// deadline or the call's own maximum time). It appears as
// [FailoverError.Err].
var ErrDeadline = errors.New("no provider can be tried again before the deadline")

// ErrTruncated is the cause of a stream whose body ended before the
// stream said it was done (an event stream without its terminal event, a
// connection closed early), when the source knows that it should have
// said so. It is a failure, never a clean end: a cut-short answer must not
// pass for a complete one.
var ErrTruncated = errors.New("the stream ended before it said it was done")

// ErrHedgeLost is the cause of an attempt that relay cancelled because
// another attempt of the same call committed first. It is not a failure of
// the attempt's provider.
var ErrHedgeLost = errors.New("another attempt committed first")

// ErrCommitTimeout is why a call stopped early when no attempt committed
// within the group's commit timeout. It appears as [FailoverError.Err],
// wrapped with the timeout's length, so test for it with [errors.Is].
var ErrCommitTimeout = errors.New("commit timeout: no answer started in time")

// ErrMaxResumes is why a resumed stream ended when it failed again after
// the call had resumed as many times as it may. It appears as
// [ResumeError.Err].
var ErrMaxResumes = errors.New("no resume left")

// ErrCallTimeout is the cause of a call that ran past the group's maximum
// call time. It stands in for a context error, which would wrongly suggest
// that the caller's own context ended.
var ErrCallTimeout = errors.New("call timeout")
