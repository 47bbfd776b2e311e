package errs

import "fmt"

// CommittedError reports a stream that failed after its commit point: the
// provider had already delivered tokens to the caller, so relay did not fail
// over (that would mix two providers' output) and ended the stream instead.
type CommittedError struct {
	Provider string // the provider whose stream was committed
	Emitted  int    // tokens delivered to the caller before the failure
	Err      error  // the cause; never nil
}

// Error reads like `relay: provider "b" failed after 12 tokens: idle timeout`.
func (e *CommittedError) Error() string {
	unit := "tokens"
	if e.Emitted == 1 {
		unit = "token"
	}
	return fmt.Sprintf("relay: provider %q failed after %d %s: %s", e.Provider, e.Emitted, unit, errString(e.Err))
}

// Unwrap returns the cause.
func (e *CommittedError) Unwrap() error { return e.Err }
