package anthropicstream

import (
	"context"
	"net/http"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/relay-go/relay/stream"
)

// New returns a [stream.Source] that streams a message for each request
// through client (client.Messages.NewStreaming), event by event, up to
// and without message_stop: message_start, content blocks, message_delta
// and all. [IsContent] tells a group which are content. The SDK itself
// drops ping events.
//
// Each call starts one goroutine, which sends the request and reads the
// response; the call itself never blocks. The goroutine is the only
// sender on both channels: it puts the stream's outcome on the error
// channel (which has room for it) before it closes the token channel, and
// it ends, closing the response body, as soon as ctx is done, whether or
// not anyone reads. The stream fails with an error that wraps an
// [*errs.StatusError] for an HTTP error, [errs.ErrTruncated] for a body
// that ended before message_stop, the SDK's error for an error event, a
// malformed event or a broken connection, or ctx's error once ctx is
// done.
//
// opts apply to each request after the client's own, and after
// option.WithMaxRetries(0), which turns the SDK's retries off: pass
// option.WithMaxRetries(n) here to have them back. An event costs the
// SDK's decoding and one channel send.
func New(client anthropic.Client, opts ...option.RequestOption) stream.Source[anthropic.MessageNewParams, anthropic.MessageStreamEventUnion] {
	opts = withDefaults(opts)
	// stream.Generate keeps the stream contract: the channels, the
	// goroutine, each send watching ctx, a panic as the stream's error.
	return stream.Generate(func(ctx context.Context, params anthropic.MessageNewParams, yield func(anthropic.MessageStreamEventUnion) bool) error {
		return run(ctx, client, params, opts, func(ev *anthropic.MessageStreamEventUnion) error {
			if !yield(*ev) {
				return ctx.Err()
			}
			return nil
		})
	})
}

func withDefaults(opts []option.RequestOption) []option.RequestOption {
	return append([]option.RequestOption{option.WithMaxRetries(0)}, opts...)
}

// run streams one request, handing each event before message_stop to
// emit, and returns the stream's outcome. An error from emit ends the
// stream with it.
func run(ctx context.Context, client anthropic.Client, params anthropic.MessageNewParams, opts []option.RequestOption, emit func(*anthropic.MessageStreamEventUnion) error) error {
	var resp *http.Response
	opts = append(opts[:len(opts):len(opts)], option.WithResponseInto(&resp))
	s := client.Messages.NewStreaming(ctx, params, opts...)
	defer s.Close()
	var r reader
	for s.Next() {
		ev := s.Current()
		_, done, err := r.event(&ev)
		if err != nil {
			return err
		}
		if done {
			break
		}
		if err := emit(&ev); err != nil {
			return err
		}
	}
	return r.end(ctx, s.Err(), resp)
}
