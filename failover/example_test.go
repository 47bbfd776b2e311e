package failover_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

// A provider that is down, then one that answers: the caller receives one
// clean stream, and the report says who served it.
func ExampleFailover() {
	down := stream.FromSlice[string, string](nil, errors.New("503 service unavailable"))
	up := stream.FromSlice[string]([]string{"Hello", ", ", "world"}, nil)

	src := failover.Failover([]failover.Provider[string, string]{
		{Name: "primary", Source: down},
		{Name: "backup", Source: up},
	}, failover.FirstTokenTimeout(10*time.Second))

	ctx, report := failover.WithReport(context.Background())
	toks, err := stream.Collect(ctx, src, "greet")
	fmt.Printf("%q %v\n", strings.Join(toks, ""), err)
	fmt.Println("served by", report.Served())
	for _, a := range report.Attempts() {
		if a.Err != nil {
			fmt.Printf("%s attempt %d failed: %v\n", a.Provider, a.Number, a.Err)
		}
	}
	// Output:
	// "Hello, world" <nil>
	// served by backup
	// primary attempt 1 failed: 503 service unavailable
}

// After the first token the stream is committed: a failure ends it with a
// CommittedError that says how much the caller already has, and no other
// provider's text is mixed in.
func ExampleGroup_Stream() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "flaky", Source: stream.FromSlice[string]([]string{"The answer", " is"}, errors.New("connection reset"))},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"never used"}, nil)},
	})
	out, errc := g.Stream(context.Background(), "question")
	for tok := range out {
		fmt.Printf("%q\n", tok)
	}
	err := <-errc
	var ce *errs.CommittedError
	if errors.As(err, &ce) {
		fmt.Printf("%s stopped after %d tokens: %v\n", ce.Provider, ce.Emitted, ce.Err)
	}
	// Output:
	// "The answer"
	// " is"
	// flaky stopped after 2 tokens: connection reset
}

// When every provider fails, the error names each attempt on its own line.
func ExampleNew_allFail() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: stream.FromSlice[string, string](nil, errors.New("rate limited"))},
		{Name: "b", Source: stream.FromSlice[string, string](nil, nil)},
	}, failover.Attempts(2))
	_, err := stream.Collect(context.Background(), g.Stream, "req")
	fmt.Println(err)
	// Output:
	// relay: all 4 attempts failed, nothing was streamed:
	//   provider "a" attempt 1: rate limited
	//   provider "a" attempt 2: rate limited
	//   provider "b" attempt 1: stream ended without a content token
	//   provider "b" attempt 2: stream ended without a content token
}

// Ignore skips providers for the calls made with a context, without an
// attempt, for instance one the caller knows is out of quota.
func ExampleIgnore() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: stream.FromSlice[string]([]string{"from a"}, nil)},
		{Name: "b", Source: stream.FromSlice[string]([]string{"from b"}, nil)},
	})
	ctx := failover.Ignore(context.Background(), "a")
	toks, err := stream.Collect(ctx, g.Stream, "req")
	fmt.Println(toks, err)
	// Output: [from b] <nil>
}

// Content tells relay which tokens commit a stream: metadata that arrives
// first is held until real content arrives, and is dropped if the attempt
// fails first.
func ExampleContent() {
	isText := func(tok string) bool { return !strings.HasPrefix(tok, "meta:") }
	g := failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: stream.FromSlice[string]([]string{"meta:model=a"}, errors.New("overloaded"))},
		{Name: "b", Source: stream.FromSlice[string]([]string{"meta:model=b", "hi"}, nil)},
	}, failover.Content(isText))
	toks, err := stream.Collect(context.Background(), g.Stream, "req")
	fmt.Println(toks, err)
	// Output: [meta:model=b hi] <nil>
}

// The pull form runs the failover in the caller's goroutine and reads each
// token straight from the provider: one channel hop per token.
func ExampleGroup_All() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "down", Source: stream.FromSlice[string, string](nil, errors.New("connection refused"))},
		{Name: "up", Source: stream.FromSlice[string]([]string{"one", "two"}, nil)},
	})
	for tok, err := range g.All(context.Background(), "count") {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(tok)
	}
	// Output:
	// one
	// two
}

// statusError is a provider's own error type.
type statusError struct{ code int }

func (e *statusError) Error() string { return fmt.Sprintf("status %d", e.code) }

// Classify maps a provider's own error types to what the call does next;
// errs.RetryAfter carries a provider's hint for how long to wait.
func ExampleClassify() {
	classify := func(err error) failover.Class {
		var se *statusError
		if errors.As(err, &se) && se.code == 401 {
			return failover.NextProvider // no point retrying with a bad key
		}
		return failover.DefaultClass(err)
	}
	calls := 0
	flaky := func(ctx context.Context, req string) (<-chan string, <-chan error) {
		calls++
		if calls == 1 {
			limited := errs.RetryAfter(&statusError{429}, 10*time.Millisecond)
			return stream.FromSlice[string, string](nil, limited)(ctx, req)
		}
		return stream.FromSlice[string]([]string{"served on try 2"}, nil)(ctx, req)
	}
	g := failover.New([]failover.Provider[string, string]{
		{Name: "bad-key", Source: stream.FromSlice[string, string](nil, &statusError{401})},
		{Name: "flaky", Source: flaky},
	}, failover.Classify(classify), failover.Attempts(3), failover.Backoff(time.Millisecond, 100*time.Millisecond))

	ctx, report := failover.WithReport(context.Background())
	toks, err := stream.Collect(ctx, g.Stream, "req")
	fmt.Println(toks, err)
	for _, a := range report.Attempts() {
		fmt.Println(a.Provider, a.Number, a.Err)
	}
	// Output:
	// [served on try 2] <nil>
	// bad-key 1 status 401
	// flaky 1 status 429
	// flaky 2 <nil>
}

// A provider that never sends its first token is abandoned after the
// first-token timeout, and the next one serves.
func ExampleFirstTokenTimeout() {
	silent := func(ctx context.Context, _ string) (<-chan string, <-chan error) {
		out, errc := make(chan string), make(chan error, 1)
		go func() {
			<-ctx.Done() // never answers, but stops when told
			errc <- ctx.Err()
			close(errc)
			close(out)
		}()
		return out, errc
	}
	g := failover.New([]failover.Provider[string, string]{
		{Name: "silent", Source: silent},
		{Name: "fast", Source: stream.FromSlice[string]([]string{"ok"}, nil)},
	}, failover.FirstTokenTimeout(200*time.Millisecond))
	ctx, report := failover.WithReport(context.Background())
	toks, err := stream.Collect(ctx, g.Stream, "req")
	fmt.Println(toks, err)
	fmt.Println(report.Attempts()[0].Err)
	// Output:
	// [ok] <nil>
	// first-token timeout: no content token within 200ms
}
