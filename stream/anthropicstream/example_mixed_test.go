package anthropicstream_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	openaioption "github.com/openai/openai-go/v3/option"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/llmserver"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/anthropicstream"
	"github.com/relay-go/relay/stream/openaistream"
)

// Chat is the caller's own request type, which each vendor's params
// function turns into that SDK's request. Shown is the text the caller
// has already received when the answer is resumed on another provider.
type Chat struct {
	Prompt string
	Shown  string
}

func (c Chat) openaiParams() openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(c.Prompt)},
	}
	if c.Shown != "" {
		p.Messages = append(p.Messages, openai.AssistantMessage(c.Shown))
	}
	return p
}

func (c Chat) anthropicParams() anthropic.MessageNewParams {
	p := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(c.Prompt))},
	}
	// A prefill: the model continues this text. The API refuses one that
	// ends in white space.
	if shown := strings.TrimRight(c.Shown, " \t\r\n"); shown != "" {
		p.Messages = append(p.Messages, anthropic.NewAssistantMessage(anthropic.NewTextBlock(shown)))
	}
	return p
}

// continueFrom is the group's Resume: the same prompt, with what the
// caller has received.
func continueFrom(c Chat, emitted []string) (Chat, error) {
	c.Shown = strings.Join(emitted, "")
	return c, nil
}

// One failover group over two vendors: an OpenAI-compatible endpoint
// that drops the connection after two words, and Anthropic, which
// continues the answer from those words. The caller reads one answer.
func Example_mixedVendors() {
	answer := llmserver.Continue("One", ", two", ", three.")
	compatible := llmserver.Start(llmserver.OpenAI, answer, func(int) llmserver.Fault {
		return llmserver.Fault{Kind: llmserver.Reset, After: 2}
	})
	defer compatible.Close()
	claude := llmserver.Start(llmserver.Anthropic, answer, nil)
	defer claude.Close()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()

	oai := openai.NewClient(openaioption.WithBaseURL(compatible.URL), openaioption.WithAPIKey("key"), openaioption.WithHTTPClient(httpClient))
	ant := anthropic.NewClient(anthropicoption.WithBaseURL(claude.URL), anthropicoption.WithAPIKey("key"), anthropicoption.WithHTTPClient(httpClient))
	g := failover.New([]failover.Provider[Chat, string]{
		{Name: "compatible", Source: openaistream.Text(oai, Chat.openaiParams)},
		{Name: "claude", Source: anthropicstream.Text(ant, Chat.anthropicParams)},
	}, failover.Classify(failover.HTTPClass), failover.Resume(continueFrom))

	ctx, report := failover.WithReport(context.Background())
	var text strings.Builder
	for tok, err := range stream.All(ctx, g.Stream, Chat{Prompt: "Count to three"}) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		text.WriteString(tok)
	}
	fmt.Println(text.String())
	for _, a := range report.Attempts() {
		fmt.Printf("%s committed=%v ended with error: %v\n", a.Provider, a.Committed, a.Err != nil)
	}
	fmt.Printf("claude was asked to continue %q\n", claude.Requests()[0].Messages[1].Text)
	// Output:
	// One, two, three.
	// compatible committed=true ended with error: true
	// claude committed=true ended with error: false
	// claude was asked to continue "One, two"
}
