package streamtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/sse"
	"github.com/relay-go/relay/stream/streamtest"
)

// TestCheckTellsAPooledConnectionFromALeak runs sources over a real
// loopback server whose client keeps connections alive: the idle pooled
// connection is no leak, a response body left open is one. Real sockets
// cannot live in a synctest bubble, so the test waits on the server and
// the check, never on a sleep.
func TestCheckTellsAPooledConnectionFromALeak(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: a\n\ndata: b\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()

	t.Run("a source whose connection goes back to the pool keeps the contract", func(t *testing.T) {
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		src := sse.Source(sse.Config[string, string]{
			Client: &http.Client{Transport: tr},
			NewRequest: func(ctx context.Context, _ string) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
			},
			Decode: func(ev sse.Event) (string, sse.Action, error) {
				if string(ev.Data) == "[DONE]" {
					return "", sse.Done, nil
				}
				return string(ev.Data), sse.Emit, nil
			},
			ExpectDone: true,
		})
		if err := streamtest.Check(src, "req"); err != nil {
			t.Error(err)
		}
	})

	t.Run("a source that leaves its response body open is reported", func(t *testing.T) {
		tr := &http.Transport{}
		var open []*http.Response
		defer func() {
			for _, resp := range open {
				resp.Body.Close()
			}
			tr.CloseIdleConnections()
		}()
		src := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			// The request is not bound to ctx and its body never
			// closed: the connection stays busy after the stream.
			resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
			if err != nil {
				return stream.FromSlice[string, string](nil, err)(ctx, req)
			}
			open = append(open, resp)
			return stream.FromSlice[string]([]string{"a"}, nil)(ctx, req)
		}
		err := streamtest.Check(src, "req")
		if err == nil || !strings.Contains(err.Error(), "persistConn") {
			t.Errorf("err = %v, want the busy connection's goroutines reported", err)
		}
	})
}
