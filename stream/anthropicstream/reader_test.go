package anthropicstream

import (
	"context"
	"errors"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/relay-go/relay/errs"
)

var eventTypes = []string{"message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "ping", "error"}

// FuzzReader drives the reader with any sequence of events and an end,
// as run does: it never panics, and it never takes a stream for
// complete (a nil error) unless message_stop came.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0, 1, 2, 2, 3, 4, 5}, false)
	f.Add([]byte{0, 1, 2, 6, 2}, false)
	f.Add([]byte{0, 7}, false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, events []byte, failed bool) {
		var r reader
		stopped := false
		for _, b := range events {
			ev := anthropic.MessageStreamEventUnion{Type: eventTypes[int(b)%len(eventTypes)]}
			switch b >> 4 & 3 {
			case 0:
				ev.Delta.Type, ev.Delta.Text = "text_delta", "x"
			case 1:
				ev.Delta.Type, ev.Delta.PartialJSON = "input_json_delta", "{"
			case 2:
				ev.ContentBlock.Type = "tool_use"
			default:
				ev.Delta.Type, ev.Delta.Thinking = "thinking_delta", "hm"
			}
			content, done, err := r.event(&ev)
			if err != nil {
				if ev.Type != "error" {
					t.Fatalf("event %s: %v", ev.Type, err)
				}
				return // the stream ends with its error
			}
			if content != IsContent(ev) || content && ev.Type == "ping" {
				t.Fatalf("event %s reports content %v, IsContent %v", ev.Type, content, IsContent(ev))
			}
			if done {
				stopped = true
				break // run stops reading at message_stop
			}
		}
		var sdkErr error
		if failed {
			sdkErr = errors.New("connection reset")
		}
		err := r.end(context.Background(), sdkErr, nil)
		switch {
		case failed && err == nil:
			t.Fatal("a failed stream ended with a nil error")
		case !failed && stopped && err != nil:
			t.Fatalf("a whole stream ended with %v", err)
		case !failed && !stopped && !errors.Is(err, errs.ErrTruncated):
			t.Fatalf("a stream without message_stop ended with %v, want ErrTruncated", err)
		}
	})
}

func TestACancelledStreamEndsWithTheContextsError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var r reader
	if err := r.end(ctx, errors.New("read: connection closed"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
