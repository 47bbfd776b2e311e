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
// its first token did not arrive within the first-token timeout.
var ErrFirstTokenTimeout = errors.New("first-token timeout")

// ErrIdleTimeout is the cause of an attempt that relay stopped because the
// provider went silent between two tokens for longer than the idle timeout.
var ErrIdleTimeout = errors.New("idle timeout")

// ErrContract is the cause of an attempt whose source broke the stream
// contract: it returned a nil channel, or reported an error and then kept
// its token channel open. The wrapping error says which.
var ErrContract = errors.New("source broke the stream contract")
