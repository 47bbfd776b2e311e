package openaistream_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/openaistream"
)

// TestAPanicInParamsFailsTheAttempt: a params function that panics costs
// its attempt (an *errs.PanicError), and the group fails over.
func TestAPanicInParamsFailsTheAttempt(t *testing.T) {
	_, client := start(t, words("ok"), nil)
	bad := openaistream.Text(client, func(string) openai.ChatCompletionNewParams { panic("boom") })
	good := openaistream.Text(client, params)
	g := failover.New([]failover.Provider[string, string]{{Name: "bad", Source: bad}, {Name: "good", Source: good}})
	ctx, rep := failover.WithReport(context.Background())
	got, err := stream.Collect(ctx, g.Stream, "hi")
	if err != nil || len(got) != 1 || got[0] != "ok" {
		t.Fatalf("got %q, %v; want ok from good", got, err)
	}
	var pe *errs.PanicError
	if as := rep.Attempts(); len(as) != 2 || !errors.As(as[0].Err, &pe) || pe.Value != "boom" {
		t.Errorf("attempts %+v, want bad's to fail with the panic", as)
	}
}
