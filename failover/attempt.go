package failover

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/relay-go/relay/errs"
)

// attempt is one try of one provider: its own context, its channels, and
// what relay has learned of its outcome.
//
// An attempt is also the context its provider's Source is called with: its
// own context, which also answers AttemptOf, at no allocation of its own.
type attempt[Tok any] struct {
	info   AttemptInfo
	ctx    context.Context
	cancel context.CancelCauseFunc
	out    <-chan Tok   // nil once closed
	errc   <-chan error // nil once the outcome is known
	w      *watch       // nil without timeouts

	outcome error // the provider's error; nil for success
	stop    error // why relay stopped the attempt, if it did
	held    []Tok // tokens that are not content, before the commit

	began time.Time     // when it started; set only for health and events
	ttft  time.Duration // its time to first content token, from began

	idx      int32 // the provider's entry in the call's order
	contents int32 // content tokens it sent
	rep      int32 // index in the report
	seq      int32 // the call's attempts started before this one
	ready    bool  // its Source call returned: out and errc are set
	known    bool  // the outcome arrived on errc
	// final: take only what the attempt has already sent, without waiting:
	// its outcome is an error, or relay stopped it (stop says why).
	final bool
	// lingered: the provider had reported success and kept its token
	// channel open until relay stopped it.
	lingered bool
	alive    bool // a sign of life arrived: the idle watch is armed
	seen     bool // its first token arrived
	waited   bool // hedging: the loop is waiting for it (its idle watch counts)

	panicked *errs.PanicError // a panic in the Source call
	slot     *load            // the provider's count this attempt is in (LeastBusy, MaxConcurrent)
	vals     *callValues      // with a report: what a nested group's call reads of its context
}

// What recv found.
const (
	evToken  = iota // a token
	evMore          // the outcome, or the close of the token channel: ask again
	evEnd           // nothing more will come: endCause says why
	evCancel        // the caller's context ended
)

// recv waits for the attempt's next event. Every wait for the provider is
// bracketed for the idle watch, whatever ends it. After an error outcome,
// or once relay has stopped the attempt, it only takes what is already
// there. After a successful outcome it reads the token channel until it
// closes, so a provider that reports success early loses nothing.
func (a *attempt[Tok]) recv(ctx context.Context) (tok Tok, ev int) {
	if tok, ev, wait := a.poll(ctx); !wait {
		return tok, ev
	}
	a.waiting()
	select {
	case tok, ok := <-a.out:
		a.busy()
		if ok {
			return tok, evToken
		}
		return tok, a.gotClose(ctx)
	case err, ok := <-a.errc:
		a.busy()
		return tok, a.gotOutcome(ctx, err, ok)
	case <-a.ctx.Done():
		a.busy()
		return tok, a.gotDone(ctx)
	}
}

// poll takes the attempt's next event when no wait is needed: in final
// mode, what is already there (or evEnd); the end of a stream whose token
// channel closed after its outcome; an outcome already waiting after the
// close. wait reports that the next event must be waited for, on out,
// errc and the attempt's context.
func (a *attempt[Tok]) poll(ctx context.Context) (tok Tok, ev int, wait bool) {
	if a.final {
		select {
		case tok, ok := <-a.out:
			if ok {
				return tok, evToken, false
			}
			a.out = nil
			return tok, evMore, false
		case err, ok := <-a.errc:
			a.setOutcome(err, ok)
			return tok, evMore, false
		default:
			return tok, evEnd, false
		}
	}
	if a.out == nil {
		if a.known {
			return tok, evEnd, false
		}
		// The token channel is closed, so the outcome should be there.
		select {
		case err, ok := <-a.errc:
			return tok, a.gotOutcome(ctx, err, ok), false
		default:
		}
	}
	return tok, 0, true
}

// gotClose records the close of the token channel.
func (a *attempt[Tok]) gotClose(ctx context.Context) int {
	if a.halted(ctx) {
		return evCancel
	}
	a.out = nil
	if !a.alive {
		// Relay reads on at once: the watch may count from here.
		a.arm(true)
	}
	return evMore
}

// gotDone handles the end of the attempt's context.
func (a *attempt[Tok]) gotDone(ctx context.Context) int {
	if a.halted(ctx) {
		return evCancel
	}
	// relay stopped it (a timeout): what it already sent still counts, so
	// look once more without waiting.
	return evMore
}

// gotOutcome records the outcome that arrived on errc.
func (a *attempt[Tok]) gotOutcome(ctx context.Context, err error, ok bool) int {
	if a.halted(ctx) {
		a.setOutcome(err, ok) // what it said is part of the cause (cut)
		return evCancel
	}
	a.setOutcome(err, ok)
	if !a.alive {
		a.arm(true)
	}
	return evMore
}

