package errs

import (
	"fmt"
	"strings"
	"time"
)

// AttemptError is why one attempt of one provider failed.
type AttemptError struct {
	Provider string // the provider's name
	Attempt  int    // this provider's try within the call, from 1
	Err      error  // the cause; never nil
}

// Error reads like `provider "a" attempt 2: idle timeout`.
func (e *AttemptError) Error() string {
	return fmt.Sprintf("provider %q attempt %d: %s", e.Provider, e.Attempt, indent(errString(e.Err)))
}

// Unwrap returns the cause.
func (e *AttemptError) Unwrap() error { return e.Err }

// FailoverError reports a call that ended with nothing committed: no attempt
// reached its commit (its first content token, or as many as the group
// holds before committing), so the caller received no token at all.
type FailoverError struct {
	// Attempts lists every failed attempt in the order the attempts started.
	Attempts []*AttemptError
	// Err, when not nil, is why the call stopped before it ran out of
	// providers to try: the caller's context ended (its error), the call
	// ran past its maximum time ([ErrCallTimeout]) or committed nothing
	// within its commit timeout ([ErrCommitTimeout]; both wrapped with the
	// limit, so test with errors.Is), the retry budget was spent
	// ([ErrBudget]), no provider could be tried again before the deadline
	// ([ErrDeadline]); or an attempt failed with an error that stops the
	// call (a [Permanent] error, or one a classifier said Stop for), which
	// is then both here and on the last attempt.
	//
	// When the call is itself one provider of an outer group, Err is all
	// that the outer group's classification and Retry-After look at: the
	// attempts' own marks stay inside (see [IsPermanent]).
	Err error
	// RetryAt is set when every attempt failed with a Retry-After hint
	// ([RetryAfter]): the earliest time any of their providers may be
	// tried again. It is the call's own hint, which [RetryAfterHint]
	// reports, so that an outer group defers this whole group until then
	// instead of trying it again at once.
	RetryAt time.Time
}

// Error names every attempt on its own line, in the order they started
// (ExampleFailoverError keeps this text true):
//
//	relay: all 2 attempts failed, nothing was streamed:
//	  provider "a" attempt 1: rate limited
//	  provider "b" attempt 1: first-token timeout: no content token within 2s
//
// A call stopped by its context says so first:
//
//	relay: context canceled; nothing was streamed after 1 attempt:
//	  provider "a" attempt 1: context canceled
func (e *FailoverError) Error() string {
	var b strings.Builder
	n := len(e.Attempts)
	unit := "attempts"
	if n == 1 {
		unit = "attempt"
	}
	switch {
	case e.Err != nil && n == 0:
		fmt.Fprintf(&b, "relay: %s; nothing was streamed", indent(errString(e.Err)))
	case e.Err != nil:
		fmt.Fprintf(&b, "relay: %s; nothing was streamed after %d %s:", indent(errString(e.Err)), n, unit)
	case n == 0:
		b.WriteString("relay: no attempt was made")
	case n == 1:
		b.WriteString("relay: 1 attempt failed, nothing was streamed:")
	default:
		fmt.Fprintf(&b, "relay: all %d attempts failed, nothing was streamed:", n)
	}
	for _, a := range e.Attempts {
		b.WriteString("\n  ")
		b.WriteString(a.Error())
	}
	return b.String()
}

// Unwrap returns every attempt's error, so that [errors.Is] and [errors.As]
// reach each cause.
func (e *FailoverError) Unwrap() []error {
	out := make([]error, 0, len(e.Attempts)+1)
	for _, a := range e.Attempts {
		out = append(out, a)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// errString is err's message as a cause inside another of relay's errors:
// a nested relay error (a group that is one provider of another) drops
// its own "relay: " prefix, so that a message says "relay:" once, at the
// outermost layer.
func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return strings.TrimPrefix(err.Error(), "relay: ")
}

// indent keeps a multi-line cause (a nested group's FailoverError, a panic)
// readable inside the one-line-per-attempt layout.
func indent(s string) string {
	return strings.ReplaceAll(s, "\n", "\n    ")
}
