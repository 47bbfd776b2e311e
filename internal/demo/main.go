// Command demo streams two requests through providers that are real HTTP
// servers of server-sent events on loopback ports, and shows what relay
// does with each of their faults.
//
// The first request meets a server that answers 503 with Retry-After and
// one that never sends a byte, and is served by the third, within the
// first-token timeout. The second is served by a server that drops its
// connection after three events: the stream has committed, so it ends
// with a CommittedError instead of mixing in another server's text.
//
//	go run ./internal/demo
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/sseserver"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

const firstTokenTimeout = time.Second

// words streams the request's words back, with their spaces.
func words(req string) []string {
	var out []string
	for i, w := range strings.Fields(req) {
		if i > 0 {
			w = " " + w
		}
		out = append(out, w)
	}
	return out
}

// serve starts a loopback server that answers every request the same way.
func serve(f sseserver.Fault) *sseserver.Server {
	return sseserver.Start(words, func(int, string) sseserver.Fault { return f })
}

func run(ctx context.Context, w io.Writer) error {
	overloaded := serve(sseserver.Fault{Kind: sseserver.HTTPError, Status: 503, RetryAfter: "30"})
	silent := serve(sseserver.Fault{Kind: sseserver.StallFirst})
	steady := serve(sseserver.Fault{Gap: 10 * time.Millisecond})
	dropping := serve(sseserver.Fault{Kind: sseserver.Reset, After: 3, Gap: 10 * time.Millisecond})
	servers := []*sseserver.Server{overloaded, silent, steady, dropping}
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	defer func() {
		tr.CloseIdleConnections()
		for _, s := range servers {
			s.Close()
		}
	}()

	g := failover.New([]failover.Provider[string, string]{
		{Name: "overloaded", Source: overloaded.Source(client)},
		{Name: "silent", Source: silent.Source(client)},
		{Name: "steady", Source: steady.Source(client)},
	}, failover.FirstTokenTimeout(firstTokenTimeout), failover.IdleTimeout(time.Second))
	fmt.Fprintln(w, "request 1: three SSE servers; the first answers 503, the second never sends a byte")
	if err := call(ctx, w, g, "Failover sends the request to the next provider and never repeats a word already shown."); err != nil {
		return err
	}

	g2 := failover.New([]failover.Provider[string, string]{
		{Name: "dropping", Source: dropping.Source(client)},
		{Name: "steady", Source: steady.Source(client)},
	}, failover.FirstTokenTimeout(firstTokenTimeout))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "request 2: the serving server drops the connection after three events")
	before := steady.Calls()
	err := call(ctx, w, g2, "Streams commit at their first content token, so after that nothing else is mixed in.")
	var ce *errs.CommittedError
	if !errors.As(err, &ce) {
		return fmt.Errorf("request 2 should end with a CommittedError, got %v", err)
	}
	fmt.Fprintf(w, "the caller kept %d tokens, each shown once; %q was not called (%d calls)\n",
		ce.Emitted, "steady", steady.Calls()-before)

	tr.CloseIdleConnections()
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	open := 0
	for _, s := range servers {
		open += s.WaitClosed(wait)
	}
	fmt.Fprintf(w, "\nconnections left open on the servers: %d\n", open)
	return nil
}

// call streams one request, printing tokens as they arrive, then the report.
func call(ctx context.Context, w io.Writer, g *failover.Group[string, string], req string) error {
	ctx, report := failover.WithReport(ctx)
	out, errc := g.Stream(ctx, req)
	fmt.Fprint(w, "  > ")
	for tok := range out {
		fmt.Fprint(w, tok)
	}
	fmt.Fprintln(w)
	err := <-errc
	if err != nil {
		fmt.Fprintf(w, "  error: %s\n", describe(err))
	}
	fmt.Fprintf(w, "  served by: %s\n", orNone(report.Served()))
	for _, a := range report.Attempts() {
		switch {
		case a.Committed && a.Err == nil:
			fmt.Fprintf(w, "  - %-10s try %d: served\n", a.Provider, a.Number)
		case a.Committed:
			fmt.Fprintf(w, "  - %-10s try %d: committed, then failed: %s\n", a.Provider, a.Number, describe(a.Err))
		default:
			fmt.Fprintf(w, "  - %-10s try %d: failed: %s\n", a.Provider, a.Number, describe(a.Err))
		}
	}
	return err
}

// describe says what went wrong in words that do not change from run to
// run (a network error names the ports it used).
func describe(err error) string {
	var se *errs.StatusError
	var ce *errs.CommittedError
	switch {
	case errors.As(err, &ce):
		return fmt.Sprintf("provider %q failed after %d tokens: %s", ce.Provider, ce.Emitted, describe(ce.Err))
	case errors.As(err, &se):
		if d, ok := errs.RetryAfterHint(err); ok {
			return fmt.Sprintf("HTTP %d, Retry-After %v", se.Code, d)
		}
		return fmt.Sprintf("HTTP %d", se.Code)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, errs.ErrTruncated), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection dropped mid-stream"
	}
	return err.Error()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
