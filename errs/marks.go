package errs

// findMark returns the first error of type T in err's chain. It walks the
// chain as errors.As does, with two exceptions: inside a [*FailoverError]
// it looks only at its own hint (RetryAt) and at Err, why that call
// stopped, and never at its attempts; and it never looks inside a
// [*CommittedError] or a [*ResumeError]. A failed group is one failed
// attempt of whoever called it; the marks on its own attempts steered
// that group and stay inside it, whether it had committed or not.
func findMark[T error](err error) (T, bool) {
	var zero T
	for err != nil {
		if m, ok := err.(T); ok {
			return m, true
		}
		switch e := err.(type) {
		case *FailoverError:
			if !e.RetryAt.IsZero() {
				// The call's own hint, when T asks for hints.
				if m, ok := any(&retryAfterError{err: e, at: e.RetryAt}).(T); ok {
					return m, true
				}
			}
			err = e.Err
		case *CommittedError, *ResumeError:
			return zero, false
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				if m, ok := findMark[T](inner); ok {
					return m, true
				}
			}
			return zero, false
		default:
			return zero, false
		}
	}
	return zero, false
}
