// Command resume shows relay continuing an answer whose provider fails
// mid-sentence: the next provider is asked to go on from the words the
// reader already has, and the output reads as one answer.
//
//	go run ./internal/examples/resume
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

const answer = "Failover that resumes continues a broken answer from the words already shown."

// model stands in for a language model: given a prompt that may end with
// the start of its answer ("…\nContinue: <prefix>"), it streams the rest of
// its answer word by word. A flaky one drops the connection after a few
// words.
func model(dropAfter int) stream.Source[string, string] {
	return stream.Generate(func(ctx context.Context, prompt string, yield func(string) bool) error {
		_, prefix, _ := strings.Cut(prompt, "\nContinue: ")
		rest := strings.TrimPrefix(answer, prefix)
		for i, word := range strings.SplitAfter(rest, " ") {
			if i == dropAfter {
				return errors.New("connection reset by peer")
			}
			if !yield(word) {
				return ctx.Err()
			}
		}
		return nil
	})
}

// continueFrom builds the continuation's prompt: the original one and the
// answer so far, which the model is asked to go on from.
func continueFrom(prompt string, emitted []string) (string, error) {
	return prompt + "\nContinue: " + strings.Join(emitted, ""), nil
}

func run(ctx context.Context, w io.Writer) error {
	g := failover.New([]failover.Provider[string, string]{
		{Name: "flaky", Source: model(4)},   // fails after four words
		{Name: "steady", Source: model(-1)}, // never fails
	},
		failover.Resume(continueFrom),         // continue a failed stream instead of ending it
		failover.MaxResumes(2),                // at most twice per call
		failover.CommitAfter(2),               // and fail over, unseen, if a provider dies in its first two words
		failover.CommitTimeout(5*time.Second), // give up if no answer has started within 5s
	)
	ctx, report := failover.WithReport(ctx)
	for tok, err := range g.All(ctx, "What does resuming do?") {
		if err != nil {
			return err
		}
		fmt.Fprint(w, tok) // each word once, as it arrives
	}
	fmt.Fprintln(w)
	for _, a := range report.Attempts() {
		fmt.Fprintf(w, "  %s (phase %d): committed %v, ended %v\n", a.Provider, a.Resume, a.Committed, a.Err)
	}
	return nil
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "resume:", err)
		os.Exit(1)
	}
}
