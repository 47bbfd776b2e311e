package sse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/sse"
)

// decodeChunk is the decoder of the package documentation: the text of
// an OpenAI-style chat completion chunk, a skip for a chunk without
// text, the end at [DONE], and an error for an error event.
func decodeChunk(ev sse.Event) (string, sse.Action, error) {
	if string(ev.Data) == "[DONE]" {
		return "", sse.Done, nil
	}
	var chunk struct {
		Choices []struct{ Delta struct{ Content string } }
		Error   json.RawMessage // an error in the stream: no choices, and no [DONE]
	}
	if err := json.Unmarshal(ev.Data, &chunk); err != nil {
		return "", 0, err
	}
	if len(chunk.Error) > 0 && string(chunk.Error) != "null" {
		return "", 0, fmt.Errorf("the stream sent an error: %s", chunk.Error)
	}
	if len(chunk.Choices) == 0 || chunk.Choices[0].Delta.Content == "" {
		return "", sse.Skip, nil // a role chunk, usage: not content
	}
	return chunk.Choices[0].Delta.Content, sse.Emit, nil
}

// A chat completion stream read with the package documentation's
// decoder: a whole answer, then one whose server fails after a word and
// says so in the stream, which ends the stream with an error instead of
// a cut-short answer.
func Example_chatCompletions() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\n")
		if r.URL.Path == "/fails" {
			fmt.Fprint(w, "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n")
			return
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\", world\"},\"finish_reason\":\"stop\"}]}\n\n")
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	src := sse.Source(sse.Config[string, string]{
		Client: client,
		NewRequest: func(ctx context.Context, path string) (*http.Request, error) {
			body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"Say hello"}]}`
			return http.NewRequestWithContext(ctx, "POST", srv.URL+path, strings.NewReader(body))
		},
		Decode:     decodeChunk,
		ExpectDone: true,
	})
	for _, path := range []string{"/", "/fails"} {
		toks, err := stream.Collect(context.Background(), src, path)
		fmt.Printf("%q %v\n", strings.Join(toks, ""), err)
	}
	// Output:
	// "Hello, world" <nil>
	// "Hello" sse: decoding the message event "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}": the stream sent an error: {"message":"overloaded","type":"server_error"}
}
