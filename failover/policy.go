package failover

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/relay-go/relay/errs"
)

// Class says what a failed attempt means for the rest of the call. A
// [Classify] function returns one for each attempt that fails before the
// commit point.
type Class int

const (
	// Retry tries the same provider again while it has tries left
	// ([Attempts]), after any backoff (before the next provider) or
	// Retry-After hint (the call moves on meanwhile); then the next
	// provider.
	Retry Class = iota
	// NextProvider gives up on this provider for the call and moves on to
	// the next one at once: an authentication failure, a model the
	// provider does not have.
	NextProvider
	// Stop ends the call: every provider would fail the same way (a
	// malformed request).
	Stop
)

func (c Class) String() string {
	switch c {
	case Retry:
		return "Retry"
	case NextProvider:
		return "NextProvider"
	case Stop:
		return "Stop"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// DefaultClass is the classification relay uses without [Classify]: an
// error marked [errs.Permanent] stops the call, and every other error
// (including [errs.ErrEmpty] and the timeouts) retries the provider while
// it has tries left, then moves on. A custom classifier can fall back on
// it. The caller's cancellation always stops the call, whatever the class.
func DefaultClass(err error) Class {
	if errs.IsPermanent(err) {
		return Stop
	}
	return Retry
}

// Classify sets how each failed attempt's error steers the call: retry the
// provider, move to the next, or stop. classify sees the attempt's cause,
// with its wrapping intact, so it can use errors.Is and errors.As on the
// provider's own error types; relay never looks at error text. It runs on
// the goroutine that drives the call, once per failed attempt before the
// commit point; a panic in it is not recovered. Classify panics if
// classify is nil.
func Classify(classify func(err error) Class) Option {
	if classify == nil {
		panic("failover: Classify needs a non-nil function")
	}
	return optionFunc(func(c *config) { c.classify = classify })
}

// Backoff waits between the tries of one provider: before try n+1 a random
// time in [0, min(max, base·2^(n-1))) (exponential backoff with full
// jitter), so that callers that failed together do not retry together.
// The provider keeps its place meanwhile: its tries come before the next
// provider's. A provider's [errs.RetryAfter] hint raises the wait to at
// least the hint, and, being a hint, lets the call move on meanwhile. A
// wait never ends at or after the deadline (the caller's context deadline
// or [MaxCallTime]): relay gives that provider up for the call and moves
// on instead. Backoff panics if base or max is not positive or max < base.
func Backoff(base, max time.Duration) Option {
	if base <= 0 || max < base {
		panic(fmt.Sprintf("failover: Backoff(%v, %v): need 0 < base <= max", base, max))
	}
	return optionFunc(func(c *config) { c.backoffBase, c.backoffMax = base, max })
}

// BackoffBetweenProviders also waits, with the same jittered backoff,
// before moving on to the next provider; the n in the formula is the number
// of attempts the call has made. A wait that would end at or after the
// deadline is skipped: the call moves on at once rather than end. Without it the next provider is tried at
// once, which is what most callers want: a different provider is not
// overloaded by the previous one's failure. It has no effect without
// [Backoff].
func BackoffBetweenProviders() Option {
	return optionFunc(func(c *config) { c.backoffProviders = true })
}

// MaxRetryAfter sets the longest [errs.RetryAfter] hint relay waits for;
// the default is one minute. A provider whose hint is longer is not tried
// again in this call: relay moves on to the next provider at once. A
// shorter hint defers the provider: the call tries the providers after it
// meanwhile, and comes back to it once the hint has passed, if it still
// needs it.
// MaxRetryAfter panics if d < 0.
func MaxRetryAfter(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("failover: MaxRetryAfter(%v): the duration must not be negative", d))
	}
	return optionFunc(func(c *config) { c.maxRetryAfter = d })
}

// MaxCallTime bounds a whole call, from the call to its last token,
// separately from the caller's context: past d every attempt is cancelled
// and the stream ends with an error wrapping [errs.ErrCallTimeout] (inside
// an [*errs.FailoverError] before the commit, an [*errs.CommittedError]
// after). Zero, the default, leaves the call to the caller's context.
// MaxCallTime panics if d < 0.
func MaxCallTime(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("failover: MaxCallTime(%v): the duration must not be negative", d))
	}
	return optionFunc(func(c *config) { c.maxCall = d })
}

// limitHit is the cause of a call context that one of the group's own
// limits ended (MaxCallTime, CommitTimeout): the limit's error, such as
// errs.ErrCallTimeout, and what ran past it. It stands in for the
// context's error, which would suggest that the caller's context ended.
type limitHit struct {
	err  error
	what string // "the call ran longer than"
	d    time.Duration
}

func (e *limitHit) Error() string { return fmt.Sprintf("%v: %s %v", e.err, e.what, e.d) }
func (e *limitHit) Unwrap() error { return e.err }

// ctxErr is why ctx ended: the call's own timeout, or the caller's context
// error with its cause when the caller gave one.
func ctxErr(ctx context.Context) error {
	err := ctx.Err()
	c := context.Cause(ctx)
	var limit *limitHit
	if errors.As(c, &limit) {
		return c
	}
	if c != nil && c != err {
		return fmt.Errorf("%w: %w", err, c)
	}
	return err
}

// jitter draws the full-jitter backoff before the try that follows n
// failed ones: a random time in [0, min(max, base·2^(n-1))).
func (g *Group[Req, Tok]) jitter(n int) time.Duration {
	g.rngMu.Lock()
	defer g.rngMu.Unlock()
	return time.Duration(g.rng.Int64N(int64(backoffCeiling(g.cfg.backoffBase, g.cfg.backoffMax, n))))
}

// backoffCeiling is min(max, base·2^(n-1)), doubling only while the
// product stays below max, so that it never overflows.
func backoffCeiling(base, max time.Duration, n int) time.Duration {
	ceil := base
	for i := 1; i < n && ceil < max; i++ {
		if ceil > max/2 {
			return max
		}
		ceil *= 2
	}
	return min(ceil, max)
}
