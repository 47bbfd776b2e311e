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
		{Provider: "b", Attempt: 1, Err: fmt.Errorf("%w: no content token within 2s", errs.ErrFirstTokenTimeout)},
	}}
	fmt.Println(err)
	fmt.Println(&errs.FailoverError{
		Attempts: []*errs.AttemptError{{Provider: "a", Attempt: 1, Err: context.Canceled}},
		Err:      context.Canceled,
	})
	// Output:
	// relay: all 2 attempts failed, nothing was streamed:
	//   provider "a" attempt 1: rate limited
	//   provider "b" attempt 1: first-token timeout: no content token within 2s
	// relay: context canceled; nothing was streamed after 1 attempt:
	//   provider "a" attempt 1: context canceled
}

// A committed stream's failure says how much the caller already has, so
// that it can tell the reader the answer was cut short.
func ExampleCommittedError() {
	var err error = &errs.CommittedError{Provider: "b", Emitted: 12, Err: fmt.Errorf("%w: no token for 2s", errs.ErrIdleTimeout)}
	var ce *errs.CommittedError
	if errors.As(err, &ce) {
		fmt.Println(ce.Provider, ce.Emitted, errors.Is(err, errs.ErrIdleTimeout))
	}
	fmt.Println(err)
	// Output:
	// b 12 true
	// relay: provider "b" failed after 12 tokens: idle timeout: no token for 2s
}

// A resumed stream that still did not complete names each committed
// failure, then why the call stopped.
func ExampleResumeError() {
	err := &errs.ResumeError{
		Emitted: 7, Resumes: 1,
		Failures: []*errs.CommittedError{
			{Provider: "a", Emitted: 4, Err: errors.New("connection reset")},
			{Provider: "b", Emitted: 7, Err: errors.New("connection reset")},
		},
		Err: errs.ErrMaxResumes,
	}
	fmt.Println(err)
	fmt.Println(errors.Is(err, errs.ErrMaxResumes))
	// Output:
	// relay: resumed 1 time, then stopped after 7 tokens:
	//   provider "a" failed after 4 tokens: connection reset
	//   provider "b" failed after 7 tokens: connection reset
	//   then: no resume left
	// true
}

// StatusError carries an HTTP failure's code for a Classify function to
// decide on.
func ExampleStatusError() {
	var err error = errs.RetryAfter(&errs.StatusError{Code: 503, Status: "503 Service Unavailable", Body: `{"error":"overloaded"}`}, time.Second)
	var se *errs.StatusError
	if errors.As(err, &se) {
		fmt.Println(se.Code)
	}
	fmt.Println(err)
	// Output:
	// 503
	// HTTP 503 Service Unavailable: {"error":"overloaded"}
}
