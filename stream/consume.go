package stream

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/sourcegraph/conc/panics"
)

// ErrReused is the error [All]'s iterator yields when it is ranged over a
// second time.
var ErrReused = errors.New("relay: stream.All iterator is single-use and was ranged over twice")

// Grace is how long [Collect] and [All] wait for a source's own outcome
// once ctx is done. A source that follows the contract ends promptly, and
// its error says more than ctx's (a failover group's names every
// attempt); a source that ignores ctx is abandoned after Grace, with ctx's
// error.
const Grace = time.Second

// Collect calls src with req and returns every token it streams and the
// error it ends with (nil for success). When ctx ends first, Collect waits
// for the source's own outcome, up to [Grace], and returns the tokens
// received so far and an error for which errors.Is(err, ctx.Err()) holds:
// the source's own error when it wraps ctx's, as a failover group's does,
// else ctx's error (with the source's, if it sent another). Collect cancels
// the context it gives src before returning, so a well-behaved source
// never outlives the call.
//
// A source that breaks the contract is reported, not trusted: nil channels
// end the call with an error wrapping [errs.ErrContract], a panic in its
// call with a [*errs.PanicError], and tokens it sends after reporting
// success are still collected. Collect panics if src or ctx is nil.
func Collect[Req, Tok any](ctx context.Context, src Source[Req, Tok], req Req) ([]Tok, error) {
	if src == nil {
		panic("stream: Collect needs a non-nil source")
	}
	if ctx == nil {
		panic("stream: Collect needs a non-nil context (context.Background() if there is none)")
	}
	var toks []Tok
	err := consume(ctx, src, req, func(t Tok) bool {
		toks = append(toks, t)
		return true
	})
	return toks, err
}

// All calls src with req and returns a single-use iterator over its tokens.
// Each pair carries a token and a nil error; if the stream fails, the last
// pair is (zero, err), with err as [Collect] would return it. Breaking out
// of the loop cancels the source and returns at once, without waiting for
// a source that ignores ctx. The source is called when the loop starts,
// not when All is called; ranging over the iterator a second time yields
// only (zero, [ErrReused]). All panics if src or ctx is nil.
func All[Req, Tok any](ctx context.Context, src Source[Req, Tok], req Req) iter.Seq2[Tok, error] {
	if src == nil {
		panic("stream: All needs a non-nil source")
	}
	if ctx == nil {
		panic("stream: All needs a non-nil context (context.Background() if there is none)")
	}
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
// fn returns false. It returns the stream's error, or, when ctx ends, what
// settle makes of the source's own.
func consume[Req, Tok any](ctx context.Context, src Source[Req, Tok], req Req, fn func(Tok) bool) error {
	if ctx.Err() != nil {
		return ctxErr(ctx)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, errc, err := open(sctx, src, req)
	if err != nil {
		return err
	}
	known := false // the outcome arrived: errc is nil
	for {
		select {
		case t, ok := <-out:
			if !ok {
				if !known {
					out = nil
					continue
				}
				return over(ctx, err)
			}
			if !fn(t) {
				return nil
			}
		case e, ok := <-errc:
			known, errc = true, nil
			if ok {
				err = e
			}
			if out == nil {
				return over(ctx, err)
			}
			if err != nil {
				// A failure: every token the source sent before it is
				// already buffered, so take those and stop.
				return drain(out, err, fn)
			}
			// Success: read on until the token channel closes, so that a
			// source that reports success early loses nothing.
		case <-ctx.Done():
			return settle(ctx, out, errc, err, known, fn)
		}
	}
}

// over is the result of a stream whose outcome, err, has arrived and
// whose token channel has closed, in either order. A success when ctx has
// ended may be cut short (the source closed its token channel as ctx
// ended), so it is never a nil error.
func over(ctx context.Context, err error) error {
	if err == nil && ctx.Err() != nil {
		return ctxErr(ctx)
	}
	return err
}

// open calls src, turning a panic in the call and nil channels into errors.
func open[Req, Tok any](ctx context.Context, src Source[Req, Tok], req Req) (out <-chan Tok, errc <-chan error, err error) {
	if rec := panics.Try(func() { out, errc = src(ctx, req) }); rec != nil {
		return nil, nil, &errs.PanicError{Value: rec.Value, Stack: rec.Stack}
	}
	if out == nil || errc == nil {
		return nil, nil, fmt.Errorf("relay: %w: the source returned a nil channel", errs.ErrContract)
	}
	return out, errc, nil
}

// drain hands fn the tokens already buffered in out, then returns err.
func drain[Tok any](out <-chan Tok, err error, fn func(Tok) bool) error {
	for out != nil {
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
	return err
}

// settle waits, up to Grace, for the outcome of a source whose context
// ended, still handing fn what it sends, and returns an error that wraps
// ctx's, or nil if fn stopped the stream. After an error outcome, or once
// Grace has passed (perhaps while fn ran), it takes only what the source
// has already sent.
func settle[Tok any](ctx context.Context, out <-chan Tok, errc <-chan error, err error, known bool, fn func(Tok) bool) error {
	t := time.NewTimer(Grace)
	defer t.Stop()
	nowait := false
	for out != nil || !known {
		var tok Tok
		var ok, gotTok, gotErr bool
		var e error
		if nowait {
			select {
			case tok, ok = <-out:
				gotTok = true
			case e, ok = <-errc:
				gotErr = true
			default:
				if !known {
					return ctxErr(ctx) // Grace passed without an outcome
				}
				out = nil
				continue
			}
		} else {
			select {
			case tok, ok = <-out:
				gotTok = true
			case e, ok = <-errc:
				gotErr = true
			case <-t.C:
				nowait = true
				continue
			}
		}
		switch {
		case gotTok && !ok:
			out = nil
		case gotTok && !fn(tok):
			return nil
		case gotErr:
			known, errc = true, nil
			if ok {
				err = e
			}
			nowait = nowait || err != nil
		}
	}
	switch cause := ctx.Err(); {
	case errors.Is(err, cause):
		return err
	case err == nil:
		return ctxErr(ctx)
	default:
		return fmt.Errorf("%w; the source ended with: %w", ctxErr(ctx), err)
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
