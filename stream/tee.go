package stream

import (
	"context"
	"fmt"
)

// Branch is one consumer's side of a [Tee]: a token channel and an error
// channel that follow the [Source] contract, closed by the tee.
type Branch[Tok any] struct {
	Tokens <-chan Tok
	Err    <-chan error
}

// Tee calls src once with req and returns two branches that each receive
// every token, in order, and then the same outcome. Each branch buffers up
// to buffer tokens; when a branch's buffer is full the tee waits for that
// consumer, so a slow consumer slows the source down and never loses a
// token. To abandon the stream, cancel ctx: that ends both branches with
// ctx's error. A consumer that simply stops reading holds up the other
// once its buffer is full.
//
// Tee returns at once; the stream runs on one goroutine that ends when
// both branches have their outcome. Per token it costs two channel sends.
// Tee panics if src or ctx is nil or buffer < 0.
func Tee[Req, Tok any](ctx context.Context, src Source[Req, Tok], req Req, buffer int) (Branch[Tok], Branch[Tok]) {
	if src == nil {
		panic("stream: Tee needs a non-nil source")
	}
	if ctx == nil {
		panic("stream: Tee needs a non-nil context")
	}
	if buffer < 0 {
		panic(fmt.Sprintf("stream: Tee(buffer=%d): the buffer must not be negative", buffer))
	}
	var outs [2]chan Tok
	var errcs [2]chan error
	var branches [2]Branch[Tok]
	for i := range outs {
		outs[i] = make(chan Tok, buffer)
		errcs[i] = make(chan error, 1)
		branches[i] = Branch[Tok]{Tokens: outs[i], Err: errcs[i]}
	}
	go func() {
		err := consume(ctx, src, req, func(t Tok) bool {
			a, b := outs[0], outs[1]
			for a != nil || b != nil {
				select {
				case a <- t:
					a = nil
				case b <- t:
					b = nil
				case <-ctx.Done():
					return false
				}
			}
			return true
		})
		if err == nil && ctx.Err() != nil {
			err = ctxErr(ctx)
		}
		for i := range outs {
			if err != nil {
				errcs[i] <- err
			}
			close(errcs[i])
			close(outs[i])
		}
	}()
	return branches[0], branches[1]
}
