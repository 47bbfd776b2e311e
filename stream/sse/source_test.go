package sse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/sse"
	"github.com/relay-go/relay/stream/streamtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server serves handler on a loopback socket and returns a source over it
// that decodes each event's data as a token and "[DONE]" as the end.
func server(t *testing.T, expectDone bool, handler http.HandlerFunc) stream.Source[string, string] {
	return serverWith(t, &http.Transport{}, expectDone, handler)
}

func serverWith(t *testing.T, tr *http.Transport, expectDone bool, handler http.HandlerFunc) stream.Source[string, string] {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
	})
	return sse.Source(sse.Config[string, string]{
		Client: &http.Client{Transport: tr},
		NewRequest: func(ctx context.Context, prompt string) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, "POST", srv.URL, strings.NewReader(prompt))
		},
		Decode: func(ev sse.Event) (string, sse.Action, error) {
			switch d := string(ev.Data); {
			case d == "[DONE]":
				return "", sse.Done, nil
			case d == "bad":
				return "", 0, errors.New("not JSON")
			case ev.Type == "ping":
				return "", sse.Skip, nil
			default:
				return d, sse.Emit, nil
			}
		},
		ExpectDone: expectDone,
	})
}

// events writes a text/event-stream response of the given events.
func events(evs ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range evs {
			fmt.Fprint(w, e)
			w.(http.Flusher).Flush()
		}
	}
}

