package errs

// Permanent marks err as one that every provider would return for this
// request (a malformed request, say), so relay stops the call at once instead
// of failing over. The result unwraps to err and prints as err. Permanent
// returns nil for a nil err.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// [Permanent]. Inside a [*FailoverError] it looks only at Err (why that
// call stopped), never at the attempts: a nested group that moved past a
// Permanent error on one of its providers is not itself Permanent, while
// one that stopped for it is. It never looks inside a [*CommittedError]
// or a [*ResumeError]: a nested group whose committed stream failed is
// one failed attempt of its caller, whatever marked the failure.
func IsPermanent(err error) bool {
	_, ok := findMark[*permanentError](err)
	return ok
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }
