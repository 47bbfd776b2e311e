package failover_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/sseserver"
)

// answer is what the loopback servers stream for a request: its words.
func answer(req string) []string { return strings.Fields(req) }

// The causes the faults over real sockets show in the faulty attempt.
func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// cutOff: the connection was reset (or, on some systems, just closed).
func cutOff(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func status503After1s(err error) bool {
	var se *errs.StatusError
	d, ok := errs.RetryAfterHint(err)
	return errors.As(err, &se) && se.Code == 503 && ok && d == time.Second
}

func malformed(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// TestFaultsOverRealSockets sends requests through a group of two loopback
// SSE servers, the first of which misbehaves in each way it can, before
// the commit and after it, and checks the outcome, that nothing of the
// faulty server is mixed in, and that every connection is closed.
func TestFaultsOverRealSockets(t *testing.T) {
	t.Parallel()
	const req = "one two three four"
	for _, tc := range []struct {
		name  string
		fault sseserver.Fault
		want  string           // the tokens the caller gets, joined
		cause func(error) bool // checks the faulty attempt's cause
		// committed: the call ends with a CommittedError after the faulty
		// server's first two tokens.
		committed bool
	}{
		{name: "serving", fault: sseserver.Fault{Kind: sseserver.Serve}, want: req},
		{name: "refusing", fault: sseserver.Fault{Kind: sseserver.Refuse}, want: req, cause: cutOff},
		{name: "503 with Retry-After", fault: sseserver.Fault{Kind: sseserver.HTTPError, Status: 503, RetryAfter: "1"}, want: req, cause: status503After1s},
		{name: "a reset before the first event", fault: sseserver.Fault{Kind: sseserver.Reset}, want: req, cause: cutOff},
		{name: "a reset after two events", fault: sseserver.Fault{Kind: sseserver.Reset, After: 2}, want: "one two", cause: cutOff, committed: true},
		{name: "a stall before the first byte", fault: sseserver.Fault{Kind: sseserver.StallFirst}, want: req, cause: is(errs.ErrFirstTokenTimeout)},
		{name: "a stall before the first event", fault: sseserver.Fault{Kind: sseserver.Stall}, want: req, cause: is(errs.ErrFirstTokenTimeout)},
		{name: "a stall after two events", fault: sseserver.Fault{Kind: sseserver.Stall, After: 2}, want: "one two", cause: is(errs.ErrIdleTimeout), committed: true},
		{name: "a malformed first event", fault: sseserver.Fault{Kind: sseserver.Malformed}, want: req, cause: malformed},
		{name: "a malformed event after two", fault: sseserver.Fault{Kind: sseserver.Malformed, After: 2}, want: "one two", cause: malformed, committed: true},
		{name: "no terminal event, nothing sent", fault: sseserver.Fault{Kind: sseserver.NoDone}, want: req, cause: is(errs.ErrTruncated)},
		{name: "no terminal event after two", fault: sseserver.Fault{Kind: sseserver.NoDone, After: 2}, want: "one two", cause: is(errs.ErrTruncated), committed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, f := range forms {
				faulty := sseserver.Start(answer, func(int, string) sseserver.Fault { return tc.fault })
				healthy := sseserver.Start(answer, func(int, string) sseserver.Fault { return sseserver.Fault{} })
				tr := &http.Transport{}
				client := &http.Client{Transport: tr}
				// Only a stall needs a timeout to end; every other fault
				// gets a timeout long enough that a busy machine's slow
				// loopback answer is never taken for one.
				timeout := 30 * time.Second
				if tc.fault.Kind == sseserver.Stall || tc.fault.Kind == sseserver.StallFirst {
					timeout = 1500 * time.Millisecond
				}
				g := failover.New([]failover.Provider[string, string]{
					{Name: "faulty", Source: faulty.Source(client), FirstTokenTimeout: timeout, IdleTimeout: timeout},
					{Name: "healthy", Source: healthy.Source(client)},
				}, failover.FirstTokenTimeout(30*time.Second), failover.IdleTimeout(30*time.Second))
				ctx, rep := failover.WithReport(t.Context())
				got, err := f.collect(ctx, g, req)
				if strings.Join(got, " ") != tc.want {
					t.Errorf("%s: got %q, want %q", f.name, got, tc.want)
				}
				var ce *errs.CommittedError
				switch {
				case tc.committed && (!errors.As(err, &ce) || ce.Provider != "faulty" || ce.Emitted != 2):
					t.Errorf("%s: err = %v, want a CommittedError of faulty after 2 tokens", f.name, err)
				case !tc.committed && err != nil:
					t.Errorf("%s: err = %v, want the healthy server's answer", f.name, err)
				}
				if a := rep.Attempts(); tc.cause != nil && (len(a) == 0 || a[0].Provider != "faulty" || !tc.cause(a[0].Err)) {
					t.Errorf("%s: the faulty attempt %+v does not fail for the fault's cause", f.name, a)
				}
				tr.CloseIdleConnections()
				wait, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				for _, s := range []*sseserver.Server{faulty, healthy} {
					if n := s.WaitClosed(wait); n != 0 {
						t.Errorf("%s: %d connections still open on the server after the call", f.name, n)
					}
				}
				cancel()
				faulty.Close()
				healthy.Close()
			}
		})
	}
}

// TestSlowCallerOverARealSocket reads a long answer over a real socket
// and twice pauses for longer than two idle ticks while relay holds a
// token for it: time spent on the caller never counts against the
// provider, so no timeout fires and nothing is lost. The pauses are real
// time on purpose: the socket is real, and a testing/synctest bubble
// cannot advance its clock while goroutines wait on network I/O (the same
// cases in fake time are TestSlowReaderNeverTimesOut and
// TestIdleTimeoutIsExactAgainstASlowCaller). The idle timeout is long
// enough that a busy machine's scheduling delays between two tokens of a
// healthy server stay far below it.
func TestSlowCallerOverARealSocket(t *testing.T) {
	t.Parallel()
	const idle = 400 * time.Millisecond
	words := make([]string, 2000)
	for i := range words {
		words[i] = strings.Repeat("w", 100)
	}
	req := strings.Join(words, " ")
	srv := sseserver.Start(answer, func(int, string) sseserver.Fault { return sseserver.Fault{} })
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: srv.Source(&http.Client{Transport: tr})}},
		failover.IdleTimeout(idle))
	n := 0
	for tok, err := range g.All(t.Context(), req) {
		if err != nil {
			t.Fatalf("after %d tokens: %v", n, err)
		}
		if len(tok) != 100 {
			t.Fatalf("token %d has %d bytes", n, len(tok))
		}
		n++
		if n == 700 || n == 1400 {
			time.Sleep(2*idle + idle/2) // two idle ticks pass while relay holds a token
		}
	}
	if n != len(words) {
		t.Errorf("%d tokens, want %d", n, len(words))
	}
}
