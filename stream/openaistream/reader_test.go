package openaistream

import (
	"context"
	"errors"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/relay-go/relay/errs"
)

// FuzzReader drives the reader with any sequence of chunks and an end:
// it never panics, and it never takes a stream for complete (a nil
// error) unless a chunk with choices came and every choice that started
// has its finish_reason.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0, 1, 1, 3, 4}, false)
	f.Add([]byte{0, 1, 1}, false)
	f.Add([]byte{5, 1, 3}, false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, events []byte, failed bool) {
		var r reader
		started, finished := map[int64]bool{}, map[int64]bool{}
		for _, b := range events {
			idx := int64(b>>4) % 3
			if b>>4 == 15 {
				idx = maxChoices + 1 // out of range
			}
			var c openai.ChatCompletionChunk
			ch := openai.ChatCompletionChunkChoice{Index: idx}
			switch b & 7 {
			case 0:
				ch.Delta.Role = "assistant"
			case 1:
				ch.Delta.Content = "x"
			case 2:
				ch.Delta.ToolCalls = []openai.ChatCompletionChunkChoiceDeltaToolCall{{Index: 0}}
			case 3:
				ch.FinishReason = "stop"
			case 4: // usage: no choices
			case 5:
				ch.Delta.Content, ch.FinishReason = "x", "length"
			default:
				ch.Delta.Refusal = "no"
			}
			if b&7 != 4 {
				c.Choices = []openai.ChatCompletionChunkChoice{ch}
			}
			content, err := r.chunk(&c)
			if err != nil {
				if idx < maxChoices {
					t.Fatalf("chunk %v: %v", c, err)
				}
				return // a malformed stream ends with its error
			}
			if content != IsContent(c) {
				t.Fatalf("chunk reports content %v, IsContent %v", content, IsContent(c))
			}
			for _, ch := range c.Choices {
				started[ch.Index] = true
				if ch.FinishReason != "" {
					finished[ch.Index] = true
				}
			}
		}
		var sdkErr error
		if failed {
			sdkErr = errors.New("connection reset")
		}
		err := r.end(context.Background(), sdkErr, nil)
		whole := len(started) > 0 && len(started) == len(finished)
		switch {
		case failed && err == nil:
			t.Fatal("a failed stream ended with a nil error")
		case !failed && whole && err != nil:
			t.Fatalf("a whole stream ended with %v", err)
		case !failed && !whole && !errors.Is(err, errs.ErrTruncated):
			t.Fatalf("a cut-short stream ended with %v, want ErrTruncated", err)
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
