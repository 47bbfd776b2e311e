package stream

import (
	"context"

	"github.com/relay-go/relay/errs"
	"github.com/sourcegraph/conc/panics"
)

// Generate returns a Source that runs fn in a new goroutine for each call.
// fn sends tokens with yield, which blocks until the consumer takes the token
// and returns false once ctx is done; fn should then return. The stream ends
// with fn's error, or with ctx's error if fn returns nil after yield reported
// that the stream was cancelled. A panic in fn is recovered and ends the
// stream with a [*errs.PanicError] that holds the value and the stack.
//
// The returned channels follow the [Source] contract: the token channel is
// unbuffered, and the goroutine ends as soon as fn returns. Per call, Generate
// costs one goroutine and two channels; per token, one channel send.
//
// Generate panics if fn is nil, and the Source it returns, on the caller's
// goroutine, if it is called with a nil context. So do the stages built
// on it: [FromSlice], [Map], [Filter] and [Batch].
func Generate[Req, Tok any](fn func(ctx context.Context, req Req, yield func(Tok) bool) error) Source[Req, Tok] {
	if fn == nil {
		panic("stream: Generate needs a non-nil function")
	}
	return func(ctx context.Context, req Req) (<-chan Tok, <-chan error) {
		if ctx == nil {
			// Here, on the caller's goroutine, rather than in fn's.
			panic("stream: Generate needs a non-nil context for each call of its Source (context.Background() if there is none)")
		}
		out := make(chan Tok)
		errc := make(chan error, 1)
		go func() {
			g := generator[Tok]{ctx: ctx, out: out}
			var err error
			if rec := panics.Try(func() { err = fn(ctx, req, g.yield) }); rec != nil {
				err = &errs.PanicError{Value: rec.Value, Stack: rec.Stack}
			}
			if err == nil && g.stopped {
				err = ctx.Err()
			}
			if err != nil {
				errc <- err
			}
			close(errc)
			close(out)
		}()
		return out, errc
	}
}

type generator[Tok any] struct {
	ctx     context.Context
	out     chan<- Tok
	stopped bool
}

func (g *generator[Tok]) yield(tok Tok) bool {
	if g.stopped {
		return false
	}
	select {
	case g.out <- tok:
		return true
	case <-g.ctx.Done():
		g.stopped = true
		return false
	}
}

// FromSlice returns a Source that streams toks in order for every request and
// then ends with err (nil for success). The slice is read, never modified,
// and may be shared by concurrent calls. Name the request type; the token
// type is inferred:
//
//	src := stream.FromSlice[string]([]string{"Hello", ", world"}, nil)
func FromSlice[Req, Tok any](toks []Tok, err error) Source[Req, Tok] {
	return Generate(func(ctx context.Context, _ Req, yield func(Tok) bool) error {
		for _, t := range toks {
			if !yield(t) {
				return ctx.Err()
			}
		}
		return err
	})
}
