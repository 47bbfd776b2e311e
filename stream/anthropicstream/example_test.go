package anthropicstream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/llmserver"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/anthropicstream"
)

// A group of two Claude endpoints: the first is overloaded (529), which
// failover.HTTPClass retries elsewhere, and the second serves the answer.
// IsContent keeps message_start and the block's start from committing an
// attempt.
func ExampleNew() {
	overloaded := llmserver.Start(llmserver.Anthropic, llmserver.Continue("Hello"), func(int) llmserver.Fault {
		return llmserver.Fault{Kind: llmserver.HTTPError, Status: 529}
	})
	defer overloaded.Close()
	up := llmserver.Start(llmserver.Anthropic, llmserver.Continue("Hello", ", world"), nil)
	defer up.Close()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := func(url string) anthropic.Client {
		return anthropic.NewClient(option.WithBaseURL(url), option.WithAPIKey("key"), option.WithHTTPClient(httpClient))
	}

	g := failover.New([]failover.Provider[anthropic.MessageNewParams, anthropic.MessageStreamEventUnion]{
		{Name: "overloaded", Source: anthropicstream.New(client(overloaded.URL))},
		{Name: "up", Source: anthropicstream.New(client(up.URL))},
	}, failover.Content(anthropicstream.IsContent), failover.Classify(failover.HTTPClass))
	ctx, report := failover.WithReport(context.Background())
	evs, err := stream.Collect(ctx, g.Stream, anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello"))},
	})
	var text strings.Builder
	for _, ev := range evs {
		if anthropicstream.IsContent(ev) {
			text.WriteString(ev.Delta.Text)
		}
	}
	fmt.Printf("%q %v, served by %s\n", text.String(), err, report.Served())
	fmt.Println(report.Attempts()[0].Err)
	// Output:
	// "Hello, world" <nil>, served by up
	// anthropicstream: HTTP 529 status code 529: {"error":{"message":"status 529","type":"overloaded_error"},"type":"error"}
}

// Text streams the answer's text for a request type of the caller's own;
// a body that ends before message_stop is an error, not an answer.
func ExampleText() {
	srv := llmserver.Start(llmserver.Anthropic, llmserver.Continue("Hello", ", world"), func(call int) llmserver.Fault {
		if call == 1 {
			return llmserver.Fault{Kind: llmserver.NoTerminal, After: 1}
		}
		return llmserver.Fault{}
	})
	defer srv.Close()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("key"), option.WithHTTPClient(httpClient))

	src := anthropicstream.Text(client, func(prompt string) anthropic.MessageNewParams {
		return anthropic.MessageNewParams{
			Model:     "claude-sonnet-4-5",
			MaxTokens: 1024,
			Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))},
		}
	})
	for range 2 {
		toks, err := stream.Collect(context.Background(), src, "Say hello")
		fmt.Printf("%q %v %v\n", toks, err, errors.Is(err, errs.ErrTruncated))
	}
	// Output:
	// ["Hello"] anthropicstream: the stream ended before it said it was done: no message_stop true
	// ["Hello" ", world"] <nil> false
}

// IsContent tells the events that carry the answer from those around
// them.
func ExampleIsContent() {
	for _, ev := range []anthropic.MessageStreamEventUnion{messageStart, blockStart, ping, text("Hi"), toolStart} {
		fmt.Println(ev.Type, anthropicstream.IsContent(ev))
	}
	// Output:
	// message_start false
	// content_block_start false
	// ping false
	// content_block_delta true
	// content_block_start true
}

// Continue turns what was emitted into an assistant prefill that the
// next provider continues.
func ExampleContinue() {
	req := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Count to three"))},
	}
	next, err := anthropicstream.Continue(req, []anthropic.MessageStreamEventUnion{messageStart, blockStart, text("One,"), text(" two, ")})
	last := next.Messages[len(next.Messages)-1]
	fmt.Printf("%d %v %q\n", len(next.Messages), err, last.OfAssistant.Content[0].OfText.Text)
	// Output: 2 <nil> "One, two,"
}
