// Command demo streams two requests through simulated providers and shows
// what relay does with each failure.
//
// The first request meets a provider that fails at once and one that stalls
// until the first-token timeout, and is served by the third; the second is
// served by a provider that breaks mid-stream, and ends with a
// CommittedError instead of mixing in another provider's text.
//
//	go run ./internal/demo
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

const (
	firstTokenTimeout = 300 * time.Millisecond
	gap               = 40 * time.Millisecond
)

func words(s string) []string {
	var out []string
	for i, w := range strings.Fields(s) {
		if i > 0 {
			w = " " + w
		}
		out = append(out, w)
	}
	return out
}

func run(ctx context.Context, w io.Writer) error {
	answer := words("Failover sends the request to the next provider and never repeats a word already shown.")
	down := streamtest.Fails[string, string](errors.New("503 service unavailable"))
	stalled := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"never"}, Stall: true})
	steady := streamtest.New[string](streamtest.Script[string]{Tokens: answer, FirstDelay: gap, Gap: gap})
	defer func() {
		for _, p := range []*streamtest.Provider[string, string]{down, stalled, steady} {
			p.Wait()
		}
	}()

	g := failover.New([]failover.Provider[string, string]{
		{Name: "fast-fail", Source: down.Source},
		{Name: "stalled", Source: stalled.Source},
		{Name: "steady", Source: steady.Source},
	}, failover.FirstTokenTimeout(firstTokenTimeout), failover.IdleTimeout(time.Second))

	fmt.Fprintln(w, "request 1: three providers; the first fails at once, the second stalls")
	if err := call(ctx, w, g, "explain failover"); err != nil {
		return err
	}

	partial := words("Streams commit at their first token, so after that")
	flaky := streamtest.New[string](streamtest.Script[string]{Tokens: partial, Gap: gap, Err: errors.New("connection reset by peer")})
	backup := streamtest.Tokens[string]("this", "text", "is", "never", "mixed", "in")
	defer flaky.Wait()
	defer backup.Wait()
	g2 := failover.New([]failover.Provider[string, string]{
		{Name: "flaky", Source: flaky.Source},
		{Name: "backup", Source: backup.Source},
	}, failover.FirstTokenTimeout(firstTokenTimeout))

	fmt.Fprintln(w)
	fmt.Fprintln(w, "request 2: the serving provider breaks mid-stream")
	err := call(ctx, w, g2, "explain the commit point")
	var ce *errs.CommittedError
	if !errors.As(err, &ce) {
		return fmt.Errorf("request 2 should end with a CommittedError, got %v", err)
	}
	fmt.Fprintf(w, "the caller kept %d tokens, each shown once; %q was never called (%d calls)\n",
		ce.Emitted, "backup", backup.Calls())
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
		fmt.Fprintf(w, "  error: %v\n", err)
	}
	fmt.Fprintf(w, "  served by: %s\n", orNone(report.Served()))
	for _, a := range report.Attempts() {
		switch {
		case a.Committed && a.Err == nil:
			fmt.Fprintf(w, "  - %-9s try %d: served, first token after %v\n", a.Provider, a.Number, a.FirstToken.Round(time.Millisecond))
		case a.Committed:
			fmt.Fprintf(w, "  - %-9s try %d: committed, then failed: %v\n", a.Provider, a.Number, a.Err)
		default:
			fmt.Fprintf(w, "  - %-9s try %d: failed: %v\n", a.Provider, a.Number, a.Err)
		}
	}
	return err
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
