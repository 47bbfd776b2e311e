package errs

import "time"

// RetryAfter marks err with the provider's own hint, such as an HTTP 429's
// Retry-After header: wait at least d before trying this provider again.
// The other providers need not wait: a failover group moves on to them at
// once and comes back to this one, if it still needs it, once d has
// passed. A hint longer than the group's maximum (one minute unless set
// otherwise) means that this provider is not worth waiting for in this
// call.
// The result unwraps to err and prints as err. RetryAfter returns nil for a
// nil err; a d below zero counts as zero.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, d: max(d, 0)}
}

// RetryAfterHint returns the hint of the outermost [RetryAfter] mark in
// err's chain, and whether there is one. Like [IsPermanent], it looks
// inside a [*FailoverError] only at Err, never at the attempts, and never
// inside a [*CommittedError]: a hint from one provider of a nested group
// is not a hint for the whole group.
//
// A [*FailoverError] whose RetryAt is set (every attempt of that call
// failed with a hint) is a hint of its own: the time until RetryAt, or
// zero once it has passed.
func RetryAfterHint(err error) (time.Duration, bool) {
	r, ok := findMark[*retryAfterError](err)
	if !ok {
		return 0, false
	}
	if r.at.IsZero() {
		return r.d, true
	}
	return max(time.Until(r.at), 0), true
}

type retryAfterError struct {
	err error
	d   time.Duration
	at  time.Time // a FailoverError's RetryAt, read as a hint: d is unused
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }
