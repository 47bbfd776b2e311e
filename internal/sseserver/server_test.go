package sseserver_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/internal/sseserver"
	"github.com/relay-go/relay/stream"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestEachFault reads one request of each kind straight from the server.
func TestEachFault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault sseserver.Fault
		want  []string
		err   func(error) bool
	}{
		{sseserver.Fault{}, []string{"a", "b", "c"}, func(err error) bool { return err == nil }},
		{sseserver.Fault{Kind: sseserver.Refuse}, nil, func(err error) bool { return err != nil }},
		{sseserver.Fault{Kind: sseserver.HTTPError, Status: 429, RetryAfter: "2"}, nil, func(err error) bool {
			d, ok := errs.RetryAfterHint(err)
			var se *errs.StatusError
			return ok && d == 2*time.Second && errors.As(err, &se) && se.Code == 429
		}},
		{sseserver.Fault{Kind: sseserver.Reset, After: 1}, []string{"a"}, func(err error) bool { return err != nil }},
		{sseserver.Fault{Kind: sseserver.Malformed, After: 2}, []string{"a", "b"}, func(err error) bool { return err != nil && strings.Contains(err.Error(), "not json") }},
		{sseserver.Fault{Kind: sseserver.NoDone, After: 1}, []string{"a"}, func(err error) bool { return errors.Is(err, errs.ErrTruncated) }},
		{sseserver.Fault{Kind: sseserver.Stall, After: 1}, []string{"a"}, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{sseserver.Fault{Kind: sseserver.StallFirst}, nil, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	} {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			t.Parallel()
			srv := sseserver.Start(strings.Fields, func(int, string) sseserver.Fault { return tc.fault })
			defer srv.Close()
			tr := &http.Transport{}
			// A stall ends at the deadline; any other fault long before it,
			// however busy the machine.
			deadline := 30 * time.Second
			if tc.fault.Kind == sseserver.Stall || tc.fault.Kind == sseserver.StallFirst {
				deadline = time.Second
			}
			ctx, cancel := context.WithTimeout(t.Context(), deadline)
			defer cancel()
			got, err := stream.Collect(ctx, srv.Source(&http.Client{Transport: tr}), "a b c")
			tr.CloseIdleConnections()
			if d := cmp.Diff(tc.want, got); d != "" || !tc.err(err) {
				t.Errorf("got %q, %v (-want +got tokens:\n%s)", got, err, d)
			}
			if srv.Calls() != 1 {
				t.Errorf("%d calls, want 1", srv.Calls())
			}
			wait, stop := context.WithTimeout(t.Context(), 5*time.Second)
			defer stop()
			if n := srv.WaitClosed(wait); n != 0 {
				t.Errorf("%d connections still open", n)
			}
		})
	}
}
