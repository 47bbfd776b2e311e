package stream

import "context"

// Map returns a Source that streams f(tok) for each token of src, in order,
// and ends as src ends. Each call of the returned Source calls src once and
// runs f on one new goroutine; a panic in f ends the stream with a
// [*errs.PanicError]. Per token, Map costs one extra channel hop.
//
// Map panics if src or f is nil.
func Map[Req, A, B any](src Source[Req, A], f func(A) B) Source[Req, B] {
	if src == nil || f == nil {
		panic("stream: Map needs a non-nil source and function")
	}
	return Generate(func(ctx context.Context, req Req, yield func(B) bool) error {
		return consume(ctx, src, req, func(a A) bool { return yield(f(a)) })
	})
}

// Filter returns a Source that streams the tokens of src for which keep
// returns true, in order, and ends as src ends. keep runs on the stage's
// goroutine; a panic in it ends the stream with a [*errs.PanicError].
//
// Filter panics if src or keep is nil.
func Filter[Req, Tok any](src Source[Req, Tok], keep func(Tok) bool) Source[Req, Tok] {
	if src == nil || keep == nil {
		panic("stream: Filter needs a non-nil source and predicate")
	}
	return Generate(func(ctx context.Context, req Req, yield func(Tok) bool) error {
		return consume(ctx, src, req, func(t Tok) bool { return !keep(t) || yield(t) })
	})
}