func TestSourceOverASocket(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		handler    http.HandlerFunc
		expectDone bool
		want       []string
		err        error  // errors.Is target; nil for success
		code       int    // StatusError.Code, when one is wanted
		hint       string // the Retry-After hint, when one is wanted
	}{
		{name: "tokens, then the terminal event", handler: events("data: a\n\n", ": ping\n\n", "event: ping\ndata: x\n\n", "data: b\n\n", "data: [DONE]\n\n", "data: after\n\n"),
			expectDone: true, want: []string{"a", "b"}},
		{name: "a body that ends without the terminal event is truncated", handler: events("data: a\n\n"),
			expectDone: true, want: []string{"a"}, err: errs.ErrTruncated},
		{name: "without ExpectDone the end of the body is a clean end", handler: events("data: a\n\n"),
			want: []string{"a"}},
		{name: "a body cut inside an event is truncated", handler: events("data: a\n\ndata: b"),
			want: []string{"a"}, err: errs.ErrTruncated},
		{name: "a body cut after a field line is truncated, with or without ExpectDone", handler: events("data: a\n\ndata: b\n"),
			want: []string{"a"}, err: errs.ErrTruncated},
		{name: "a leading byte order mark is skipped", handler: events("\uFEFFdata: a\n\n", "data: [DONE]\n\n"),
			expectDone: true, want: []string{"a"}},
		{name: "a decoding error ends the stream", handler: events("data: a\n\n", "data: bad\n\n"),
			want: []string{"a"}, err: errDecode},
		{name: "429 with Retry-After in seconds", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3")
			http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
		}, code: 429, hint: "3s"},
		{name: "503 with Retry-After as a date", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		}, code: 503, hint: "about an hour"},
		{name: "500 without a hint", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, code: 500},
		{name: "200 that is not an event stream", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"answer":"not streamed"}`)
		}, code: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := server(t, tc.expectDone, tc.handler)
			got, err := stream.Collect(t.Context(), src, "hello")
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("tokens (-want +got):\n%s", d)
			}
			var se *errs.StatusError
			switch {
			case tc.code != 0:
				if !errors.As(err, &se) || se.Code != tc.code {
					t.Errorf("err = %v, want a StatusError with code %d", err, tc.code)
				}
				hint, ok := errs.RetryAfterHint(err)
				switch tc.hint {
				case "":
					if ok {
						t.Errorf("hint %v, want none", hint)
					}
				case "about an hour":
					if !ok || hint < 59*time.Minute || hint > time.Hour {
						t.Errorf("hint %v, want about an hour", hint)
					}
				default:
					if !ok || hint.String() != tc.hint {
						t.Errorf("hint %v, want %s", hint, tc.hint)
					}
				}
			case tc.err == errDecode:
				if err == nil || !strings.Contains(err.Error(), "not JSON") || !strings.Contains(err.Error(), `"bad"`) {
					t.Errorf("err = %v, want the decoder's error naming the event", err)
				}
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Errorf("err = %v, want %v", err, tc.err)
				}
			case err != nil:
				t.Errorf("err = %v, want a clean end", err)
			}
		})
	}
}

var errDecode = errors.New("decode")

func TestCancellationClosesTheConnection(t *testing.T) {
	t.Parallel()
	var closed sync.WaitGroup
	closed.Add(1)
	src := server(t, true, func(w http.ResponseWriter, r *http.Request) {
		defer closed.Done()
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: a\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the server sees the client go away
	})
	ctx, cancel := context.WithCancel(t.Context())
	out, errc := src(ctx, "hello")
	if tok := <-out; tok != "a" {
		t.Fatalf("first token %q", tok)
	}
	cancel()
	for range out {
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	closed.Wait() // the handler returns only once the connection closed
}

func TestParseRetryAfterParsesBothForms(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"Wed, 25 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Wed, 25 Nov 2026 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"soon", 0, false},
		{"-5", 0, false},
	} {
		if d, ok := sse.ParseRetryAfter(tc.v, now); d != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.v, d, ok, tc.want, tc.ok)
		}
	}
}

func TestCheckResponseReadsTheWaitFromTheHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		header http.Header
		want   time.Duration
		hinted bool
	}{
		{"Retry-After alone is read in seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second, true},
		{"Retry-After-Ms alone is read in milliseconds", http.Header{"Retry-After-Ms": {"250"}}, 250 * time.Millisecond, true},
		{"Retry-After-Ms wins over Retry-After", http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"1500.5"}}, 1500*time.Millisecond + 500*time.Microsecond, true},
		{"a malformed Retry-After-Ms falls back on Retry-After", http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"soon"}}, 3 * time.Second, true},
		{"a negative Retry-After-Ms is ignored", http.Header{"Retry-After-Ms": {"-1"}}, 0, false},
		{"a huge Retry-After-Ms saturates", http.Header{"Retry-After-Ms": {"1e300"}}, time.Duration(math.MaxInt64), true},
		{"no header is no hint", http.Header{}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := sse.CheckResponse(&http.Response{
				StatusCode: http.StatusTooManyRequests,
				Status:     "429 Too Many Requests",
				Header:     tc.header,
				Body:       io.NopCloser(strings.NewReader("slow down")),
			})
			var se *errs.StatusError
			if !errors.As(err, &se) || se.Code != http.StatusTooManyRequests {
				t.Fatalf("err = %v, want a StatusError with code 429", err)
			}
			d, hinted := errs.RetryAfterHint(err)
			if d != tc.want || hinted != tc.hinted {
				t.Errorf("hint = %v, %v; want %v, %v", d, hinted, tc.want, tc.hinted)
			}
		})
	}
}

func TestSourcePanicsOnMisuse(t *testing.T) {
	t.Parallel()
	defer func() {
		if s, _ := recover().(string); !strings.HasPrefix(s, "stream:") {
			t.Errorf("panic %q, want one starting with stream:", s)
		}
	}()
	sse.Source(sse.Config[string, string]{})
}

// TestSourceKeepsTheContract runs a source over a real socket through the
// contract checker, on connections that are not kept alive (the checker
// also passes idle pooled ones: see streamtest.Check).
func TestSourceKeepsTheContract(t *testing.T) {
	src := serverWith(t, &http.Transport{DisableKeepAlives: true}, true, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range []string{"data: a\n\n", "data: b\n\n"} {
			fmt.Fprint(w, e)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Millisecond):
			fmt.Fprint(w, "data: [DONE]\n\n")
		}
	})
	if err := streamtest.Check(src, "hello"); err != nil {
		t.Error(err)
	}
}
