package failover

import (
	"errors"

	"github.com/relay-go/relay/errs"
)

// HTTPClass is a classification for providers that answer over HTTP, to
// pass to [Classify]. It finds the [*errs.StatusError] in the attempt's
// error (as stream/sse and the SDK adapters return it) and reads its code:
//
//   - 408, 429, 529 and every other 5xx: [Retry], the provider is busy or
//     down for now (a Retry-After hint still defers it);
//   - 401, 403 and 404: [NextProvider], this provider will not serve the
//     request (a key, a permission, a model it does not have);
//   - 400, 413 and 422: [Stop], every provider would refuse the same
//     request.
//
// Anything else, an error without a status included, falls back on
// [DefaultClass]; an error marked [errs.Permanent] stops the call
// whatever its status. Like the marks, HTTPClass looks inside a nested
// group's [*errs.FailoverError] only at its Err, never at its attempts:
// an inner provider's 401 does not make the whole inner group one to
// skip. It allocates nothing.
func HTTPClass(err error) Class {
	if errs.IsPermanent(err) {
		return Stop
	}
	se := statusOf(err)
	if se == nil {
		return DefaultClass(err)
	}
	switch c := se.Code; {
	case c == 408, c == 429, c == 529, c >= 500 && c <= 599:
		return Retry
	case c == 401, c == 403, c == 404:
		return NextProvider
	case c == 400, c == 413, c == 422:
		return Stop
	}
	return DefaultClass(err)
}

// statusOf returns the first *errs.StatusError in err's chain, walking it
// as errors.As does but for a *errs.FailoverError, of which it reads Err
// alone.
func statusOf(err error) *errs.StatusError {
	for err != nil {
		switch e := err.(type) {
		case *errs.StatusError:
			return e
		case *errs.FailoverError:
			err = e.Err
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				if se := statusOf(inner); se != nil {
					return se
				}
			}
			return nil
		default:
			var se *errs.StatusError
			if errors.As(err, &se) { // an As method of the error's own
				return se
			}
			return nil
		}
	}
	return nil
}
