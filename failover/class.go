package failover

import (
	"fmt"

	"github.com/relay-go/relay/errs"
)

// Class says what a failed attempt means for the rest of the call. A
// [Classify] function returns one for each attempt that fails before the
// commit point.
type Class int

const (
	// Retry tries the same provider again while it has tries left
	// ([Attempts]), after any backoff (before the next provider) or
	// Retry-After hint (the call moves on meanwhile); then the next
	// provider.
	Retry Class = iota
	// NextProvider gives up on this provider for the call and moves on to
	// the next one at once: an authentication failure, a model the
	// provider does not have.
	NextProvider
	// Stop ends the call: every provider would fail the same way (a
	// malformed request).
	Stop
)

func (c Class) String() string {
	switch c {
	case Retry:
		return "Retry"
	case NextProvider:
		return "NextProvider"
	case Stop:
		return "Stop"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// DefaultClass is the classification relay uses without [Classify]: an
// error marked [errs.Permanent] stops the call, and every other error
// (including [errs.ErrEmpty] and the timeouts) retries the provider while
// it has tries left, then moves on. A custom classifier can fall back on
// it. The caller's cancellation always stops the call, whatever the class.
func DefaultClass(err error) Class {
	if errs.IsPermanent(err) {
		return Stop
	}
	return Retry
}

// Classify sets how each failed attempt's error steers the call: retry the
// provider, move to the next, or stop. classify sees the attempt's cause,
// with its wrapping intact, so it can use errors.Is and errors.As on the
// provider's own error types; relay never looks at error text. It runs on
// the goroutine that drives the call, once per failed attempt before the
// commit point; a panic in it is not recovered. Classify panics if
// classify is nil.
func Classify(classify func(err error) Class) Option {
	if classify == nil {
		panic("failover: Classify needs a non-nil function")
	}
	return optionFunc(func(c *config) { c.classify = classify })
}
