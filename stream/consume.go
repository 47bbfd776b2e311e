package stream

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/relay-go/relay/errs"
)

// ErrReused is the error [All]'s iterator yields when it is ranged over a
// second time.
var ErrReused = errors.New("relay: stream.All iterator is single-use and was ranged over twice")

// Collect calls src with req and returns every token it streams and the
// error it ends with (nil for success). When ctx ends first, Collect returns
// the tokens received so far and ctx's error at once, without waiting for a
// source that ignores ctx. Collect cancels the context it gives src before
// returning, so a well-behaved source never outlives the call.
//
// A source that breaks the contract is reported, not trusted: nil channels
// end the call with an error wrapping [errs.ErrContract], and tokens already
// buffered when an early error arrives are kept.
func Collect[Req, Tok any](ctx context.Context, src Source[Req, Tok], req Req) ([]Tok, error) {
	var toks []Tok
	err := consume(ctx, src, req, func(t Tok) bool {
		toks = append(toks, t)
		return true
	})
	return toks, err
}

// All calls src with req and returns a single-use iterator over its tokens.
// Each pair carries a token and a nil error; if the stream fails, the last
// pair is (zero, err). Breaking out of the loop cancels the source and
// returns at once, without waiting for a source that ignores ctx. The source
// is called when the loop starts, not when All is called; ranging over the
// iterator a second time yields only (zero, [ErrReused]).
func All[Req, Tok any](ctx context.Context, src Source[Req, Tok], req Req) iter.Seq2[Tok, error] {
	var used atomic.Bool
	return func(yield func(Tok, error) bool) {
		var zero Tok
		if used.Swap(true) {
			yield(zero, ErrReused)
			return
		}
		stopped := false
		err := consume(ctx, src, req, func(t Tok) bool {
			if !yield(t, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(zero, err)
		}
	}
}

// consume runs one stream of src to its end, handing each token to fn until
// fn returns false. It returns the stream's error, or ctx's.
func consume[Req, Tok any](ctx context.Context, src Source[Req, Tok], req Req, fn func(Tok) bool) error {
	if ctx.Err() != nil {
		return ctxErr(ctx)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, errc := src(sctx, req)
	if out == nil || errc == nil {
		return fmt.Errorf("relay: %w: the source returned a nil channel", errs.ErrContract)
	}
	for {
		select {
		case t, ok := <-out:
			if !ok {
				select {
				case err := <-errc:
					return err
				case <-ctx.Done():
					return ctxErr(ctx)
				}
			}
			if !fn(t) {
				return nil
			}
		case err, ok := <-errc:
			// The outcome is known: every token the source sent before it is
			// already buffered, so take those and stop.
			if !ok {
				err = nil
			}
			for {
				select {
				case t, ok := <-out:
					if !ok {
						return err
					}
					if !fn(t) {
						return nil
					}
				default:
					return err
				}
			}
		case <-ctx.Done():
			return ctxErr(ctx)
		}
	}
}

// ctxErr is ctx's error, with its cause when the caller gave one.
func ctxErr(ctx context.Context) error {
	err := ctx.Err()
	if c := context.Cause(ctx); c != nil && c != err {
		return fmt.Errorf("%w: %w", err, c)
	}
	return err
}
