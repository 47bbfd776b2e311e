package anthropicstream

import (
	"errors"
	"slices"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

// IsContent reports whether an event carries part of the answer: a
// text_delta with text, or a piece of a tool call (a tool_use block's
// start, an input_json_delta). message_start, message_delta, a text
// block's start, the block stops, thinking and signature deltas, and
// ping are not. Pass it to failover.Content, so that those neither
// commit an attempt nor stop its first-token timeout.
func IsContent(ev anthropic.MessageStreamEventUnion) bool {
	if toolCall(&ev) {
		return true
	}
	return ev.Type == "content_block_delta" && ev.Delta.Type == "text_delta" && ev.Delta.Text != ""
}

// toolCall reports whether an event is a piece of a tool call.
func toolCall(ev *anthropic.MessageStreamEventUnion) bool {
	switch ev.Type {
	case "content_block_start":
		return ev.ContentBlock.Type == "tool_use" || ev.ContentBlock.Type == "server_tool_use"
	case "content_block_delta":
		return ev.Delta.Type == "input_json_delta"
	}
	return false
}

// Continue builds the request that continues an answer cut short after
// the events emitted, for failover.Resume: req with one more message,
// the assistant's, holding the text emitted so far, which the model
// continues (a prefill). It copies req's message list rather than append
// to it. The API refuses a prefill that ends in white space, so the
// prefill leaves trailing white space out (the continuation usually
// starts with it again). With no text emitted it returns req.
//
// It refuses, with an error, when the emitted events hold a tool call:
// half a call's input cannot be continued.
func Continue(req anthropic.MessageNewParams, emitted []anthropic.MessageStreamEventUnion) (anthropic.MessageNewParams, error) {
	var text strings.Builder
	for i := range emitted {
		ev := &emitted[i]
		if toolCall(ev) {
			return req, errors.New("anthropicstream: cannot continue a half-emitted tool call")
		}
		if ev.Type == "content_block_delta" && ev.Delta.Type == "text_delta" {
			text.WriteString(ev.Delta.Text)
		}
	}
	prefill := strings.TrimRight(text.String(), " \t\r\n")
	if prefill == "" {
		return req, nil
	}
	req.Messages = append(slices.Clip(req.Messages), anthropic.NewAssistantMessage(anthropic.NewTextBlock(prefill)))
	return req, nil
}
