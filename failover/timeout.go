package failover

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relay-go/relay/errs"
)

// FirstTokenTimeout ends an attempt whose first content token (see
// [Content]) has not arrived d after its Source was called: a keep-alive, a
// role chunk or other metadata does not stop it. The attempt fails with
// [errs.ErrFirstTokenTimeout] and the call fails over. Zero, the default,
// waits as long as the caller's context allows. The time a Source call
// itself takes counts; a Source that blocks is told through its context.
// One that blocks and ignores its context breaks the contract's rule 4 and
// holds the call until it returns, except when several attempts may be in
// flight ([Hedge] with [MaxInFlight] above 1), where each Source call runs
// on a goroutine of its own and the call moves on at the timeout. The
// timer runs once per attempt and costs nothing per token.
// FirstTokenTimeout panics if d < 0.
func FirstTokenTimeout(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("failover: FirstTokenTimeout(%v): the duration must not be negative", d))
	}
	return optionFunc(func(c *config) { c.firstToken = d })
}

// IdleTimeout ends an attempt that has shown a sign of life (a token of any
// kind, its outcome, or the close of its token channel) and then keeps
// relay waiting for longer than d. Every token counts, content or not.
// The attempt fails with [errs.ErrIdleTimeout], whose message says how
// long the provider was silent: before the commit point the call fails
// over, after it the stream ends with an [*errs.CommittedError].
//
// Silence is checked by one timer per attempt that ticks every d/4, never
// by a timer reset per token, so a stall is noticed between d and 1.25d
// after relay began to wait. Time relay spends holding a token for a slow
// caller never counts: a caller that reads slowly never causes an idle
// timeout. Per token, IdleTimeout costs two uncontended atomic additions.
// Zero, the default, never times out. IdleTimeout panics if d < 0.
func IdleTimeout(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("failover: IdleTimeout(%v): the duration must not be negative", d))
	}
	return optionFunc(func(c *config) { c.idle = d })
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
	err   error
	what  string // "the call ran longer than"
	d     time.Duration
	owner *limitOwner // the call whose limit it is
}

func (e *limitHit) Error() string { return fmt.Sprintf("%v: %s %v", e.err, e.what, e.d) }
func (e *limitHit) Unwrap() error { return e.err }

// limitsKey is the context key of a call's own limits: the value is the
// *limitOwner its limitHits name. An attempt's context hides it, so that
// a group nested in the call takes the outer call's limits for what they
// are to it: its caller's cancellation.
type limitsKey struct{}

// limitOwner tells one call's limits from another's. It is never empty,
// so that no two owners share an address.
type limitOwner struct{ _ byte }

// own marks ctx as the context of a call whose limits name owner.
func own(ctx context.Context, owner *limitOwner) context.Context {
	return context.WithValue(ctx, limitsKey{}, owner)
}

// ownLimit returns the call's own limit that ended ctx, if one did.
func ownLimit(ctx context.Context) (*limitHit, bool) {
	var limit *limitHit
	if !errors.As(context.Cause(ctx), &limit) || limit.owner == nil {
		return nil, false
	}
	owner, _ := ctx.Value(limitsKey{}).(*limitOwner)
	return limit, owner == limit.owner
}

// limited reports whether ctx ended for one of the call's own limits
// rather than the caller's (an outer group's limit is the caller's).
func limited(ctx context.Context) bool {
	_, ok := ownLimit(ctx)
	return ok
}

// ctxErr is why ctx ended: the call's own limit, or the caller's context
// error with its cause when the caller gave one.
func ctxErr(ctx context.Context) error {
	if limit, ok := ownLimit(ctx); ok {
		return limit
	}
	err := ctx.Err()
	if c := context.Cause(ctx); c != nil && c != err {
		return fmt.Errorf("%w: %w", err, c)
	}
	return err
}

// idleTicks is how many ticks of the idle watch make up one idle timeout:
// a stall is noticed at most d/idleTicks late.
const idleTicks = 4

