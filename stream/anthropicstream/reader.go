package anthropicstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/stream/sse"
)

// reader follows one Messages stream, event by event, and judges its
// end: it holds no I/O, so that a fuzzer can drive it with any sequence
// of events and ends.
type reader struct {
	stopped bool // message_stop came
}

// event takes the next event and reports whether it is content and
// whether it is the terminal one, or the error that ends the stream.
func (r *reader) event(ev *anthropic.MessageStreamEventUnion) (content, done bool, err error) {
	switch ev.Type {
	case "message_stop":
		r.stopped = true
		return false, true, nil
	case "error": // the SDK reports these itself; a stray one is an error all the same
		return false, false, errors.New("anthropicstream: the stream sent an error event")
	}
	return IsContent(*ev), false, nil
}

// end judges the stream's end: err is what the SDK's stream reported
// (nil for the end of the body), resp the HTTP response if there was one.
// It returns nil only after message_stop.
func (r *reader) end(ctx context.Context, err error, resp *http.Response) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case resp != nil && resp.StatusCode >= 300:
		return &apiError{status: sse.CheckResponse(resp), sdk: err}
	case err != nil:
		return fmt.Errorf("anthropicstream: %w", err)
	case !r.stopped:
		return fmt.Errorf("anthropicstream: %w: no message_stop", errs.ErrTruncated)
	}
	return nil
}

// apiError is an HTTP error answer: the status, marked with the response's
// wait, and the SDK's own error, both reachable with errors.As.
type apiError struct {
	status error // an *errs.StatusError, maybe marked errs.RetryAfter
	sdk    error
}

func (e *apiError) Error() string { return "anthropicstream: " + e.status.Error() }
func (e *apiError) Unwrap() []error {
	if e.sdk == nil {
		return []error{e.status}
	}
	return []error{e.status, e.sdk}
}

// errToolCall ends a text stream whose answer is a tool call.
var errToolCall = errors.New("anthropicstream: the answer is a tool call, which a text stream cannot carry")
