package errs_test

import (
	"errors"
	"testing"
	"time"

	"github.com/relay-go/relay/errs"
)

// A failed group is one failed attempt of an outer group: the marks on its
// own attempts steered it and stay inside it. Only its Err speaks for it.
func TestMarksDoNotLeakOutOfAFailoverError(t *testing.T) {
	t.Parallel()
	inner := &errs.FailoverError{Attempts: []*errs.AttemptError{
		{Provider: "a", Attempt: 1, Err: errs.Permanent(errDown)},
		{Provider: "b", Attempt: 1, Err: errs.RetryAfter(errDown, time.Second)},
	}}
	if errs.IsPermanent(inner) {
		t.Errorf("IsPermanent sees a mark on an inner attempt")
	}
	if _, ok := errs.RetryAfterHint(inner); ok {
		t.Errorf("RetryAfterHint sees a mark on an inner attempt")
	}
	if !errors.Is(inner, errDown) {
		t.Errorf("errors.Is no longer reaches the inner causes")
	}
	stopped := &errs.FailoverError{Attempts: inner.Attempts, Err: errs.Permanent(errDown)}
	if !errs.IsPermanent(stopped) {
		t.Errorf("IsPermanent does not see the mark on Err, why the call stopped")
	}
	wrapped := &errs.AttemptError{Provider: "tier1", Attempt: 1, Err: inner}
	if errs.IsPermanent(wrapped) {
		t.Errorf("IsPermanent sees through an attempt into a nested group's attempts")
	}
}

// A committed stream whose caller took no token says so.
func TestCommittedErrorWithNothingDelivered(t *testing.T) {
	t.Parallel()
	got := (&errs.CommittedError{Provider: "a", Emitted: 0, Err: errDown}).Error()
	want := `relay: provider "a" failed after it committed, before the caller took a token: service unavailable`
	if got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}