// watch enforces one attempt's first-token and idle timeouts with a single
// timer and no per-token timer work. The driver marks each wait for the
// provider with seq.Add(1) before it and after it, so seq is odd exactly
// while relay waits for the provider. The idle timer ticks every
// d/idleTicks; a tick that finds relay in a wait it had not seen notes the
// time, and a tick that finds relay still in that very wait d after the
// note ends the attempt: relay has then waited, with no token, for at
// least d and less than d plus one tick. A tick that finds relay busy
// (holding a token for a slow caller) remembers nothing, so time spent on
// the caller never counts.
//
// The timer's callback judges by the clock, not by which arming it
// belongs to: a stale firing finds nothing due and only re-arms.
type watch struct {
	seq atomic.Uint64

	mu      sync.Mutex
	t       *time.Timer
	cancel  context.CancelCauseFunc
	first   time.Duration
	idle    time.Duration
	firstAt time.Time // when the first-token timeout ends the attempt; zero once content arrived
	tickAt  time.Time // the next idle tick; zero until the attempt shows a sign of life
	seen    uint64    // seq of the wait a tick found relay in; 0: none
	since   time.Time // when that wait was first seen: it began no later
	paused  time.Time // the clocks stand still since then; zero: running
	done    bool      // fired or stopped
}

func newWatch(cancel context.CancelCauseFunc, first, idle time.Duration) *watch {
	w := &watch{cancel: cancel, first: first, idle: idle}
	if first > 0 {
		w.firstAt = time.Now().Add(first)
		w.t = time.AfterFunc(first, w.fire)
	}
	return w
}

// tick is the interval of the idle ticks.
func (w *watch) tick() time.Duration { return max(w.idle/idleTicks, 1) }

// arm starts the idle ticks at the attempt's first sign of life. When next
// is true relay's very next step is a wait for the provider (the driver
// holds no token for the caller), so that wait begins now: a stall right
// after the first sign of life is then noticed after exactly d.
func (w *watch) arm(next bool) {
	if w.idle <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || !w.tickAt.IsZero() {
		return
	}
	now := time.Now()
	w.tickAt = now.Add(w.tick())
	if next {
		w.seen, w.since = w.seq.Load()|1, now
	}
	w.schedule()
}

// content records the first content token. It reports false if a timeout
// has already ended the attempt.
func (w *watch) content() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return false
	}
	if !w.firstAt.IsZero() {
		w.firstAt = time.Time{}
		w.schedule()
	}
	return true
}

// running reports whether no timeout has ended the attempt. A timeout
// that fires after it said so is a timeout of what came after.
func (w *watch) running() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.done
}

// schedule arms the timer for whichever comes first: the first-token
// deadline or the next idle tick. The caller holds mu.
func (w *watch) schedule() {
	next := w.firstAt
	if next.IsZero() || (!w.tickAt.IsZero() && w.tickAt.Before(next)) {
		next = w.tickAt
	}
	switch {
	case next.IsZero():
		if w.t != nil {
			w.t.Stop()
		}
	case w.t == nil:
		w.t = time.AfterFunc(time.Until(next), w.fire)
	default:
		w.t.Reset(time.Until(next))
	}
}

func (w *watch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || !w.paused.IsZero() {
		return // stopped, or the clocks stand still: resume re-arms the timer
	}
	now := time.Now()
	if !w.firstAt.IsZero() && !now.Before(w.firstAt) {
		w.done = true
		w.cancel(fmt.Errorf("%w: no content token within %v", errs.ErrFirstTokenTimeout, w.first))
		return
	}
	if !w.tickAt.IsZero() && !now.Before(w.tickAt) {
		switch s := w.seq.Load(); {
		case s&1 == 0:
			w.seen = 0 // relay is busy with the caller: nothing counts
		case s != w.seen:
			w.seen, w.since = s, now
		case now.Sub(w.since) >= w.idle:
			// The silence measured, to the tick: at least d, and more
			// only when the timer itself ran late.
			silent := max(now.Sub(w.since).Truncate(w.tick()), w.idle)
			w.done = true
			w.cancel(fmt.Errorf("%w: no token for %v", errs.ErrIdleTimeout, silent))
			return
		}
		w.tickAt = now.Add(w.tick())
	}
	w.schedule()
}

// pause stops the clocks while relay handles something else (another
// attempt's event, a callback of the caller's) with this attempt's wait
// still open: nothing fires meanwhile, and resume moves the first-token
// deadline, the next tick and the start of the wait later by the time
// paused, which must not count against the provider.
func (w *watch) pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = time.Now()
}

func (w *watch) resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := time.Since(w.paused)
	if !w.tickAt.IsZero() {
		w.tickAt = w.tickAt.Add(d)
	}
	if !w.since.IsZero() {
		w.since = w.since.Add(d)
	}
	if !w.firstAt.IsZero() {
		w.firstAt = w.firstAt.Add(d)
	}
	w.paused = time.Time{}
	if !w.done {
		w.schedule()
	}
}

// stop disarms the timer for good. A firing already under way finds done
// and does nothing.
func (w *watch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.t != nil {
		w.t.Stop()
	}
}