// halted reports whether the caller's context has ended, and notes, when
// relay has stopped the attempt, why: an outcome or a close that follows
// relay's cancellation may be only the provider's reaction to it.
func (a *attempt[Tok]) halted(ctx context.Context) bool {
	if a.ctx.Err() == nil {
		return false
	}
	if ctx.Err() != nil {
		return true
	}
	if a.stop == nil {
		a.stop = context.Cause(a.ctx)
		a.lingered = a.known && a.outcome == nil && a.out != nil
		a.final = true
	}
	return false
}

// stopCause is why an attempt whose context has ended was stopped: the
// caller's context (or the group's limit) when that ended, else relay's
// own reason, such as a timeout. It reads the caller's context after the
// attempt's, so a context that ends between the two reads is seen ended.
func (a *attempt[Tok]) stopCause(ctx context.Context) error {
	if a.halted(ctx) {
		return ctxErr(ctx)
	}
	if a.stop != nil {
		return a.stop
	}
	return context.Cause(a.ctx)
}

// The causes of a Source call that broke the contract at once.
var (
	errNilChannels = fmt.Errorf("%w: it returned nil token and error channels", errs.ErrContract)
	errNilTokens   = fmt.Errorf("%w: it returned a nil token channel", errs.ErrContract)
	errNilErrors   = fmt.Errorf("%w: it returned a nil error channel", errs.ErrContract)
)

// endCause is why an attempt that has nothing more to give ended: its own
// outcome (nil for a clean end) when it ended by itself; relay's reason
// when relay stopped it, with the provider's own error beside it (unless
// that is only its reaction to the cancellation), and with ErrContract
// when it had reported success and kept its token channel open.
func (a *attempt[Tok]) endCause() error {
	switch {
	case a.stop == nil:
		return a.outcome
	case a.lingered:
		return fmt.Errorf("%w: it reported success but kept its token channel open: %w", errs.ErrContract, a.stop)
	case a.outcome != nil && !errors.Is(a.outcome, context.Canceled):
		return &stopError{stop: a.stop, said: a.outcome}
	}
	return a.stop
}

// cut is why a committed attempt ended when the caller's context (or
// MaxCallTime) did: the context's error, with the provider's own error
// beside it when one was already waiting on the error channel, so that
// a failure that raced the caller's deadline is not lost. An error that
// is only the provider's reaction to the cancellation adds nothing.
func (a *attempt[Tok]) cut(ctx context.Context) error {
	stop := ctxErr(ctx)
	said := a.outcome
	if !a.known && a.errc != nil {
		select {
		case err, ok := <-a.errc:
			a.setOutcome(err, ok)
			said = a.outcome
		default:
		}
	}
	if said == nil || errors.Is(said, context.Canceled) || errors.Is(said, context.DeadlineExceeded) {
		return stop
	}
	return &stopError{stop: stop, said: said}
}

// stopError is the cause of an attempt that relay stopped while the
// provider's own error was arriving: both count.
type stopError struct{ stop, said error }

func (e *stopError) Error() string {
	return fmt.Sprintf("%v (the provider's own error: %s)", e.stop, strings.TrimPrefix(e.said.Error(), "relay: "))
}

func (e *stopError) Unwrap() []error { return []error{e.stop, e.said} }

func (a *attempt[Tok]) setOutcome(err error, ok bool) {
	a.known = true
	a.errc = nil
	if ok && err != nil {
		a.outcome = err
		a.final = true
	}
}

// waiting and busy bracket each wait for the provider, for the idle watch.
func (a *attempt[Tok]) waiting() {
	if a.w != nil {
		a.w.seq.Add(1)
	}
}

func (a *attempt[Tok]) busy() {
	if a.w != nil {
		a.w.seq.Add(1)
	}
}

// arm starts the idle watch at the attempt's first sign of life. next
// says that relay goes on to wait for the provider at once, without
// serving the caller first, so that the watch may count from now.
func (a *attempt[Tok]) arm(next bool) {
	a.alive = true
	if a.w != nil {
		a.w.arm(next)
	}
}

// Deadline, Done, Err and Value make the attempt the context of its
// provider's Source call.
func (a *attempt[Tok]) Deadline() (time.Time, bool) { return a.ctx.Deadline() }
func (a *attempt[Tok]) Done() <-chan struct{}       { return a.ctx.Done() }
func (a *attempt[Tok]) Err() error                  { return a.ctx.Err() }

func (a *attempt[Tok]) Value(key any) any {
	switch key {
	case attemptKey{}:
		return &a.info
	case callKey{}:
		if a.vals != nil {
			return a.vals // a reported call: a nested group reports here
		}
	case limitsKey{}:
		return nil // the call's limits are a nested group's caller's
	}
	return a.ctx.Value(key)
}

// catch, deferred around a Source call, keeps a panic in it as the
// attempt's failure, with its value and the stack where it happened, as
// conc's panics.Catcher does; it is written out here to keep the Source
// call near the top of the stack (see bench/doc.go).
func (a *attempt[Tok]) catch() {
	if v := recover(); v != nil {
		a.panicked = &errs.PanicError{Value: v, Stack: debug.Stack()}
	}
}
