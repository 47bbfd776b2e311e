package failover

import (
	"fmt"
	"time"
)

// hedgeWindow is the sliding window over which [HedgeBudget] counts.
const hedgeWindow = 10 * time.Second

// Hedge turns on hedging: if no attempt in flight has committed delay after
// the latest one started, the next try starts beside them (up to
// [MaxInFlight] at once), and when an attempt fails the next starts at
// once, without waiting for the others. The first attempt to commit wins:
// every other is cancelled at once with [errs.ErrHedgeLost] as its cause,
// and nothing of it (not even a token sent at the same instant as the
// winner's) reaches the caller. A lost hedge is not a failure of its
// provider: it appears in the [Report], never in an [*errs.FailoverError].
//
// The next try is the next one in the call's order, preferring providers
// with no attempt in flight. Retries, backoff and Retry-After hints,
// timeouts, [Classify], [Content], [RetryBudget] (which every extra attempt
// spends, hedges included) and [MaxCallTime] apply to each attempt as they
// do without hedging.
//
// With hedging (and MaxInFlight above 1), each Source call runs on a
// goroutine of its own, so a Source that blocks until its first response
// (an HTTP client waiting for headers) delays neither the next hedge nor
// the first-token timeout. A Source that ignores its context while it
// blocks is abandoned, like a provider goroutine that does.
//
// A hedge never starts a provider that is cooling down ([Cooldown])
// unless the call holds that provider's probe: a cooling provider is
// tried only when nothing else of the call is in flight and nothing else
// is left, so that one call at a time probes it whatever the traffic.
//
// Hedge(0) starts [MaxInFlight] attempts at once: a race. Hedge panics if
// delay < 0.
func Hedge(delay time.Duration) Option {
	if delay < 0 {
		panic(fmt.Sprintf("failover: Hedge(%v): the delay must not be negative", delay))
	}
	return optionFunc(func(c *config) { c.hedge = true; c.hedgeDelay = delay; c.adaptive = nil })
}

// MaxInFlight sets how many attempts of one call may be in flight at once
// before the commit: 2 by default with hedging. Without hedging a call
// has one attempt in flight and the option changes nothing. Up to four,
// the call's loop waits on its attempts with one select written out; more
// than four cost a few allocations per event before the commit (a
// reflect.Select), and nothing after it. MaxInFlight panics if n < 1.
func MaxInFlight(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("failover: MaxInFlight(%d): need at least 1", n))
	}
	return optionFunc(func(c *config) { c.maxInFlight = n })
}

// AdaptiveHedge turns hedging on, with a delay that follows the providers:
// the given quantile of the time to first content token of this group's
// recent attempts, kept within [min, max]. Until the group has seen
// enough attempts (64), the delay is max. With quantile 0.95, about one
// call in twenty hedges once the estimate has settled.
//
// The estimate is a histogram of recent attempts (the last few thousand,
// in two generations), updated with atomic adds and read from a cached
// value, so that concurrent calls never wait for each other on it. An
// attempt that lost a hedge counts with the time it ran, a lower bound of
// its own time to first token.
//
// AdaptiveHedge panics unless 0 < quantile < 1 and 0 <= min <= max, max > 0.
func AdaptiveHedge(quantile float64, min, max time.Duration) Option {
	if !(quantile > 0 && quantile < 1) || min < 0 || max <= 0 || min > max {
		panic(fmt.Sprintf("failover: AdaptiveHedge(%v, %v, %v): need 0 < quantile < 1 and 0 <= min <= max, max > 0", quantile, min, max))
	}
	return optionFunc(func(c *config) {
		c.hedge = true
		c.adaptive = &adaptiveConfig{quantile: quantile, min: min, max: max}
	})
}

// HedgeBudget bounds the extra load that hedging adds: across all calls of
// the group, the hedges started in the last ten seconds stay below ratio
// times the calls started in that time. A call over the budget waits for
// its attempts instead of hedging; an attempt that fails is still
// replaced at once. HedgeBudget panics if ratio is negative or NaN.
func HedgeBudget(ratio float64) Option {
	if !(ratio >= 0) {
		panic(fmt.Sprintf("failover: HedgeBudget(%v): need a ratio >= 0", ratio))
	}
	return optionFunc(func(c *config) { c.hedgeBudget = &budgetConfig{ratio: ratio, window: hedgeWindow, within: true} })
}

type adaptiveConfig struct {
	quantile float64
	min, max time.Duration
}

// hedgeDelay is how long a call waits for a commit before it hedges.
func (g *Group[Req, Tok]) hedgeDelay() time.Duration {
	if g.ttft != nil {
		return g.ttft.delay()
	}
	return g.cfg.hedgeDelay
}
