package errs

import (
	"fmt"
	"strings"
)

// ResumeError reports a stream that failed after its commit, was resumed
// on other providers (continued from what the caller already had), and
// still ended without completing. The caller received Emitted tokens that
// read as one answer, cut short.
type ResumeError struct {
	// Emitted counts the tokens the caller received in all, of every
	// stream and every kind.
	Emitted int
	// Resumes counts the continuations the call started.
	Resumes int
	// Failures lists each committed stream that failed, in order: the
	// first, then each continuation that committed and failed in turn.
	Failures []*CommittedError
	// Err is why the call did not go on: the last continuation's
	// *FailoverError (no provider could continue), the resume function's
	// refusal, [ErrMaxResumes], or the caller's context error.
	Err error
}

// Error names each committed failure, then why the call stopped:
//
//	relay: resumed 1 time, then stopped after 7 tokens:
//	  provider "a" failed after 4 tokens: connection reset
//	  provider "b" failed after 7 tokens: idle timeout: no token for 1s
//	  then: no resume left
func (e *ResumeError) Error() string {
	var b strings.Builder
	unit := "times"
	if e.Resumes == 1 {
		unit = "time"
	}
	toks := "tokens"
	if e.Emitted == 1 {
		toks = "token"
	}
	fmt.Fprintf(&b, "relay: resumed %d %s, then stopped after %d %s:", e.Resumes, unit, e.Emitted, toks)
	for _, f := range e.Failures {
		b.WriteString("\n  ")
		b.WriteString(indent(errString(f)))
	}
	b.WriteString("\n  then: ")
	b.WriteString(indent(errString(e.Err)))
	return b.String()
}

// Unwrap returns every committed failure and Err, so that [errors.Is] and
// [errors.As] reach each cause; errors.As finds the first
// [*CommittedError].
func (e *ResumeError) Unwrap() []error {
	out := make([]error, 0, len(e.Failures)+1)
	for _, f := range e.Failures {
		out = append(out, f)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}
