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
