package openaistream

import (
	"context"
	"net/http"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/relay-go/relay/stream"
)

// New returns a [stream.Source] that streams a chat completion for each
// request through client (client.Chat.Completions.NewStreaming), chunk by
// chunk, role and usage chunks included: [IsContent] tells a group which
// are content.
//
// Each call starts one goroutine, which sends the request and reads the
// response; the call itself never blocks. The goroutine is the only
// sender on both channels: it puts the stream's outcome on the error
// channel (which has room for it) before it closes the token channel, and
// it ends, closing the response body, as soon as ctx is done, whether or
// not anyone reads. The stream fails with an error that wraps an
// [*errs.StatusError] for an HTTP error, [errs.ErrTruncated] for a body
// that ended before the finish_reason of each choice, the SDK's error for
// an error event in the stream, a malformed chunk or a broken connection,
// or ctx's error once ctx is done.
//
// opts apply to each request after the client's own, and after
// option.WithMaxRetries(0), which turns the SDK's retries off: pass
// option.WithMaxRetries(n) here to have them back. A chunk costs the
// SDK's decoding and one channel send.
func New(client openai.Client, opts ...option.RequestOption) stream.Source[openai.ChatCompletionNewParams, openai.ChatCompletionChunk] {
	opts = withDefaults(opts)
	// stream.Generate keeps the stream contract: the channels, the
	// goroutine, each send watching ctx, a panic as the stream's error.
	return stream.Generate(func(ctx context.Context, params openai.ChatCompletionNewParams, yield func(openai.ChatCompletionChunk) bool) error {
		return run(ctx, client, params, opts, func(c *openai.ChatCompletionChunk) error {
			if !yield(*c) {
				return ctx.Err()
			}
			return nil
		})
	})
}

func withDefaults(opts []option.RequestOption) []option.RequestOption {
	return append([]option.RequestOption{option.WithMaxRetries(0)}, opts...)
}

// run streams one request, handing each chunk to emit, and returns the
// stream's outcome. An error from emit ends the stream with it.
func run(ctx context.Context, client openai.Client, params openai.ChatCompletionNewParams, opts []option.RequestOption, emit func(*openai.ChatCompletionChunk) error) error {
	var resp *http.Response
	opts = append(opts[:len(opts):len(opts)], option.WithResponseInto(&resp))
	s := client.Chat.Completions.NewStreaming(ctx, params, opts...)
	defer s.Close()
	var r reader
	for s.Next() {
		c := s.Current()
		if _, err := r.chunk(&c); err != nil {
			return err
		}
		if err := emit(&c); err != nil {
			return err
		}
	}
	return r.end(ctx, s.Err(), resp)
}
