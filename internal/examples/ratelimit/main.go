// Command ratelimit shows relay's retry policy on a rate-limited provider:
// a 429 answer with a Retry-After hint defers that provider while the call
// moves on, an auth failure gives up on a provider for the call, and the
// call comes back to the rate-limited provider once its hint has passed.
//
//	go run ./internal/examples/ratelimit
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

// httpError is the provider's own error type: relay classifies it by its
// fields, never by its text.
type httpError struct{ Status int }

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d", e.Status) }

// classify maps the provider's errors to what the call should do next.
func classify(err error) failover.Class {
	var he *httpError
	if errors.As(err, &he) {
		switch {
		case he.Status == 429 || he.Status >= 500:
			return failover.Retry // wait (Retry-After, backoff), try again
		case he.Status == 401 || he.Status == 403:
			return failover.NextProvider // this provider will not serve us
		case he.Status == 400:
			return failover.Stop // every provider would refuse this request
		}
	}
	return failover.DefaultClass(err)
}

// rateLimited answers its first call with 429 and a Retry-After of 200ms.
func rateLimited() stream.Source[string, string] {
	var calls atomic.Int32
	answer := stream.FromSlice[string]([]string{"Hello", " from", " primary"}, nil)
	return func(ctx context.Context, req string) (<-chan string, <-chan error) {
		if calls.Add(1) == 1 {
			return stream.FromSlice[string, string](nil,
				errs.RetryAfter(&httpError{Status: 429}, 200*time.Millisecond))(ctx, req)
		}
		return answer(ctx, req)
	}
}

func run(ctx context.Context, w io.Writer) error {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: rateLimited()},
		// The backup's key was revoked: it will not serve this call.
		{Name: "backup", Source: stream.FromSlice[string, string](nil, &httpError{Status: 401})},
	},
		failover.Classify(classify),
		failover.Attempts(3),                                  // up to 3 tries of each provider
		failover.Backoff(100*time.Millisecond, 2*time.Second), // jittered waits between them
		failover.MaxRetryAfter(5*time.Second),                 // a longer hint: move on instead
		failover.RetryBudget(0.2, 10, 10*time.Second),         // retries: at most 20% of recent calls
		failover.MaxCallTime(30*time.Second),                  // the whole call, whatever ctx allows
	)

	ctx, report := failover.WithReport(ctx)
	start := time.Now()
	toks, err := stream.Collect(ctx, g.Stream, "greet")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%q served by %s\n", toks, report.Served())
	for _, a := range report.Attempts() {
		at := a.Start.Sub(start).Round(100 * time.Millisecond)
		fmt.Fprintf(w, "  %s try %d at +%v: ", a.Provider, a.Number, at)
		if hint, ok := errs.RetryAfterHint(a.Err); ok {
			fmt.Fprintf(w, "%v, retry after %v\n", a.Err, hint)
		} else if a.Err != nil {
			fmt.Fprintln(w, a.Err)
		} else {
			fmt.Fprintln(w, "served")
		}
	}
	return nil
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ratelimit:", err)
		os.Exit(1)
	}
}
