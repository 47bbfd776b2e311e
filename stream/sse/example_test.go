package sse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/sse"
)

// An OpenAI-style chat stream: a role chunk first (not content), then
// deltas, then "[DONE]". An error event (a chunk with an error object)
// would end the stream with an error.
func ExampleSource() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, chunk := range []string{
			`{"choices":[{"delta":{"role":"assistant"}}]}`,
			`{"choices":[{"delta":{"content":"Hello"}}]}`,
			`{"choices":[{"delta":{"content":", world"}}]}`,
			`[DONE]`,
		} {
			fmt.Fprintf(w, "data: %s\n\n", chunk)
		}
	}))
	defer srv.Close()

	src := sse.Source(sse.Config[string, string]{
		NewRequest: func(ctx context.Context, prompt string) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, "POST", srv.URL, strings.NewReader(prompt))
		},
		Decode: func(ev sse.Event) (string, sse.Action, error) {
			if string(ev.Data) == "[DONE]" {
				return "", sse.Done, nil
			}
			var chunk struct {
				Choices []struct{ Delta struct{ Content string } }
				Error   json.RawMessage
			}
			if err := json.Unmarshal(ev.Data, &chunk); err != nil {
				return "", 0, err
			}
			if len(chunk.Error) > 0 && string(chunk.Error) != "null" {
				return "", 0, fmt.Errorf("the stream sent an error: %s", chunk.Error)
			}
			if len(chunk.Choices) == 0 || chunk.Choices[0].Delta.Content == "" {
				return "", sse.Skip, nil
			}
			return chunk.Choices[0].Delta.Content, sse.Emit, nil
		},
		ExpectDone: true,
	})
	toks, err := stream.Collect(context.Background(), src, "Say hello")
	fmt.Printf("%q %v\n", strings.Join(toks, ""), err)
	http.DefaultClient.CloseIdleConnections()
	// Output: "Hello, world" <nil>
}

// ParseRetryAfter reads both forms of the header: seconds and an HTTP
// date.
func ExampleParseRetryAfter() {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	d, ok := sse.ParseRetryAfter("120", now)
	fmt.Println(d, ok)
	d, ok = sse.ParseRetryAfter("Wed, 25 Nov 2026 12:00:30 GMT", now)
	fmt.Println(d, ok)
	// Output:
	// 2m0s true
	// 30s true
}

// RetryAfterHeader prefers Retry-After-Ms, which OpenAI and Azure send
// beside the coarser Retry-After.
func ExampleRetryAfterHeader() {
	h := http.Header{}
	h.Set("Retry-After", "2")
	h.Set("Retry-After-Ms", "1500")
	d, ok := sse.RetryAfterHeader(h, time.Now())
	fmt.Println(d, ok)
	// Output: 1.5s true
}

// CheckResponse turns an HTTP error into a typed error: its status and
// the start of its body, and the Retry-After hint that a failover group
// honours. A Config's own CheckResponse can call it for what it does not
// handle itself.
func ExampleCheckResponse() {
	resp := &http.Response{
		StatusCode: http.StatusTooManyRequests,
		Status:     "429 Too Many Requests",
		Header:     http.Header{"Retry-After": {"30"}},
		Body:       io.NopCloser(strings.NewReader(`{"error":"rate limited"}`)),
	}
	err := sse.CheckResponse(resp)
	var se *errs.StatusError
	d, hinted := errs.RetryAfterHint(err)
	fmt.Println(errors.As(err, &se), se.Code, d, hinted)
	fmt.Println(err)
	// Output:
	// true 429 30s true
	// HTTP 429 Too Many Requests: {"error":"rate limited"}
}
