package anthropicstream_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/llmserver"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/anthropicstream"
	"github.com/relay-go/relay/stream/streamtest"
)

// TestFaultsOverRealSockets runs the real SDK client against a loopback
// server that misbehaves in each of the ways the wire allows.
func TestFaultsOverRealSockets(t *testing.T) {
	t.Parallel()
	statusIs := func(code int) func(error) bool {
		return func(err error) bool {
			var se *errs.StatusError
			return errors.As(err, &se) && se.Code == code
		}
	}
	anyErr := func(err error) bool { return err != nil }
	for _, tc := range []struct {
		name     string
		fault    llmserver.Fault
		want     []string
		errIs    func(error) bool // nil: no error
		hint     time.Duration
		hasHint  bool
		sdkError bool // the SDK's *anthropic.Error is reachable
	}{
		{name: "a whole answer ends cleanly at message_stop", want: []string{"Hello", ", world"}},
		{name: "a 429 with Retry-After is a status error with its hint and no SDK retry",
			fault: llmserver.Fault{Kind: llmserver.HTTPError, Status: 429, RetryAfter: "3"},
			errIs: statusIs(429), hint: 3 * time.Second, hasHint: true, sdkError: true},
		{name: "a 429 with Retry-After-Ms takes the milliseconds",
			fault: llmserver.Fault{Kind: llmserver.HTTPError, Status: 429, RetryAfter: "3", RetryAfterMs: "250"},
			errIs: statusIs(429), hint: 250 * time.Millisecond, hasHint: true, sdkError: true},
		{name: "a 529 overloaded is a status error",
			fault: llmserver.Fault{Kind: llmserver.HTTPError, Status: 529}, errIs: statusIs(529), sdkError: true},
		{name: "a 500 is a status error",
			fault: llmserver.Fault{Kind: llmserver.HTTPError, Status: 500}, errIs: statusIs(500), sdkError: true},
		{name: "a 400 is a status error",
			fault: llmserver.Fault{Kind: llmserver.HTTPError, Status: 400}, errIs: statusIs(400), sdkError: true},
		{name: "a reset after one event fails after its text",
			fault: llmserver.Fault{Kind: llmserver.Reset, After: 1}, want: []string{"Hello"}, errIs: anyErr},
		{name: "an overloaded error event is an error but not a status",
			fault: llmserver.Fault{Kind: llmserver.InBandError, After: 1}, want: []string{"Hello"},
			errIs: func(err error) bool { var se *errs.StatusError; return err != nil && !errors.As(err, &se) }, sdkError: true},
		{name: "a body that ends without message_stop is truncated",
			fault: llmserver.Fault{Kind: llmserver.NoTerminal, After: 2}, want: []string{"Hello", ", world"},
			errIs: func(err error) bool { return errors.Is(err, errs.ErrTruncated) }},
		{name: "malformed JSON is an error",
			fault: llmserver.Fault{Kind: llmserver.Malformed, After: 1}, want: []string{"Hello"},
			errIs: func(err error) bool { return err != nil && !errors.Is(err, errs.ErrTruncated) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, client := start(t, words("Hello", ", world"), always(tc.fault))
			got, err := stream.Collect(context.Background(), anthropicstream.Text(client, params), "hi")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
			if tc.errIs == nil && err != nil || tc.errIs != nil && !tc.errIs(err) {
				t.Fatalf("err = %v", err)
			}
			if d, ok := errs.RetryAfterHint(err); d != tc.hint || ok != tc.hasHint {
				t.Errorf("hint = %v, %v; want %v, %v", d, ok, tc.hint, tc.hasHint)
			}
			var sdk *anthropic.Error
			if errors.As(err, &sdk) != tc.sdkError {
				t.Errorf("errors.As(%v, *anthropic.Error) = %v, want %v", err, !tc.sdkError, tc.sdkError)
			}
			if srv.Calls() != 1 {
				t.Errorf("the server saw %d calls, want 1: the SDK retried", srv.Calls())
			}
		})
	}
}

func TestTheSDKRetriesOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	srv, client := start(t, words("Hello"), func(call int) llmserver.Fault {
		if call == 1 {
			return llmserver.Fault{Kind: llmserver.HTTPError, Status: 529, RetryAfterMs: "1"}
		}
		return llmserver.Fault{}
	})
	got, err := stream.Collect(context.Background(), anthropicstream.Text(client, params, option.WithMaxRetries(1)), "hi")
	if diff := cmp.Diff([]string{"Hello"}, got); diff != "" || err != nil {
		t.Errorf("err = %v, text (-want +got):\n%s", err, diff)
	}
	if srv.Calls() != 2 {
		t.Errorf("the server saw %d calls, want 2", srv.Calls())
	}
}

func TestEventsAreTheSDKs(t *testing.T) {
	t.Parallel()
	_, client := start(t, words("Hello", ", world"), nil)
	evs, err := stream.Collect(context.Background(), anthropicstream.New(client), params("hi"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		s := ev.Type
		if anthropicstream.IsContent(ev) {
			s += ":" + ev.Delta.Text
		}
		got = append(got, s)
	}
	want := []string{"message_start", "content_block_start", "content_block_delta:Hello", "content_block_delta:, world", "content_block_stop", "message_delta"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestAStallWithPingsFailsOver: the server opens its message and sends
// pings, then nothing; the group's first-token timeout (a deadline, not
// a sleep) ends the attempt, as the pings are no content, and the backup
// answers.
func TestAStallWithPingsFailsOver(t *testing.T) {
	t.Parallel()
	_, stalled := start(t, words("never"), always(llmserver.Fault{Kind: llmserver.StallFirst, Pings: 3}))
	_, backup := start(t, words("Hello"), nil)
	g := failover.New([]failover.Provider[anthropic.MessageNewParams, anthropic.MessageStreamEventUnion]{
		{Name: "stalled", Source: anthropicstream.New(stalled)},
		{Name: "backup", Source: anthropicstream.New(backup)},
	}, failover.Content(anthropicstream.IsContent), failover.FirstTokenTimeout(300*time.Millisecond))
	ctx, rep := failover.WithReport(context.Background())
	evs, err := stream.Collect(ctx, g.Stream, params("hi"))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, ev := range evs {
		text.WriteString(ev.Delta.Text)
	}
	if text.String() != "Hello" || rep.Served() != "backup" {
		t.Errorf("got %q from %q, want Hello from backup", text.String(), rep.Served())
	}
	if a := rep.Attempts()[0]; !errors.Is(a.Err, errs.ErrFirstTokenTimeout) {
		t.Errorf("the stalled attempt ended with %v, want a first-token timeout", a.Err)
	}
}

func TestSourcesKeepTheContract(t *testing.T) {
	_, client := start(t, words("a", "b", "c"), nil)
	if err := streamtest.Check(anthropicstream.New(client), params("hi")); err != nil {
		t.Error(err)
	}
	if err := streamtest.Check(anthropicstream.Text(client, params), "hi"); err != nil {
		t.Error(err)
	}
}

func TestTextPanicsWithoutParams(t *testing.T) {
	t.Parallel()
	defer func() {
		if s, _ := recover().(string); !strings.HasPrefix(s, "stream:") {
			t.Errorf("panic %q, want one starting with stream:", s)
		}
	}()
	anthropicstream.Text[string](anthropic.NewClient(), nil)
}
