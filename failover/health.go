package failover

import (
	"context"
	"fmt"
	"time"
)

// Health keeps what a group learns of its providers across calls: runs of
// failed attempts, cooldowns and their probes, and moving averages of
// success and time to first token. A group without [Cooldown], [ByHealth]
// or [WithHealth] keeps none and pays nothing for it; with one of them the
// default is an in-process Health of the group's own ([NewHealth]), and
// [WithHealth] supplies another, such as one that a fleet of processes
// shares through a store they already run.
//
// A call uses its Health twice at most: Check once as it starts, before
// its first attempt, and Record once when its stream has ended; and, for
// each attempt that fails with a Retry-After hint, Defer as the attempt
// fails, so that the hint reaches the other calls at once rather than
// when this call's stream ends (which may be minutes later). An
// implementation over a remote store therefore costs a call one read and
// one write, and one more write per hinted failure; it may serve Check
// from a short-lived local copy and send Record and Defer off the
// caller's path. All run on the goroutine that drives the call (Check on
// the caller's, Record and Defer on the relay goroutine for
// [Group.Stream]) and relay waits for them, so they must be quick and
// safe for concurrent calls. A Health that cannot reach its store should
// answer from what it knows locally rather than fail or block: the
// caller's call must not fail for it. [healthtest.Check] tests the
// promises every Health keeps.
type Health interface {
	// Check fills into[i] with the health of the provider names[i] for a
	// call starting at now (len(into) == len(names)). For each provider
	// whose cooldown has ended and that no other call is probing, it
	// claims the probe for this call: into[i].Probe. The call releases
	// every probe it claimed in its Record.
	Check(ctx context.Context, policy Policy, names []string, now time.Time, into []Status)
	// Record takes the outcome of each of one call's attempts, in the
	// order they started, and of each probe the call claimed but did not
	// try. It calls changed, when not nil, for each cooldown that started
	// and each provider that recovered.
	Record(ctx context.Context, policy Policy, outcomes []Outcome, now time.Time, changed func(Change))
	// Defer keeps a provider's Retry-After hint for every call: until
	// until, Check reports the provider Deferred, so that calls move past
	// it. A later hint that ends earlier does not shorten it.
	Defer(ctx context.Context, provider string, until time.Time)
}

// Policy is a group's cooldown rule, which it passes to its [Health] with
// every Check and Record, so that groups with different rules can share a
// Health.
type Policy struct {
	// Failures is how many consecutive failed attempts start a cooldown;
	// 0 never starts one (only a long Retry-After hint does).
	Failures int
	// Cooldown is how long the first cooldown lasts. Each one that follows
	// a failed probe lasts twice as long as the one before, up to
	// MaxCooldownFactor times Cooldown; a recovery starts over.
	Cooldown time.Duration
}

// MaxCooldownFactor bounds the doubling of repeated cooldowns: a provider
// that keeps failing its probes cools down for at most this many times
// the [Policy] Cooldown.
const MaxCooldownFactor = 64

// Status is one provider's health as a call starts.
type Status struct {
	// Cooling: the provider is cooling down, or its cooldown has ended and
	// another call is probing it. The call tries it last.
	Cooling bool
	// Probe: this call holds the provider's one probe. The call tries it
	// in its usual place; a commit restores the provider, and a failure
	// before the commit cools it down again.
	Probe bool
	// Success is the moving average of its attempts' success, from 0 to
	// 1; 1 before any attempt.
	Success float64
	// FirstToken is the moving average of its time to first content
	// token; 0 before any commit.
	FirstToken time.Duration
	// Deferred is when the provider's Retry-After hint (see Defer) ends,
	// if it has not yet: the call tries the providers after it first,
	// and comes back to it then if it still needs it. Zero: none.
	Deferred time.Time
}

// Result is what one attempt says of its provider's health.
type Result uint8

