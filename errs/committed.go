package errs

import "fmt"

// CommittedError reports a stream that failed after its commit point: the
// provider had already delivered tokens to the caller, so relay did not fail
// over (that would mix two providers' output) and ended the stream instead.
type CommittedError struct {
	Provider string // the provider whose stream was committed
	// Emitted counts the tokens the caller received before the failure,
	// of every kind: content, and the tokens that are not content (which
	// relay delivers too). A token relay held but the caller never took
	// is not counted, so Emitted can be 0.
	Emitted int
	Err     error // the cause; never nil
}

// Error reads like `relay: provider "b" failed after 12 tokens: idle
// timeout`, or, when the caller took none, `relay: provider "b" failed
// after it committed, before the caller took a token: context canceled`.
func (e *CommittedError) Error() string {
	if e.Emitted == 0 {
		return fmt.Sprintf("relay: provider %q failed after it committed, before the caller took a token: %s", e.Provider, errString(e.Err))
	}
	unit := "tokens"
	if e.Emitted == 1 {
		unit = "token"
	}
	return fmt.Sprintf("relay: provider %q failed after %d %s: %s", e.Provider, e.Emitted, unit, errString(e.Err))
}

// Unwrap returns the cause.
func (e *CommittedError) Unwrap() error { return e.Err }
