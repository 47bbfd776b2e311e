package openaistream

import (
	"context"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/relay-go/relay/stream"
)

// Text returns a [stream.Source] of the answer's text for requests of the
// caller's own type: params builds the SDK's request for each one, and
// each token is a non-empty text fragment of the first choice, so every
// token is content. It is how a failover group serves one request type
// from several vendors (stream/anthropicstream has the same), and how
// [failover.Resume] continues an answer on another vendor: the caller's
// request carries what was emitted, and params turns it into an
// assistant message.
//
// The stream keeps every promise of [New] (its channels, its end, its
// errors, the SDK's retries off unless opts ask for them), and fails for
// an answer that is a tool call, which text cannot carry. params runs on
// the stream's goroutine, once per call; a panic in it is the stream's
// error (an [*errs.PanicError]). Text panics if params is nil.
func Text[Req any](client openai.Client, params func(Req) openai.ChatCompletionNewParams, opts ...option.RequestOption) stream.Source[Req, string] {
	if params == nil {
		panic("stream: openaistream.Text needs a params function")
	}
	opts = withDefaults(opts)
	// stream.Generate keeps the stream contract, and makes a panic (in
	// params, or in the SDK) the stream's error rather than the process's.
	return stream.Generate(func(ctx context.Context, req Req, yield func(string) bool) error {
		return run(ctx, client, params(req), opts, func(c *openai.ChatCompletionChunk) error {
			for i := range c.Choices {
				ch := &c.Choices[i]
				if ch.Index != 0 {
					continue
				}
				if calls(&ch.Delta) {
					return errToolCall
				}
				if ch.Delta.Content == "" {
					continue
				}
				if !yield(ch.Delta.Content) {
					return ctx.Err()
				}
			}
			return nil
		})
	})
}
