package failover

import (
	"fmt"
	"sync"
	"time"
)

// RetryBudget bounds the extra load that retries and failovers add under
// an outage, across all calls of one group. Every attempt after a call's
// first is extra; one is allowed only while the extra attempts of the last
// window stay below max(min, ratio × the calls started in that window).
// When the budget is spent, the call ends at once with an
// [*errs.FailoverError] whose Err is [errs.ErrBudget], instead of adding
// load to providers that are already failing.
//
// It follows the retry budgets of Envoy (a share of recent requests, with
// a floor so that a quiet group can still retry) and gRPC's retry
// throttling: the window is counted in ten slices, so the budget recovers
// smoothly as the outage ages out. A call costs one uncontended mutex
// lock for the budget, and each extra attempt one more.
//
// RetryBudget panics if ratio is negative or NaN, min < 0 or window <= 0.
func RetryBudget(ratio float64, min int, window time.Duration) Option {
	if !(ratio >= 0) || min < 0 || window <= 0 {
		panic(fmt.Sprintf("failover: RetryBudget(%v, %d, %v): need ratio >= 0, min >= 0 and a positive window", ratio, min, window))
	}
	return optionFunc(func(c *config) { c.budget = &budgetConfig{ratio: ratio, min: min, window: window} })
}

type budgetConfig struct {
	ratio  float64
	min    int
	window time.Duration
	// within: an extra attempt must keep the count within the limit
	// (HedgeBudget), rather than start while it is below (RetryBudget).
	within bool
}

const budgetSlices = 10

// budget counts calls and extra attempts in a sliding window of slices.
type budget struct {
	cfg    budgetConfig
	width  int64 // nanoseconds per slice
	mu     sync.Mutex
	slices [budgetSlices]struct {
		id           int64 // which slice of time this one counts
		calls, extra int
	}
}

func newBudget(cfg budgetConfig) *budget {
	return &budget{cfg: cfg, width: max(int64(cfg.window)/budgetSlices, 1)}
}

// current returns the slice for now, cleared if it held an older one, and
// the totals of the window.
func (b *budget) current() (i int, calls, extra int) {
	id := time.Now().UnixNano() / b.width
	i = int(id % budgetSlices)
	if b.slices[i].id != id {
		b.slices[i].id, b.slices[i].calls, b.slices[i].extra = id, 0, 0
	}
	for _, s := range b.slices {
		if id-s.id < budgetSlices {
			calls += s.calls
			extra += s.extra
		}
	}
	return i, calls, extra
}

func (b *budget) call() {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, _, _ := b.current()
	b.slices[i].calls++
}

// spend reports whether one more extra attempt fits, and counts it if so.
func (b *budget) spend() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, calls, extra := b.current()
	n := float64(extra)
	if b.cfg.within {
		n++
	}
	if limit := max(float64(b.cfg.min), b.cfg.ratio*float64(calls)); n > limit || (!b.cfg.within && n == limit) {
		return false
	}
	b.slices[i].extra++
	return true
}
