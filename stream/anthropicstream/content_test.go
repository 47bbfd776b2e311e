package anthropicstream_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/llmserver"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/anthropicstream"
)

func event(js string) anthropic.MessageStreamEventUnion {
	var ev anthropic.MessageStreamEventUnion
	if err := json.Unmarshal([]byte(js), &ev); err != nil {
		panic(err)
	}
	return ev
}

func text(s string) anthropic.MessageStreamEventUnion {
	b, _ := json.Marshal(s)
	return event(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":` + string(b) + `}}`)
}

var (
	messageStart = event(`{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"m"}}`)
	blockStart   = event(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	toolStart    = event(`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}`)
	toolDelta    = event(`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a"}}`)
	thinking     = event(`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm"}}`)
	ping         = event(`{"type":"ping"}`)
)

func TestIsContent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ev   anthropic.MessageStreamEventUnion
		want bool
	}{
		{"message_start is not content", messageStart, false},
		{"a text block's start is not content", blockStart, false},
		{"a text delta is content", text("Hi"), true},
		{"an empty text delta is not content", text(""), false},
		{"a tool_use block's start is content", toolStart, true},
		{"an input_json_delta is content", toolDelta, true},
		{"a thinking delta is not content", thinking, false},
		{"a ping is not content", ping, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := anthropicstream.IsContent(tc.ev); got != tc.want {
				t.Errorf("IsContent = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestContinue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		emitted []anthropic.MessageStreamEventUnion
		want    []string // role:text of each message of the continued request
		wantErr bool
	}{
		{"nothing emitted keeps the request", nil, []string{"user:hi"}, false},
		{"no text keeps the request", []anthropic.MessageStreamEventUnion{messageStart, blockStart}, []string{"user:hi"}, false},
		{"text becomes an assistant prefill", []anthropic.MessageStreamEventUnion{messageStart, blockStart, text("One"), text(" two")}, []string{"user:hi", "assistant:One two"}, false},
		{"the prefill leaves trailing white space out", []anthropic.MessageStreamEventUnion{text("One "), text("\n")}, []string{"user:hi", "assistant:One"}, false},
		{"a half-emitted tool call is refused", []anthropic.MessageStreamEventUnion{text("Let me look."), toolStart, toolDelta}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := params("hi")
			got, err := anthropicstream.Continue(req, tc.emitted)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			var msgs []string
			for _, m := range got.Messages {
				role, blocks := "user", []anthropic.ContentBlockParamUnion(nil)
				if m.OfUser != nil {
					blocks = m.OfUser.Content
				}
				if m.OfAssistant != nil {
					role, blocks = "assistant", m.OfAssistant.Content
				}
				var sb strings.Builder
				for _, b := range blocks {
					if b.OfText != nil {
						sb.WriteString(b.OfText.Text)
					}
				}
				msgs = append(msgs, role+":"+sb.String())
			}
			if diff := cmp.Diff(tc.want, msgs); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			if len(req.Messages) != 1 {
				t.Errorf("the caller's request changed: %d messages", len(req.Messages))
			}
		})
	}
}

// TestResumeContinuesOverRealSockets: the first server resets after two
// words, the group resumes on the second with an assistant prefill, and
// the caller reads the whole answer once.
func TestResumeContinuesOverRealSockets(t *testing.T) {
	t.Parallel()
	answer := llmserver.Continue("One", " two", " three")
	_, flaky := start(t, answer, always(llmserver.Fault{Kind: llmserver.Reset, After: 2}))
	second, steady := start(t, answer, nil)
	g := failover.New([]failover.Provider[anthropic.MessageNewParams, anthropic.MessageStreamEventUnion]{
		{Name: "flaky", Source: anthropicstream.New(flaky)},
		{Name: "steady", Source: anthropicstream.New(steady)},
	}, failover.Content(anthropicstream.IsContent), failover.Resume(anthropicstream.Continue))
	evs, err := stream.Collect(context.Background(), g.Stream, params("count"))
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, ev := range evs {
		got.WriteString(ev.Delta.Text)
	}
	if got.String() != "One two three" {
		t.Errorf("text %q, want %q", got.String(), "One two three")
	}
	want := []llmserver.Request{{Model: "claude-test", Messages: []llmserver.Message{{Role: "user", Text: "count"}, {Role: "assistant", Text: "One two"}}}}
	if diff := cmp.Diff(want, second.Requests()); diff != "" {
		t.Errorf("the resumed request (-want +got):\n%s", diff)
	}
}
