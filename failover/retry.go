package failover

import (
	"context"
	"fmt"
	"time"

	"github.com/relay-go/relay/errs"
)

// Attempts sets how many times each provider is tried within one call before
// the next provider is tried. The default is 1. A provider's tries come one
// after another; each failure before the commit point is one attempt.
// Attempts panics if n < 1.
func Attempts(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("failover: Attempts(%d): each provider needs at least 1 attempt", n))
	}
	return optionFunc(func(c *config) { c.attempts = n })
}

// Backoff waits between the tries of one provider: before try n+1 a random
// time in [0, min(max, base·2^(n-1))) (exponential backoff with full
// jitter), so that callers that failed together do not retry together.
// The provider keeps its place meanwhile: its tries come before the next
// provider's. A provider's [errs.RetryAfter] hint raises the wait to at
// least the hint, and, being a hint, lets the call move on meanwhile. A
// wait never ends at or after the deadline (the caller's context deadline
// or [MaxCallTime]): relay gives that provider up for the call and moves
// on instead. A wait is a timer of the call's loop, never a sleep: the
// call's context ends it at once. Backoff panics if base or max is not
// positive or max < base.
func Backoff(base, max time.Duration) Option {
	if base <= 0 || max < base {
		panic(fmt.Sprintf("failover: Backoff(%v, %v): need 0 < base <= max", base, max))
	}
	return optionFunc(func(c *config) { c.backoffBase, c.backoffMax = base, max })
}

// BackoffBetweenProviders also waits, with the same jittered backoff,
// before moving on to the next provider; the n in the formula is the number
// of attempts the call has made. A wait that would end at or after the
// deadline is skipped: the call moves on at once rather than end. Without
// it the next provider is tried at once, which is what most callers want:
// a different provider is not overloaded by the previous one's failure.
// It has no effect without [Backoff].
func BackoffBetweenProviders() Option {
	return optionFunc(func(c *config) { c.backoffProviders = true })
}

// MaxRetryAfter sets the longest [errs.RetryAfter] hint relay waits for;
// the default is one minute. A provider whose hint is longer is not tried
// again in this call: relay moves on to the next provider at once. A
// shorter hint defers the provider: the call tries the providers after it
// meanwhile, and comes back to it once the hint has passed, if it still
// needs it. MaxRetryAfter panics if d < 0.
func MaxRetryAfter(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("failover: MaxRetryAfter(%v): the duration must not be negative", d))
	}
	return optionFunc(func(c *config) { c.maxRetryAfter = d })
}

// plan is what a call knows of its providers' tries: which may start, and
// when. A call served by its first attempt without hedging never makes one.
type plan struct {
	tries []tries   // per entry of the call's order
	cool  int       // entries from cool on are cooling down (see Cooldown)
	gate  time.Time // BackoffBetweenProviders: no other provider before it
	late  bool      // a provider was given up: its wait would end past the deadline
	tbuf  [8]tries  // tries for up to eight providers, in the same allocation
}

// tries is what the call knows of one provider's tries.
type tries struct {
	after time.Time // the next try may not start before this
	n     int32     // tries started
	max   int32     // tries allowed: the provider's Attempts, or the group's
	// deferred: after is the provider's own Retry-After hint, so the call
	// moves on to the providers after it meanwhile. Otherwise after is a
	// backoff, and the provider keeps its place: its tries come first.
	deferred bool
	out      bool  // no further try in this call
	running  int32 // attempts in flight
	full     bool  // at its MaxConcurrent when the call last looked
	passed   bool  // the call said so (an AtLimit event)
	cold     bool  // began to cool down during the call: no hedge starts it
}

// newPlan makes the plan of a call over order, the last ncool of which
// cool down, with each provider's own number of tries.
func (g *Group[Req, Tok]) newPlan(order []int32, ncool int32) *plan {
	p := new(plan)
	if len(order) <= len(p.tbuf) {
		p.tries = p.tbuf[:len(order)]
	} else {
		p.tries = make([]tries, len(order))
	}
	for k, i := range order {
		p.tries[k].max = g.members[i].attempts
	}
	p.cool = len(order) - int(ncool)
	return p
}

