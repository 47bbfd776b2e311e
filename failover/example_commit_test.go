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

// A provider that dies after one word would have committed the call to a
// broken answer; with CommitAfter(2) it fails over unseen.
func ExampleCommitAfter() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "shaky", Source: stream.FromSlice[string]([]string{"Hel"}, errors.New("reset"))},
		{Name: "steady", Source: stream.FromSlice[string]([]string{"Hello", ", ", "world"}, nil)},
	}, failover.CommitAfter(2))
	toks, err := stream.Collect(context.Background(), g.Stream, "greet")
	fmt.Printf("%q %v\n", strings.Join(toks, ""), err)
	// Output: "Hello, world" <nil>
}

// Resume continues the answer on the next provider from what the caller
// already has; MaxResumes bounds how often.
func ExampleResume() {
	text := "one two three four"
	continuing := func(fail int) stream.Source[string, string] {
		return stream.Generate(func(ctx context.Context, req string, yield func(string) bool) error {
			_, done, _ := strings.Cut(req, "|")
			for i, w := range strings.SplitAfter(strings.TrimPrefix(text, done), " ") {
				if i == fail {
					return errors.New("reset")
				}
				yield(w)
			}
			return nil
		})
	}
	g := failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: continuing(2)},
		{Name: "b", Source: continuing(-1)},
	}, failover.Resume(func(req string, emitted []string) (string, error) {
		return req + "|" + strings.Join(emitted, ""), nil
	}), failover.MaxResumes(1))
	toks, err := stream.Collect(context.Background(), g.Stream, "count")
	fmt.Printf("%q %v\n", strings.Join(toks, ""), err)
	// Output: "one two three four" <nil>
}

// MaxResumes(0) keeps a failed stream's record but never resumes it: the
// call ends with the committed failure.
func ExampleMaxResumes() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: stream.FromSlice[string]([]string{"one "}, errors.New("reset"))},
	}, failover.Resume(func(req string, _ []string) (string, error) { return req, nil }), failover.MaxResumes(0))
	_, err := stream.Collect(context.Background(), g.Stream, "count")
	var ce *errs.CommittedError
	fmt.Println(errors.As(err, &ce), ce.Emitted)
	// Output: true 1
}

// CommitTimeout bounds the wait for an answer to start, whatever the
// providers do meanwhile.
func ExampleCommitTimeout() {
	silent := stream.Generate(func(ctx context.Context, _ string, _ func(string) bool) error {
		<-ctx.Done()
		return ctx.Err()
	})
	g := failover.New([]failover.Provider[string, string]{{Name: "silent", Source: silent}},
		failover.CommitTimeout(20*time.Millisecond))
	_, err := stream.Collect(context.Background(), g.Stream, "q")
	fmt.Println(errors.Is(err, errs.ErrCommitTimeout))
	// Output: true
}

// A provider reads which attempt it serves from its context: for its logs
// and for an idempotency key.
func ExampleAttemptOf() {
	src := stream.Generate(func(ctx context.Context, req string, yield func(string) bool) error {
		info, _ := failover.AttemptOf(ctx)
		yield(fmt.Sprintf("%s/%s#%d", req, info.Provider, info.Number))
		return nil
	})
	g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}})
	toks, _ := stream.Collect(context.Background(), g.Stream, "req-42")
	fmt.Println(toks[0])
	// Output: req-42/a#1
}
