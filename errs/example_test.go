package errs_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/relay-go/relay/errs"
)

// A provider marks its errors so that relay knows how to treat them.
func ExampleRetryAfter() {
	rateLimited := errs.RetryAfter(errors.New("429 too many requests"), 2*time.Second)
	hint, ok := errs.RetryAfterHint(rateLimited)
	fmt.Println(rateLimited, hint, ok)
	// Output: 429 too many requests 2s true
}

func ExamplePermanent() {
	bad := errs.Permanent(errors.New("400 prompt too long"))
	fmt.Println(bad, errs.IsPermanent(bad), errs.IsPermanent(fmt.Errorf("wrapped: %w", bad)))
	// Output: 400 prompt too long true true
}

// The message of a failed call names every attempt, in the order they
// started.
func ExampleFailoverError() {
	err := &errs.FailoverError{Attempts: []*errs.AttemptError{
		{Provider: "a", Attempt: 1, Err: errors.New("rate limited")},
		{Provider: "b", Attempt: 1, Err: fmt.Errorf("%w: no token within 2s", errs.ErrFirstTokenTimeout)},
	}}
	fmt.Println(err)
	fmt.Println(&errs.FailoverError{
		Attempts: []*errs.AttemptError{{Provider: "a", Attempt: 1, Err: context.Canceled}},
		Err:      context.Canceled,
	})
	// Output:
	// relay: all 2 attempts failed, nothing was streamed:
	//   provider "a" attempt 1: rate limited
	//   provider "b" attempt 1: first-token timeout: no token within 2s
	// relay: context canceled; nothing was streamed after 1 attempt:
	//   provider "a" attempt 1: context canceled
}
