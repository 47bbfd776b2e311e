package openaistream_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/llmserver"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/openaistream"
)

func chunk(js string) openai.ChatCompletionChunk {
	var c openai.ChatCompletionChunk
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		panic(err)
	}
	return c
}

func TestContinue(t *testing.T) {
	t.Parallel()
	text := func(s string) openai.ChatCompletionChunk {
		return chunk(`{"choices":[{"index":0,"delta":{"content":` + strings.TrimSpace(string(must(json.Marshal(s)))) + `}}]}`)
	}
	role := chunk(`{"choices":[{"index":0,"delta":{"role":"assistant"}}]}`)
	tool := chunk(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{\"a"}}]}}]}`)
	second := chunk(`{"choices":[{"index":1,"delta":{"content":"x"}}]}`)
	for _, tc := range []struct {
		name    string
		emitted []openai.ChatCompletionChunk
		want    []string // the roles of the continued request's messages
		wantErr bool
	}{
		{"nothing emitted keeps the request", nil, []string{"user"}, false},
		{"only a role chunk keeps the request", []openai.ChatCompletionChunk{role}, []string{"user"}, false},
		{"text adds an assistant message", []openai.ChatCompletionChunk{role, text("Hel"), text("lo")}, []string{"user", "assistant:Hello"}, false},
		{"a half-emitted tool call is refused", []openai.ChatCompletionChunk{role, tool}, nil, true},
		{"a second choice is refused", []openai.ChatCompletionChunk{text("a"), second}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := params("hi")
			got, err := openaistream.Continue(req, tc.emitted)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			var roles []string
			for _, m := range got.Messages {
				r := "user"
				if a := m.OfAssistant; a != nil {
					r = "assistant:" + a.Content.OfString.Value
				}
				roles = append(roles, r)
			}
			if diff := cmp.Diff(tc.want, roles); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			if len(req.Messages) != 1 {
				t.Errorf("the caller's request changed: %d messages", len(req.Messages))
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestResumeContinuesOverRealSockets: the first server resets after two
// words, the group resumes on the second with an assistant prefill, and
// the caller reads the whole answer once.
func TestResumeContinuesOverRealSockets(t *testing.T) {
	t.Parallel()
	answer := llmserver.Continue("One", " two", " three")
	_, flaky := start(t, answer, always(llmserver.Fault{Kind: llmserver.Reset, After: 2}))
	second, steady := start(t, answer, nil)
	g := failover.New([]failover.Provider[openai.ChatCompletionNewParams, openai.ChatCompletionChunk]{
		{Name: "flaky", Source: openaistream.New(flaky)},
		{Name: "steady", Source: openaistream.New(steady)},
	}, failover.Content(openaistream.IsContent), failover.Resume(openaistream.Continue))
	chunks, err := stream.Collect(context.Background(), g.Stream, params("count"))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, c := range chunks {
		for _, ch := range c.Choices {
			text.WriteString(ch.Delta.Content)
		}
	}
	if text.String() != "One two three" {
		t.Errorf("text %q, want %q", text.String(), "One two three")
	}
	want := []llmserver.Request{{Model: "m", Messages: []llmserver.Message{{Role: "user", Text: "count"}, {Role: "assistant", Text: "One two"}}}}
	if diff := cmp.Diff(want, second.Requests()); diff != "" {
		t.Errorf("the resumed request (-want +got):\n%s", diff)
	}
}

// TestContinueRefusesAfterARefusal: a refusal that reached the caller
// cannot be continued by starting over: that would put a fresh answer
// after it.
func TestContinueRefusesAfterARefusal(t *testing.T) {
	refusal := chunk(`{"choices":[{"index":0,"delta":{"refusal":"I can't help with "}}]}`)
	if !openaistream.IsContent(refusal) {
		t.Fatal("a refusal chunk is not content")
	}
	if _, err := openaistream.Continue(params("hi"), []openai.ChatCompletionChunk{refusal}); err == nil {
		t.Error("Continue after a refusal gave a request, want an error")
	}
}
