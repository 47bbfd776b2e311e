package anthropicstream

import (
	"context"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/relay-go/relay/stream"
)

// Text returns a [stream.Source] of the answer's text for requests of the
// caller's own type: params builds the SDK's request for each one, and
// each token is a non-empty text_delta, so every token is content. It is
// how a failover group serves one request type from several vendors
// (stream/openaistream has the same), and how failover.Resume continues
// an answer on another vendor: the caller's request carries what was
// emitted, and params turns it into an assistant prefill.
//
// The stream keeps every promise of [New] (its channels, its end, its
// errors, the SDK's retries off unless opts ask for them), and fails for
// an answer that holds a tool call, which text cannot carry. Thinking is
// not part of the text. params runs on the stream's goroutine, once per
// call; a panic in it is the stream's error (an [*errs.PanicError]).
// Text panics if params is nil.
func Text[Req any](client anthropic.Client, params func(Req) anthropic.MessageNewParams, opts ...option.RequestOption) stream.Source[Req, string] {
	if params == nil {
		panic("stream: anthropicstream.Text needs a params function")
	}
	opts = withDefaults(opts)
	// stream.Generate keeps the stream contract, and makes a panic (in
	// params, or in the SDK) the stream's error rather than the process's.
	return stream.Generate(func(ctx context.Context, req Req, yield func(string) bool) error {
		return run(ctx, client, params(req), opts, func(ev *anthropic.MessageStreamEventUnion) error {
			if toolCall(ev) {
				return errToolCall
			}
			if ev.Type != "content_block_delta" || ev.Delta.Type != "text_delta" || ev.Delta.Text == "" {
				return nil
			}
			if !yield(ev.Delta.Text) {
				return ctx.Err()
			}
			return nil
		})
	})
}
