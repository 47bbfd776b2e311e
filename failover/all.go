package failover

import (
	"context"
	"iter"
)

// All is the pull form of [Group.Stream]: the same providers, options and
// semantics, with the failover logic running in the caller's goroutine
// inside the range loop instead of on a relay goroutine. Each pair carries a
// token and a nil error; if the call fails, the last pair is (zero, err),
// with err exactly what Stream would have sent on its error channel.
//
// After the commit each token is read straight from the provider's channel
// and handed to the loop body: one channel hop, no allocation, the least a
// channel-based provider allows. Breaking out of the loop (or a panic in its
// body) cancels every attempt in flight and returns at once, without
// waiting for a provider that ignores its context. Each range over the
// returned iterator is a new call. A call costs a few allocations beyond
// its providers' own (its state and each attempt's context) and holds no
// goroutine of its own. With [Hedge] and several attempts in flight, each
// Source call runs on a goroutine of its own that ends when it returns,
// so that one slow to return does not hold back the others. All panics if
// g or ctx is nil.
func (g *Group[Req, Tok]) All(ctx context.Context, req Req) iter.Seq2[Tok, error] {
	if g == nil {
		panic("failover: All called on a nil *Group; make one with New")
	}
	if ctx == nil {
		panic("failover: All needs a non-nil context (context.Background() if there is none)")
	}
	return func(yield func(Tok, error) bool) {
		var zero Tok
		r, ctx, err := g.begin(ctx, req)
		if err != nil {
			yield(zero, err)
			return
		}
		defer r.stop(ctx)
		r.launch(ctx) // at the top of the stack: see bench/doc.go
		for {
			if a := r.fast(); a != nil && !r.yieldFast(ctx, a, yield) {
				return
			}
			tok, ok, err := r.next(ctx)
			if !ok {
				if err != nil {
					yield(zero, err)
				}
				return
			}
			r.count(tok)
			if !yield(tok, nil) {
				return
			}
		}
	}
}

// yieldFast is the committed loop: one receive per token, straight from
// the provider, handed to the loop body. It returns true when the token
// channel closes or a context ends, for next to sort out, and false when
// the loop body broke out. A token that arrives once ctx has ended is not
// handed over: a slow loop body must not keep receiving buffered tokens
// past its deadline.
func (r *run[Req, Tok]) yieldFast(ctx context.Context, a *attempt[Tok], yield func(Tok, error) bool) bool {
	in, done := a.out, a.ctx.Done()
	for {
		select {
		case tok, ok := <-in:
			if !ok {
				a.out = nil
				return true
			}
			if ctx.Err() != nil {
				return true
			}
			r.count(tok)
			if !yield(tok, nil) {
				return false
			}
		case <-done:
			return true
		}
	}
}

// stop ends the call of the pull form, however the loop ended.
func (r *run[Req, Tok]) stop(ctx context.Context) {
	r.close(ctx)
	if r.hc != nil || r.g.cfg.observe {
		r.ended(ctx)
	}
}