const (
	// Neutral: the attempt says nothing of its provider. The caller
	// cancelled, the attempt lost a hedge, the call stopped for another
	// attempt's error, the error was marked Permanent (the request, not
	// the provider, was at fault), or a claimed probe was not tried.
	Neutral Result = iota
	// Succeeded: the attempt committed and its stream ended cleanly.
	Succeeded
	// Failed: the attempt failed, before its commit or after it.
	Failed
)

func (r Result) String() string {
	switch r {
	case Neutral:
		return "Neutral"
	case Succeeded:
		return "Succeeded"
	case Failed:
		return "Failed"
	}
	return fmt.Sprintf("Result(%d)", uint8(r))
}

// Outcome is one attempt's outcome for health, or a claimed probe that
// was not tried (Neutral, with Probe set).
type Outcome struct {
	Provider string // the provider's name, as in the group
	Result   Result // what the attempt says of the provider
	// FirstToken is a Succeeded attempt's time to first content token,
	// measured when the group orders by health ([ByHealth]) or has an
	// observer; 0 otherwise.
	FirstToken time.Duration
	// CoolFor is set when the provider asked, with a Retry-After hint
	// longer than the group's MaxRetryAfter, not to be tried for that
	// long: the provider cools down for at least CoolFor.
	CoolFor time.Duration
	// Probe: the attempt was this call's probe of the provider, whose
	// claim its outcome releases.
	Probe bool
	// Committed: a Failed attempt had committed before it failed. A probe
	// that committed has shown the provider answers again: it restores
	// the provider, and its later failure counts as the first of a new
	// run of failures rather than a failed probe.
	Committed bool
}

// Change is a provider's health changing, reported by Record.
type Change struct {
	Provider string // the provider's name, as in the group
	// Cooling is true when a cooldown started and false when the
	// provider recovered.
	Cooling bool
	// Until is when the cooldown that started ends; zero for a recovery.
	Until time.Time
}

// Cooldown turns on cooldown across calls: after failures consecutive
// failed attempts of a provider (errors, empty streams, timeouts, broken
// contracts, failures after the commit, and attempts that the group's own
// [CommitTimeout] or [MaxCallTime] ended before their commit; not the
// caller's cancellation, a lost hedge or an error marked [errs.Permanent]), the
// provider cools down for d: calls try it last, after every provider that
// is not cooling, so that they stop paying its timeouts first. When the
// cooldown ends, one call at a time tries it in its usual place, as a
// probe: if the probe commits the provider is restored, and if it fails
// before its commit the provider cools down again, for twice as long each
// time up to [MaxCooldownFactor] times d. A probe that commits and then
// fails mid-stream restores the provider and counts as its first failure
// since. A [errs.RetryAfter] hint longer than
// [MaxRetryAfter] cools the provider down for the hinted time. A call
// never finds nobody to try: when every provider is cooling, it tries
// them all, in order.
//
// The group's [Health] keeps the counts: in process by default, or the
// one [WithHealth] gives. Cooldown panics if failures < 1 or d <= 0.
func Cooldown(failures int, d time.Duration) Option {
	if failures < 1 || d <= 0 {
		panic(fmt.Sprintf("failover: Cooldown(%d, %v): need at least 1 failure and a positive duration", failures, d))
	}
	return optionFunc(func(c *config) { c.policy = Policy{Failures: failures, Cooldown: d} })
}

// WithHealth makes the group keep its health in h instead of an
// in-process Health of its own: to share it between groups, or across
// processes through a store. It turns health on, with the group's
// [Cooldown] rule if it has one. WithHealth panics if h is nil.
func WithHealth(h Health) Option {
	if h == nil {
		panic("failover: WithHealth needs a non-nil Health")
	}
	return optionFunc(func(c *config) { c.health = h })
}

// healthOn reports whether a group keeps health.
func (c *config) healthOn() bool {
	return c.health != nil || c.policy.Failures > 0 || c.order == orderHealth
}
