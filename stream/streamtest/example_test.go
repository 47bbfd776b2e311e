package streamtest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

// A scripted provider that fails after two tokens, in a failover group:
// the caller gets the two tokens and a CommittedError, and the script
// says how often it was called.
func ExampleNew() {
	flaky := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"Hello", ","}, Err: errors.New("connection reset")})
	backup := streamtest.Tokens[string]("never", "used")
	g := failover.New([]failover.Provider[string, string]{
		{Name: "flaky", Source: flaky.Source},
		{Name: "backup", Source: backup.Source},
	})
	toks, err := stream.Collect(context.Background(), g.Stream, "hi")
	flaky.Wait()
	backup.Wait()
	fmt.Println(toks, err)
	fmt.Println(flaky.Calls(), backup.Calls())
	// Output:
	// [Hello ,] relay: provider "flaky" failed after 2 tokens: connection reset
	// 1 0
}

// Check reports what a source breaks: this one closes its token channel
// and only then sends its error.
func ExampleCheck() {
	late := streamtest.New[string](streamtest.Script[string]{
		Tokens: []string{"a"}, Err: errors.New("down"), ErrAfterClose: true, LateBy: streamtest.Wait / 10,
	})
	fmt.Println(streamtest.Check(late.Source, "req"))
	late.Wait()
	fmt.Println(streamtest.Check(stream.FromSlice[string]([]string{"a"}, nil), "req"))
	// Output:
	// streamtest: the source broke the stream contract:
	//   read to its end: its token channel closed before its outcome was on its error channel
	// <nil>
}

// Tokens and Fails are the two providers most tests need: one that
// answers, one that is down. Requests shows what each was asked.
func ExampleTokens() {
	down := streamtest.Fails[string, string](errors.New("503"))
	up := streamtest.Tokens[string]("fine", "thanks")
	g := failover.New([]failover.Provider[string, string]{
		{Name: "down", Source: down.Source},
		{Name: "up", Source: up.Source},
	})
	toks, err := stream.Collect(context.Background(), g.Stream, "how are you?")
	down.Wait()
	up.Wait()
	fmt.Println(toks, err)
	fmt.Println(down.Requests(), up.Requests())
	// Output:
	// [fine thanks] <nil>
	// [how are you?] [how are you?]
}

// Fails makes every call fail at once with its error: here every
// provider is down, and the group's error names each one.
func ExampleFails() {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: streamtest.Fails[string, string](errors.New("503")).Source},
		{Name: "b", Source: streamtest.Fails[string, string](errors.New("connection refused")).Source},
	})
	_, err := stream.Collect(context.Background(), g.Stream, "q")
	fmt.Println(err)
	// Output:
	// relay: all 2 attempts failed, nothing was streamed:
	//   provider "a" attempt 1: 503
	//   provider "b" attempt 1: connection refused
}
