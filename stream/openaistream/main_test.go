package openaistream_test

import (
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/relay-go/relay/internal/llmserver"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start serves the OpenAI wire format on a loopback port for the test's
// length, and returns it with a real SDK client of its own, whose idle
// connections are closed when the test ends.
func start(t *testing.T, answer func(llmserver.Request) []string, plan func(call int) llmserver.Fault) (*llmserver.Server, openai.Client) {
	t.Helper()
	srv := llmserver.Start(llmserver.OpenAI, answer, plan)
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return srv, openai.NewClient(
		option.WithBaseURL(srv.URL),
		option.WithAPIKey("test"),
		option.WithHTTPClient(&http.Client{Transport: tr}),
	)
}

func params(prompt string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "m",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	}
}

func words(ws ...string) func(llmserver.Request) []string {
	return func(llmserver.Request) []string { return ws }
}

func always(f llmserver.Fault) func(int) llmserver.Fault {
	return func(int) llmserver.Fault { return f }
}
