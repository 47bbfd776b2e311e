package failover

import (
	"context"
	"maps"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ewmaWeight is the weight of the newest attempt in the moving averages:
// a provider that starts failing loses a fifth of its standing per failed
// attempt.
const ewmaWeight = 0.2

// NewHealth returns an in-process [Health]: what a group keeps by default
// with [Cooldown] or [ByHealth], and what several groups of one process
// can share through [WithHealth]. Providers are known by name.
//
// A call reads it without a lock: Check is a few atomic loads per
// provider, and a Record of a success of a provider in good health is a
// few atomic updates. Failures, cooldowns and recoveries take a mutex of
// their provider's own. A probe whose call never records (one whose
// stream outlives its cooldown, say) is given to another call once a
// cooldown's length has passed.
func NewHealth() Health { return &localHealth{} }

type localHealth struct {
	// states maps provider names to their health. Lookups read the map
	// without a lock; a new name copies it under mu, which happens once
	// per provider.
	states atomic.Pointer[map[string]*providerHealth]
	mu     sync.Mutex
}

type providerHealth struct {
	until   atomic.Int64  // when its cooldown ends, in Unix nanoseconds; 0: not cooling
	hint    atomic.Int64  // when its Retry-After hint ends, in Unix nanoseconds; 0: none
	probe   atomic.Int64  // when a call claimed its probe; 0: none
	success atomic.Uint64 // moving average of success, as float64 bits
	ttft    atomic.Int64  // moving average of time to first token, ns

	fails atomic.Int32 // consecutive failed attempts; written under mu

	mu    sync.Mutex // the transitions
	level int        // cooldowns since the last recovery
}

func (h *localHealth) state(name string) *providerHealth {
	if m := h.states.Load(); m != nil {
		if s, ok := (*m)[name]; ok {
			return s
		}
	}
	return h.add(name)
}

func (h *localHealth) add(name string) *providerHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.states.Load()
	if old != nil {
		if s, ok := (*old)[name]; ok {
			return s
		}
	}
	m := map[string]*providerHealth{}
	if old != nil {
		m = maps.Clone(*old)
	}
	s := &providerHealth{}
	s.success.Store(math.Float64bits(1))
	m[name] = s
	h.states.Store(&m)
	return s
}

func (h *localHealth) Check(_ context.Context, policy Policy, names []string, now time.Time, into []Status) {
	t := now.UnixNano()
	for i, name := range names {
		s := h.state(name)
		st := Status{Success: math.Float64frombits(s.success.Load()), FirstToken: time.Duration(s.ttft.Load())}
		if until := s.until.Load(); until != 0 {
			st.Cooling = true
			if t >= until {
				// The cooldown has ended: the first call to come probes it,
				// or the next one once a stale claim has aged out.
				p := s.probe.Load()
				if (p == 0 || t-p >= s.probeAge(policy)) && s.probe.CompareAndSwap(p, max(t, 1)) {
					st.Cooling, st.Probe = false, true
				}
			}
		}
		switch h := s.hint.Load(); {
		case h > t:
			st.Deferred = time.Unix(0, h)
		case h != 0:
			s.hint.CompareAndSwap(h, 0) // passed: calls need not look again
		}
		into[i] = st
	}
}

func (h *localHealth) Defer(_ context.Context, provider string, until time.Time) {
	h.state(provider).defer_(until.UnixNano())
}

// defer_ keeps the later of the hint in force and one that ends at t.
func (s *providerHealth) defer_(t int64) {
	for {
		old := s.hint.Load()
		if old >= t || s.hint.CompareAndSwap(old, t) {
			return
		}
	}
}

// probeAge is how long a probe claim holds before another call may probe.
func (s *providerHealth) probeAge(policy Policy) int64 {
	return int64(max(policy.Cooldown, time.Second))
}

