package stream

import (
	"context"
	"fmt"
	"time"
)

// Batch returns a Source that groups the tokens of src into slices of up to
// n tokens, so that a consumer can trade latency for throughput: one
// channel hop per batch instead of per token. A batch is sent when it holds
// n tokens, when maxDelay has passed since its first token (if maxDelay >
// 0), and when src ends; no token waits longer than maxDelay for a consumer
// that is ready. Each batch is a new slice that the consumer owns. Tokens
// that arrived before src failed are sent before the error.
//
// Per batch, Batch costs one allocation and, with maxDelay, one timer
// reset; per token, one receive. Batch panics, with a message starting
// "stream:", if src is nil, n < 1 or maxDelay < 0.
func Batch[Req, Tok any](src Source[Req, Tok], n int, maxDelay time.Duration) Source[Req, []Tok] {
	switch {
	case src == nil:
		panic("stream: Batch needs a non-nil source")
	case n < 1:
		panic(fmt.Sprintf("stream: Batch(n=%d): a batch holds at least 1 token", n))
	case maxDelay < 0:
		panic(fmt.Sprintf("stream: Batch(maxDelay=%v): the delay must not be negative", maxDelay))
	}
	return Generate(func(ctx context.Context, req Req, yield func([]Tok) bool) error {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		out, errc, err := open(sctx, src, req)
		if err != nil {
			return err
		}
		var timer *time.Timer
		var tick <-chan time.Time
		if maxDelay > 0 {
			timer = time.NewTimer(maxDelay)
			timer.Stop()
			defer timer.Stop()
		}
		var batch []Tok
		flush := func() bool {
			if len(batch) == 0 {
				return true
			}
			b := batch
			batch, tick = nil, nil
			return yield(b)
		}
		add := func(t Tok) bool {
			if batch == nil {
				batch = make([]Tok, 0, n)
				if timer != nil {
					timer.Reset(maxDelay)
					tick = timer.C
				}
			}
			batch = append(batch, t)
			return len(batch) < n || flush()
		}
		known := false // the outcome arrived: errc is nil
		for {
			select {
			case t, ok := <-out:
				if !ok {
					if !known {
						select {
						case err = <-errc:
						case <-ctx.Done():
							return ctxErr(ctx)
						}
					}
					if !flush() {
						return ctxErr(ctx)
					}
					return err
				}
				if !add(t) {
					return ctxErr(ctx)
				}
			case e, ok := <-errc:
				known, errc = true, nil
				if ok {
					err = e
				}
				if err == nil {
					continue // success: read on until the token channel closes
				}
				for drained := false; !drained; {
					select {
					case t, ok := <-out:
						if !ok {
							drained = true
						} else if !add(t) {
							return ctxErr(ctx)
						}
					default:
						drained = true
					}
				}
				if !flush() {
					return ctxErr(ctx)
				}
				return err
			case <-tick:
				if !flush() {
					return ctxErr(ctx)
				}
			case <-ctx.Done():
				return ctxErr(ctx)
			}
		}
	})
}
