// Command mixed is the README's SDK example: one failover group over the
// official OpenAI and Anthropic SDKs. The OpenAI-compatible endpoint drops
// the connection after two words; Anthropic continues the answer from
// them, and the caller reads one answer. Both servers run on loopback
// ports here; point the clients at the real APIs to use it for real.
//
//	cd stream/anthropicstream && go run ./internal/mixed
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	antoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	oaioption "github.com/openai/openai-go/v3/option"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/llmserver"
	"github.com/relay-go/relay/stream/anthropicstream"
	"github.com/relay-go/relay/stream/openaistream"
)

// Chat is the request, in the program's own type; Shown is what the
// caller already has when another provider continues the answer.
type Chat struct{ Prompt, Shown string }

func (c Chat) openai() openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(c.Prompt)}}
	if c.Shown != "" {
		p.Messages = append(p.Messages, openai.AssistantMessage(c.Shown))
	}
	return p
}

func (c Chat) anthropic() anthropic.MessageNewParams {
	p := anthropic.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 1024,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(c.Prompt))}}
	if shown := strings.TrimRight(c.Shown, " \n"); shown != "" { // a prefill: the model goes on from it
		p.Messages = append(p.Messages, anthropic.NewAssistantMessage(anthropic.NewTextBlock(shown)))
	}
	return p
}

func run(ctx context.Context, w io.Writer) error {
	answer := llmserver.Continue("One", ", two", ", three.")
	compatible := llmserver.Start(llmserver.OpenAI, answer, func(int) llmserver.Fault {
		return llmserver.Fault{Kind: llmserver.Reset, After: 2} // drops the connection after two words
	})
	defer compatible.Close()
	claude := llmserver.Start(llmserver.Anthropic, answer, nil)
	defer claude.Close()

	oai := openai.NewClient(oaioption.WithBaseURL(compatible.URL), oaioption.WithAPIKey("key"))
	ant := anthropic.NewClient(antoption.WithBaseURL(claude.URL), antoption.WithAPIKey("key"))
	g := failover.New([]failover.Provider[Chat, string]{
		{Name: "compatible", Source: openaistream.Text(oai, Chat.openai)},
		{Name: "claude", Source: anthropicstream.Text(ant, Chat.anthropic)},
	},
		failover.Classify(failover.HTTPClass), // 429 and 5xx retry, 401 moves on, 400 stops
		failover.Resume(func(c Chat, shown []string) (Chat, error) {
			c.Shown = strings.Join(shown, "") // go on from what the caller has
			return c, nil
		}),
	)
	ctx, report := failover.WithReport(ctx)
	for tok, err := range g.All(ctx, Chat{Prompt: "Count to three"}) {
		if err != nil {
			return err
		}
		fmt.Fprint(w, tok) // printed as it arrives: nothing is repeated
	}
	fmt.Fprintln(w, "\nserved by", report.Served())
	return nil
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mixed:", err)
		os.Exit(1)
	}
}
