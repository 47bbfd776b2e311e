package openaistream

import (
	"errors"
	"slices"
	"strings"

	"github.com/openai/openai-go/v3"
)

// IsContent reports whether a chunk carries part of the answer: text, a
// refusal, or a piece of a tool call, in any choice. A chunk with only a
// role, only a finish_reason or only usage is not content. Pass it to
// failover.Content, so that a role chunk neither commits an attempt nor
// stops its first-token timeout.
func IsContent(c openai.ChatCompletionChunk) bool {
	for i := range c.Choices {
		d := &c.Choices[i].Delta
		if d.Content != "" || d.Refusal != "" || calls(d) {
			return true
		}
	}
	return false
}

// Continue builds the request that continues an answer cut short after
// the chunks emitted, for failover.Resume: req with one more message, the
// assistant's, holding the text emitted so far, so that the model goes
// on from there. It copies req's message list rather than append to it.
// With nothing emitted it returns req.
//
// It refuses, with an error, when the emitted chunks hold a tool call
// (half a call's arguments cannot be continued), a refusal (starting
// over would put a new answer after it) or a choice other than the
// first. Whether a model continues an assistant message rather than
// start a new one depends on the server: many OpenAI-compatible servers
// do; see their documentation.
func Continue(req openai.ChatCompletionNewParams, emitted []openai.ChatCompletionChunk) (openai.ChatCompletionNewParams, error) {
	var text strings.Builder
	for i := range emitted {
		for j := range emitted[i].Choices {
			ch := &emitted[i].Choices[j]
			switch {
			case ch.Index != 0:
				return req, errors.New("openaistream: cannot continue an answer of several choices")
			case calls(&ch.Delta):
				return req, errors.New("openaistream: cannot continue a half-emitted tool call")
			case ch.Delta.Refusal != "":
				// Starting over would put a fresh answer after the refusal
				// the caller has: an answer mixed with another.
				return req, errors.New("openaistream: cannot continue a refusal")
			}
			text.WriteString(ch.Delta.Content)
		}
	}
	if text.Len() == 0 {
		return req, nil
	}
	req.Messages = append(slices.Clip(req.Messages), openai.AssistantMessage(text.String()))
	return req, nil
}

// calls reports whether a delta carries a piece of a tool call, or of
// the older function call that some compatible servers still send.
func calls(d *openai.ChatCompletionChunkChoiceDelta) bool {
	return len(d.ToolCalls) > 0 || d.JSON.FunctionCall.Valid()
}