// decide records, after the attempt at entry i of the order failed before
// the commit, what the call does next: stop, or when each provider may be
// tried again. It never waits: the engine's timer does.
//
// A backoff keeps the provider's place (its tries come before the next
// provider's); a Retry-After hint defers it instead, so the call moves on
// and comes back to it only if it still needs it, once the hint has
// passed. No wait may end at or after the call's deadline: a provider that
// would have to wait that long is given up for the call.
func (r *run[Req, Tok]) decide(ctx context.Context, i int, cause error) {
	g := r.g
	if r.plan == nil {
		r.plan = g.newPlan(r.order, r.ncool)
		r.plan.tries[r.last].n = 1
	}
	pl := r.plan
	t := &pl.tries[i]
	class := DefaultClass(cause)
	if g.cfg.classify != nil {
		class = g.cfg.classify(cause)
	}
	switch class {
	case Stop:
		r.giveUp(cause)
		return
	case NextProvider:
		t.out = true
	}
	var now time.Time
	deadline, bounded := ctx.Deadline()
	fits := func(d time.Duration) bool {
		if now.IsZero() {
			now = time.Now()
		}
		return !bounded || now.Add(d).Before(deadline)
	}
	moving := t.out || t.n >= t.max
	if !moving {
		hint, hinted := errs.RetryAfterHint(cause)
		var wait time.Duration
		switch {
		case hinted && hint > g.cfg.maxRetryAfter:
			t.out, moving = true, true // not worth waiting for in this call
		case hinted:
			wait = hint
		}
		if !moving && g.cfg.backoffBase > 0 {
			wait = max(wait, g.jitter(int(t.n)))
		}
		switch {
		case moving || wait <= 0:
		case fits(wait):
			t.after, t.deferred, moving = now.Add(wait), hinted, hinted
		default:
			t.out, moving, pl.late = true, true, true
		}
	}
	if moving && g.cfg.backoffProviders && g.cfg.backoffBase > 0 {
		// A wait that would cross the deadline is skipped: move on now.
		pl.gate = time.Time{}
		if wait := g.jitter(len(r.fails)); fits(wait) {
			pl.gate = now.Add(wait)
		}
	}
}

// next returns the entry of the order to try next, if one may start at
// now, and otherwise when to look again (ok is false when no try is
// left). Providers are looked at in order: the first one ready starts; a
// provider waiting out a backoff holds its place, so the ones after it
// wait too; a deferred one lets the ones after it go first.
//
// busy says that attempts of the call are in flight: a provider with none
// in flight is then preferred, and a cooling provider never starts (a
// hedge must not spend a probe the call does not hold); it waits until
// nothing else is in flight.
func (pl *plan) next(now time.Time, last int, busy bool) (i int, wake time.Time, ok bool) {
	if busy {
		if i, wake, ok := pl.scan(now, last, true, true); i >= 0 {
			return i, wake, ok
		}
	}
	return pl.scan(now, last, false, busy)
}

// scan looks for the entry to try next; idle passes over providers with
// an attempt in flight, and busy over cooling ones.
func (pl *plan) scan(now time.Time, last int, idle, busy bool) (i int, wake time.Time, ok bool) {
	for i := range pl.tries {
		t := &pl.tries[i]
		if t.out || t.n >= t.max || t.full || (idle && t.running > 0) || (busy && (i >= pl.cool || t.cold)) {
			continue
		}
		at := t.after
		if i != last && at.Before(pl.gate) {
			at = pl.gate
		}
		if !at.After(now) {
			return i, now, true
		}
		if wake.IsZero() || at.Before(wake) {
			wake = at
		}
		if !t.deferred {
			break
		}
	}
	return -1, wake, !wake.IsZero()
}

// hold defers entry k until until, as a Retry-After hint that the call
// found kept by the group's Health: the call moves on to the providers
// after it meanwhile. A hint that ends at or after the call's deadline
// (zero: none) gives the provider up for the call.
func (pl *plan) hold(k int, until, deadline time.Time) {
	t := &pl.tries[k]
	if !deadline.IsZero() && !until.Before(deadline) {
		t.out, pl.late = true, true
		return
	}
	t.after, t.deferred = until, true
}

// deadline is when the call must end: its context's deadline or its
// MaxCallTime, whichever comes first; zero for none. ctx may be the
// caller's, before MaxCallTime bounds it.
func (r *run[Req, Tok]) deadline(ctx context.Context) time.Time {
	deadline, _ := ctx.Deadline()
	if d := r.g.cfg.maxCall; d > 0 {
		if limit := time.Now().Add(d); deadline.IsZero() || limit.Before(deadline) {
			deadline = limit
		}
	}
	return deadline
}

// left reports whether some provider has a try left in the call.
func (pl *plan) left() bool {
	for _, t := range pl.tries {
		if !t.out && t.n < t.max {
			return true
		}
	}
	return false
}

// firstFull returns the first entry at its MaxConcurrent that has tries
// left, or -1.
func (pl *plan) firstFull() int {
	for i := range pl.tries {
		if t := &pl.tries[i]; t.full && !t.out && t.n < t.max {
			return i
		}
	}
	return -1
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

// hint notes an attempt's Retry-After hint: for the call's own hint, should
// every attempt give one, and, when the group keeps health and will wait
// for such a hint, for every call of the group at once.
//
//go:noinline
func (r *run[Req, Tok]) hint(ctx context.Context, a *attempt[Tok], hint time.Duration, cause error, counted bool) {
	at := time.Now().Add(hint)
	if counted { // one of the phase's failed attempts
		if m := r.extra(); m.hinted == 0 || at.Before(m.retryAt) {
			m.retryAt = at
		}
		r.more.hinted++
	}
	if r.g.health == nil || hint > r.g.cfg.maxRetryAfter || hint <= 0 {
		return // a longer hint cools the provider down when the call ends
	}
	r.g.health.Defer(ctx, a.info.Provider, at)
	if r.g.cfg.observe {
		r.emit(a, Event{Kind: Deferred, Provider: a.info.Provider, Attempt: a.info.Number, Err: cause, Until: at})
	}
}
