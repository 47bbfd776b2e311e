package failover

import "context"

// Stream sends req to the group's providers and returns one stream: the
// tokens of the first attempt to commit, and then its outcome. It is a
// [stream.Source] and follows that contract: the token channel is
// unbuffered, the error channel holds at most one error, and both are
// closed by the group, the outcome first. Stream does not block: the call
// runs on one relay goroutine, which owns every attempt it starts and ends
// once the stream has ended or ctx is done.
//
// Before the commit point (the first content token of an attempt, or its
// n-th with [CommitAfter]), any failure of an attempt fails over: the
// provider's error, an empty stream, a panic in its Source call, nil
// channels, a first-token or idle timeout. After it, only that attempt's
// tokens reach the caller, and a failure ends the stream with an
// [*errs.CommittedError] (or resumes, with [Resume]). When no attempt commits, the
// error is an [*errs.FailoverError] naming every attempt. An
// [errs.Permanent] error stops the call at once (unless [Classify] says
// otherwise). When ctx ends, the stream ends with an
// error for which errors.Is(err, ctx.Err()) holds, no further provider is
// tried, and every attempt's context is cancelled; a ctx that is already
// done calls no provider. A caller that stops reading must cancel ctx.
//
// After the commit a token crosses two channels (provider to relay, relay
// to caller) and costs no allocation. A call costs a few allocations
// beyond its providers' own (its channels, the relay goroutine, its
// state, each attempt's context) and about the time of a hand-written
// forwarding goroutine; TestAllocationsPerCall pins the count, and the
// bench module measures both beside their baselines.
// Stream panics if g or ctx is nil.
func (g *Group[Req, Tok]) Stream(ctx context.Context, req Req) (<-chan Tok, <-chan error) {
	if g == nil {
		panic("failover: Stream called on a nil *Group; make one with New")
	}
	if ctx == nil {
		panic("failover: Stream needs a non-nil context (context.Background() if there is none)")
	}
	out := make(chan Tok)
	errc := make(chan error, 1)
	r, ctx, err := g.begin(ctx, req)
	if err != nil {
		errc <- err
		close(errc)
		close(out)
		return out, errc
	}
	go r.pump(ctx, out, errc)
	return out, errc
}

// pump drives the call from the relay goroutine.
func (r *run[Req, Tok]) pump(ctx context.Context, out chan<- Tok, errc chan<- error) {
	r.launch(ctx) // at the top of the stack: see bench/doc.go
	err := r.forward(ctx, out)
	r.close(ctx)
	if r.hc != nil || r.g.cfg.observe {
		r.ended(ctx)
	}
	if err != nil {
		errc <- err
	}
	close(errc)
	close(out)
}

// forward hands each token to the caller until the call ends.
func (r *run[Req, Tok]) forward(ctx context.Context, out chan<- Tok) error {
	done := ctx.Done()
	for {
		if a := r.fast(); a != nil && !r.forwardFast(ctx, a, out, done) {
			return r.abort(ctx)
		}
		tok, ok, err := r.next(ctx)
		if !ok {
			return err
		}
		select {
		case out <- tok:
			r.count(tok)
		case <-done:
			return r.abort(ctx)
		}
	}
}

// forwardFast is the committed loop: one receive and one send per token.
// It returns when the token channel closes or the attempt's context ends,
// for next to sort out, and reports false if the caller's context ended
// during a send. It is a function of its own (see bench/doc.go).
func (r *run[Req, Tok]) forwardFast(ctx context.Context, a *attempt[Tok], out chan<- Tok, done <-chan struct{}) bool {
	in, adone := a.out, a.ctx.Done()
	for {
		select {
		case tok, ok := <-in:
			if !ok {
				a.out = nil
				return true
			}
			if ctx.Err() != nil {
				return false
			}
			select {
			case out <- tok:
				r.count(tok)
			case <-done:
				return false
			}
		case <-adone:
			return true
		}
	}
}
