package openaistream

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/openai/openai-go/v3"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/stream/sse"
)

// maxChoices bounds a choice's index: a chunk beyond it is malformed.
const maxChoices = 128

// reader follows one chat completion stream, chunk by chunk, and judges
// its end: it holds no I/O, so that a fuzzer can drive it with any
// sequence of chunks and ends.
type reader struct {
	started, finished [maxChoices]bool
	open              int // choices started and not finished
	any               bool
}

// chunk takes the next chunk of the stream and reports whether it is
// content, or the error that ends the stream.
func (r *reader) chunk(c *openai.ChatCompletionChunk) (bool, error) {
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index < 0 || ch.Index >= maxChoices {
			return false, fmt.Errorf("openaistream: a chunk has choice index %d", ch.Index)
		}
		if !r.started[ch.Index] {
			r.started[ch.Index], r.any = true, true
			r.open++
		}
		if ch.FinishReason != "" && !r.finished[ch.Index] {
			r.finished[ch.Index] = true
			r.open--
		}
	}
	return IsContent(*c), nil
}

// end judges the stream's end: err is what the SDK's stream reported
// (nil for the end of the body or [DONE]), resp the HTTP response if
// there was one. It returns nil only for a complete answer.
func (r *reader) end(ctx context.Context, err error, resp *http.Response) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case resp != nil && resp.StatusCode >= 300:
		return &apiError{status: sse.CheckResponse(resp), sdk: err}
	case err != nil:
		return fmt.Errorf("openaistream: %w", err)
	case !r.any:
		return fmt.Errorf("openaistream: %w: no chunk with choices", errs.ErrTruncated)
	case r.open > 0:
		return fmt.Errorf("openaistream: %w: no finish_reason for %d choice(s)", errs.ErrTruncated, r.open)
	}
	return nil
}

// apiError is an HTTP error answer: the status, marked with the response's
// wait, and the SDK's own error, both reachable with errors.As.
type apiError struct {
	status error // an *errs.StatusError, maybe marked errs.RetryAfter
	sdk    error
}

func (e *apiError) Error() string { return "openaistream: " + e.status.Error() }
func (e *apiError) Unwrap() []error {
	if e.sdk == nil {
		return []error{e.status}
	}
	return []error{e.status, e.sdk}
}

// errToolCall ends a text stream whose answer is a tool call.
var errToolCall = errors.New("openaistream: the answer is a tool call, which a text stream cannot carry")
