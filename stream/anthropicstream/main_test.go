package anthropicstream_test

import (
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/relay-go/relay/internal/llmserver"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start serves the Anthropic wire format on a loopback port for the
// test's length, and returns it with a real SDK client of its own, whose
// idle connections are closed when the test ends.
func start(t *testing.T, answer func(llmserver.Request) []string, plan func(call int) llmserver.Fault) (*llmserver.Server, anthropic.Client) {
	t.Helper()
	srv := llmserver.Start(llmserver.Anthropic, answer, plan)
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return srv, anthropic.NewClient(
		option.WithBaseURL(srv.URL),
		option.WithAPIKey("test"),
		option.WithHTTPClient(&http.Client{Transport: tr}),
	)
}

func params(prompt string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     "claude-test",
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))},
	}
}

func words(ws ...string) func(llmserver.Request) []string {
	return func(llmserver.Request) []string { return ws }
}

func always(f llmserver.Fault) func(int) llmserver.Fault {
	return func(int) llmserver.Fault { return f }
}
