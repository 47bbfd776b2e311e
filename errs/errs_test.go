package errs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/errs"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errDown = errors.New("service unavailable")

func TestMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{
			name: "a resumed stream names each committed failure, then why it stopped",
			err: &errs.ResumeError{Emitted: 1, Resumes: 1,
				Failures: []*errs.CommittedError{{Provider: "a", Emitted: 1, Err: errDown}},
				Err:      errs.ErrMaxResumes},
			want: "relay: resumed 1 time, then stopped after 1 token:\n  provider \"a\" failed after 1 token: service unavailable\n  then: " + errs.ErrMaxResumes.Error(),
		},
		{
			name: "an attempt names provider, try and cause",
			err:  &errs.AttemptError{Provider: "a", Attempt: 2, Err: errDown},
			want: `provider "a" attempt 2: service unavailable`,
		},
		{
			name: "a failover lists every attempt on its own line, in order",
			err: &errs.FailoverError{Attempts: []*errs.AttemptError{
				{Provider: "a", Attempt: 1, Err: errDown},
				{Provider: "b", Attempt: 1, Err: fmt.Errorf("%w: no content token within 2s", errs.ErrFirstTokenTimeout)},
			}},
			want: "relay: all 2 attempts failed, nothing was streamed:\n" +
				"  provider \"a\" attempt 1: service unavailable\n" +
				"  provider \"b\" attempt 1: first-token timeout: no content token within 2s",
		},
		{
			name: "one failed attempt reads in the singular",
			err:  &errs.FailoverError{Attempts: []*errs.AttemptError{{Provider: "a", Attempt: 1, Err: errs.ErrEmpty}}},
			want: "relay: 1 attempt failed, nothing was streamed:\n  provider \"a\" attempt 1: stream ended without a content token",
		},
		{
			name: "a stopped call says why first",
			err: &errs.FailoverError{
				Attempts: []*errs.AttemptError{{Provider: "a", Attempt: 1, Err: context.Canceled}},
				Err:      context.Canceled,
			},
			want: "relay: context canceled; nothing was streamed after 1 attempt:\n  provider \"a\" attempt 1: context canceled",
		},
		{
			name: "a nested failover is indented under its attempt, and says relay once",
			err: &errs.FailoverError{Attempts: []*errs.AttemptError{{Provider: "inner", Attempt: 1, Err: &errs.FailoverError{
				Attempts: []*errs.AttemptError{{Provider: "x", Attempt: 1, Err: errDown}},
			}}}},
			want: "relay: 1 attempt failed, nothing was streamed:\n" +
				"  provider \"inner\" attempt 1: 1 attempt failed, nothing was streamed:\n" +
				"      provider \"x\" attempt 1: service unavailable",
		},
		{
			name: "a committed failure says how much was streamed",
			err:  &errs.CommittedError{Provider: "b", Emitted: 12, Err: errDown},
			want: `relay: provider "b" failed after 12 tokens: service unavailable`,
		},
		{
			name: "one committed token reads in the singular",
			err:  &errs.CommittedError{Provider: "b", Emitted: 1, Err: errDown},
			want: `relay: provider "b" failed after 1 token: service unavailable`,
		},
		{
			name: "a permanent error prints as its cause",
			err:  errs.Permanent(errDown),
			want: "service unavailable",
		},
		{
			name: "a panic prints its value",
			err:  &errs.PanicError{Value: 42},
			want: "panic: 42",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tc.want, tc.err.Error()); d != "" {
				t.Errorf("message (-want +got):\n%s", d)
			}
		})
	}
}

func TestUnwrapReachesEveryCause(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	fe := &errs.FailoverError{
		Attempts: []*errs.AttemptError{
			{Provider: "a", Attempt: 1, Err: errs.Permanent(errDown)},
			{Provider: "b", Attempt: 1, Err: &errs.PanicError{Value: boom}},
		},
		Err: context.DeadlineExceeded,
	}
	for _, target := range []error{errDown, boom, context.DeadlineExceeded} {
		if !errors.Is(fe, target) {
			t.Errorf("errors.Is(FailoverError, %v) = false", target)
		}
	}
	var ae *errs.AttemptError
	if !errors.As(fe, &ae) || ae.Provider != "a" {
		t.Errorf("errors.As found %v, want the first attempt", ae)
	}
	var pe *errs.PanicError
	if !errors.As(fe, &pe) || pe.Value != boom {
		t.Errorf("errors.As did not reach the panic")
	}
	if errs.IsPermanent(fe) {
		t.Errorf("IsPermanent(FailoverError) = true through an attempt, want its Err only")
	}
	mark := errs.RetryAfter(errs.Permanent(errDown), time.Second)
	for _, marked := range []error{
		&errs.CommittedError{Provider: "x", Emitted: 1, Err: mark},
		&errs.ResumeError{Emitted: 1, Resumes: 1, Failures: []*errs.CommittedError{{Provider: "x", Emitted: 1, Err: errDown}}, Err: mark},
	} {
		if _, hinted := errs.RetryAfterHint(marked); errs.IsPermanent(marked) || hinted || !errors.Is(marked, errDown) {
			t.Errorf("a %T's marks leak out (IsPermanent %v, hinted %v), or its cause is lost", marked, errs.IsPermanent(marked), hinted)
		}
	}
	ce := &errs.CommittedError{Provider: "a", Emitted: 1, Err: errs.ErrIdleTimeout}
	if !errors.Is(ce, errs.ErrIdleTimeout) {
		t.Errorf("CommittedError does not unwrap to its cause")
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	if errs.Permanent(nil) != nil {
		t.Errorf("Permanent(nil) is not nil")
	}
	if errs.IsPermanent(errDown) || errs.IsPermanent(nil) {
		t.Errorf("IsPermanent is true for an unmarked error")
	}
	if !errs.IsPermanent(fmt.Errorf("wrapped: %w", errs.Permanent(errDown))) {
		t.Errorf("IsPermanent does not see through wrapping")
	}
	if (&errs.PanicError{Value: "text"}).Unwrap() != nil {
		t.Errorf("a panic with a non-error value unwraps to something")
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	if errs.RetryAfter(nil, time.Second) != nil {
		t.Errorf("RetryAfter(nil) is not nil")
	}
	err := fmt.Errorf("call: %w", errs.RetryAfter(errDown, 3*time.Second))
	if d, ok := errs.RetryAfterHint(err); !ok || d != 3*time.Second {
		t.Errorf("hint = %v, %v; want 3s", d, ok)
	}
	if !errors.Is(err, errDown) || err.Error() != "call: service unavailable" {
		t.Errorf("the mark changed the error: %v", err)
	}
	if d, _ := errs.RetryAfterHint(errs.RetryAfter(errDown, -time.Second)); d != 0 {
		t.Errorf("a negative hint became %v, want 0", d)
	}
	if _, ok := errs.RetryAfterHint(errDown); ok {
		t.Errorf("an unmarked error has a hint")
	}
}