func (h *localHealth) Record(_ context.Context, policy Policy, outcomes []Outcome, now time.Time, changed func(Change)) {
	for i := range outcomes {
		h.state(outcomes[i].Provider).apply(policy, &outcomes[i], now, changed)
	}
}

// apply folds one outcome into the provider's health. now may be zero: it
// is read only when a failure needs it.
func (s *providerHealth) apply(policy Policy, o *Outcome, now time.Time, changed func(Change)) {
	switch o.Result {
	case Succeeded:
		s.average(1, o.FirstToken)
		if s.until.Load() != 0 || o.Probe || s.fails.Load() != 0 {
			s.recover(changed, o.Provider)
		}
	case Failed:
		if now.IsZero() {
			now = time.Now()
		}
		s.average(0, 0)
		if o.Probe && o.Committed {
			// The probe committed: the provider answers again. Its
			// failure after the commit is the first of a new run.
			s.recover(changed, o.Provider)
			again := *o
			again.Probe = false
			o = &again
		}
		s.fail(policy, o, now.UnixNano(), changed)
	default:
		if o.Probe {
			s.probe.Store(0)
		}
	}
}

// average folds one attempt into the moving averages.
func (s *providerHealth) average(success float64, ttft time.Duration) {
	for {
		old := s.success.Load()
		v := math.Float64frombits(old)
		if s.success.CompareAndSwap(old, math.Float64bits(v+ewmaWeight*(success-v))) {
			break
		}
	}
	if ttft <= 0 {
		return
	}
	for {
		old := s.ttft.Load()
		v := ttft
		if old != 0 {
			v = time.Duration(old) + time.Duration(ewmaWeight*float64(ttft-time.Duration(old)))
		}
		if s.ttft.CompareAndSwap(old, int64(v)) {
			return
		}
	}
}

func (s *providerHealth) recover(changed func(Change), name string) {
	s.mu.Lock()
	cooling := s.until.Load() != 0
	s.fails.Store(0)
	s.level = 0
	s.until.Store(0)
	s.probe.Store(0)
	s.mu.Unlock()
	if cooling && changed != nil {
		changed(Change{Provider: name})
	}
}

func (s *providerHealth) fail(policy Policy, o *Outcome, t int64, changed func(Change)) {
	s.mu.Lock()
	var until int64
	switch {
	case o.Probe || (s.until.Load() != 0 && t >= s.until.Load()):
		// A probe failed, or the provider failed once its cooldown had
		// ended: cool it down again, for longer.
		until = s.coolFor(policy, t)
	case s.until.Load() == 0:
		if n := s.fails.Add(1); policy.Failures > 0 && int(n) >= policy.Failures {
			until = s.coolFor(policy, t)
		}
	}
	if o.CoolFor > 0 {
		until = max(until, addSat(t, int64(o.CoolFor)), s.until.Load())
	}
	started := until > s.until.Load()
	if started {
		s.until.Store(until)
		s.probe.Store(0)
		s.fails.Store(0)
	}
	if o.Probe {
		s.probe.Store(0)
	}
	s.mu.Unlock()
	if started && changed != nil {
		changed(Change{Provider: o.Provider, Cooling: true, Until: time.Unix(0, until)})
	}
}

// coolFor returns when a cooldown starting at t ends, and counts it. The
// caller holds mu.
func (s *providerHealth) coolFor(policy Policy, t int64) int64 {
	if policy.Cooldown <= 0 {
		return 0
	}
	shift := min(s.level, 6)
	d := int64(math.MaxInt64)
	if policy.Cooldown <= math.MaxInt64>>shift {
		d = int64(policy.Cooldown << shift)
	}
	s.level++
	return addSat(t, d)
}

// addSat returns t+d for d >= 0, or the largest time when that overflows:
// a Retry-After hint of centuries cools a provider down for good, not for
// a negative time.
func addSat(t, d int64) int64 {
	if d > math.MaxInt64-t {
		return math.MaxInt64
	}
	return t + d
}
