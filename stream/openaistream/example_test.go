package openaistream_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/llmserver"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/openaistream"
)

// A group of two OpenAI-compatible endpoints: the first answers 429 with
// Retry-After-Ms, which defers it, and the second serves the answer.
// IsContent keeps the role chunk from committing an attempt.
func ExampleNew() {
	busy := llmserver.Start(llmserver.OpenAI, llmserver.Continue("Hello"), func(int) llmserver.Fault {
		return llmserver.Fault{Kind: llmserver.HTTPError, Status: 429, RetryAfterMs: "20000"}
	})
	defer busy.Close()
	up := llmserver.Start(llmserver.OpenAI, llmserver.Continue("Hello", ", world"), nil)
	defer up.Close()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := func(url string) openai.Client {
		return openai.NewClient(option.WithBaseURL(url), option.WithAPIKey("key"), option.WithHTTPClient(httpClient))
	}

	g := failover.New([]failover.Provider[openai.ChatCompletionNewParams, openai.ChatCompletionChunk]{
		{Name: "busy", Source: openaistream.New(client(busy.URL))},
		{Name: "up", Source: openaistream.New(client(up.URL))},
	}, failover.Content(openaistream.IsContent), failover.Classify(failover.HTTPClass))
	ctx, report := failover.WithReport(context.Background())
	chunks, err := stream.Collect(ctx, g.Stream, openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello")},
	})
	var text strings.Builder
	for _, c := range chunks {
		for _, ch := range c.Choices {
			text.WriteString(ch.Delta.Content)
		}
	}
	hint, _ := errs.RetryAfterHint(report.Attempts()[0].Err)
	fmt.Printf("%q %v, served by %s; busy asked for %v\n", text.String(), err, report.Served(), hint)
	// Output: "Hello, world" <nil>, served by up; busy asked for 20s
}

// Text streams the answer's text for a request type of the caller's own;
// a body that ends before its finish_reason is an error, not an answer.
func ExampleText() {
	srv := llmserver.Start(llmserver.OpenAI, llmserver.Continue("Hello", ", world"), func(call int) llmserver.Fault {
		if call == 1 {
			return llmserver.Fault{Kind: llmserver.NoTerminal, After: 1}
		}
		return llmserver.Fault{}
	})
	defer srv.Close()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("key"), option.WithHTTPClient(httpClient))

	src := openaistream.Text(client, func(prompt string) openai.ChatCompletionNewParams {
		return openai.ChatCompletionNewParams{
			Model:    "gpt-4o-mini",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
		}
	})
	for range 2 {
		toks, err := stream.Collect(context.Background(), src, "Say hello")
		fmt.Printf("%q %v\n", toks, err)
	}
	// Output:
	// ["Hello"] openaistream: the stream ended before it said it was done: no finish_reason for 1 choice(s)
	// ["Hello" ", world"] <nil>
}

// IsContent tells the chunks that carry the answer from the role and
// usage chunks around them.
func ExampleIsContent() {
	for _, js := range []string{
		`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`,
		`{"choices":[{"index":0,"delta":{"content":"Hi"}}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]}`,
		`{"choices":[],"usage":{"total_tokens":3}}`,
	} {
		fmt.Println(openaistream.IsContent(chunk(js)))
	}
	// Output:
	// false
	// true
	// true
	// false
}

// Continue turns what was emitted into an assistant message that the
// next provider continues from.
func ExampleContinue() {
	req := openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Count to three")},
	}
	next, err := openaistream.Continue(req, []openai.ChatCompletionChunk{
		chunk(`{"choices":[{"index":0,"delta":{"role":"assistant"}}]}`),
		chunk(`{"choices":[{"index":0,"delta":{"content":"One,"}}]}`),
		chunk(`{"choices":[{"index":0,"delta":{"content":" two,"}}]}`),
	})
	last := next.Messages[len(next.Messages)-1]
	fmt.Println(len(next.Messages), err, last.OfAssistant != nil, last.OfAssistant.Content.OfString.Value)
	// Output: 2 <nil> true One, two,
}
