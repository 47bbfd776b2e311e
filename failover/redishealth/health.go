package redishealth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/relay-go/relay/failover"
)

// Options configures a [Health]. The zero value is valid.
type Options struct {
	// Prefix names the shared health: processes that give the same Prefix
	// to the same Redis share it. Keys are "{Prefix}:" and a provider's
	// name; the braces keep one call's keys in one Redis Cluster slot, so
	// that one script can read them all. The default is "relay:health".
	Prefix string
	// Timeout bounds each round trip to Redis: past it, the call goes on
	// with the in-process health. A call waits for at most two round
	// trips, one as it starts and one when its stream has ended, so a
	// Redis that stops answering costs a call up to twice Timeout (until
	// RetryEvery has it skip Redis); the round trip of a Retry-After hint
	// runs off the call's path. The default is 50ms.
	Timeout time.Duration
	// RetryEvery is how long Health keeps to in-process health after
	// Redis failed before it tries Redis again. The default is 1s.
	RetryEvery time.Duration
	// CacheFor lets a Check answer from what the last round trip said for
	// up to this long, when no provider's cooldown ends in between, so
	// that most calls cost no round trip at all. Zero, the default, asks
	// Redis for every call.
	CacheFor time.Duration
	// TTL is how long a provider's keys outlive its last failure or
	// cooldown; they expire on their own. The default is 24 hours.
	TTL time.Duration
	// Events, when not nil, is told when Health falls back to in-process
	// health (Redis failed or was slow) and when it goes back to Redis.
	// It runs on the goroutine of the call that noticed.
	Events func(Event)
}

// Event reports Health leaving the shared store or coming back to it.
type Event struct {
	Time time.Time
	// Down is true when Health fell back to in-process health, with the
	// error that made it, and false when it went back to Redis.
	Down bool
	Err  error
}

// Health is a [failover.Health] that a fleet of processes shares through
// Redis: consecutive failures, cooldowns and the one probe of a provider
// whose cooldown ended are the same for every process that names the same
// Prefix, and every update is one atomic script, so that no two processes
// race on them. A call costs at most one round trip as it starts (none
// within CacheFor) and, when its stream ends, one more only if it has
// news for the shared health (a failure, a probe's outcome, the success of
// a provider that had failures), each bounded by Timeout.
//
// When Redis is slow or down, calls do not fail and wait no longer than
// Timeout for a round trip: Health answers from the in-process health it
// keeps beside the shared one (which always keeps this process's moving
// averages of success and time to first token) and says so through
// Options.Events; it tries Redis again every RetryEvery and goes back to
// it once it answers.
//
// A provider's Retry-After hint ([Health.Defer]) reaches Redis as the
// attempt fails, in a key that expires with the hint, so that every
// process moves past the provider until then; the round trip runs off the
// caller's path, and a Check reads the hints in its one round trip.
//
// Health is safe for concurrent use. The only goroutines it starts are
// those of Defer's round trips, each bounded by Timeout, which
// [Health.Wait] waits for; the client is the caller's, to close.
type Health struct {
	client redis.UniversalClient
	opts   Options
	local  failover.Health

	mu      sync.Mutex
	down    bool
	retryAt time.Time
	cache   map[string]cached
	hints   sync.WaitGroup // Defer's round trips in flight
}

type cached struct {
	until int64 // Unix milliseconds; 0: not cooling
	fails int64 // consecutive failures
	hint  int64 // when the provider's Retry-After hint ends, Unix milliseconds; 0: none
	at    time.Time
}

// New returns a Health over client. The client must let a context's
// deadline bound its reads and writes (ContextTimeoutEnabled: true in its
// options), so that Timeout bounds every round trip; otherwise a Redis
// that stops answering would hold a call for the client's own read
// timeout (3s by default).
//
// New panics, with a message starting "failover:", if client is nil, if
// it is a *redis.Client or *redis.ClusterClient without
// ContextTimeoutEnabled, or if an option is negative.
func New(client redis.UniversalClient, opts Options) *Health {
	switch {
	case client == nil:
		panic("failover: redishealth.New needs a Redis client")
	case !boundedByContext(client):
		panic("failover: redishealth.New needs a client with ContextTimeoutEnabled: true, so that Options.Timeout bounds each round trip")
	case opts.Timeout < 0 || opts.RetryEvery < 0 || opts.CacheFor < 0 || opts.TTL < 0:
		panic("failover: redishealth.New: durations in Options must not be negative")
	}
	if opts.Prefix == "" {
		opts.Prefix = "relay:health"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 50 * time.Millisecond
	}
	if opts.RetryEvery == 0 {
		opts.RetryEvery = time.Second
	}
	if opts.TTL == 0 {
		opts.TTL = 24 * time.Hour
	}
	return &Health{client: client, opts: opts, local: failover.NewHealth(), cache: map[string]cached{}}
}

// boundedByContext reports whether a client's round trips end at their
// context's deadline, as far as its options say.
func boundedByContext(c redis.UniversalClient) bool {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	}
	return true
}

func (h *Health) key(name string) string { return "{" + h.opts.Prefix + "}:" + name }

// Check implements [failover.Health].
func (h *Health) Check(ctx context.Context, policy failover.Policy, names []string, now time.Time, into []failover.Status) {
	// The in-process health answers first: its moving averages always,
	// and everything while Redis cannot be reached.
	h.local.Check(ctx, policy, names, now, into)
	if !h.useRedis(now) || h.fromCache(names, now, into) {
		return
	}
	keys := make([]string, 2*len(names))
	for i, n := range names {
		keys[i], keys[len(names)+i] = h.key(n), h.hintKey(n)
	}
	age := max(policy.Cooldown, time.Second).Milliseconds()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.Timeout)
	defer cancel()
	res, err := checkScript.Run(rctx, h.client, keys, now.UnixMilli(), age).Slice()
	if err != nil {
		h.failed(now, err)
		return
	}
	h.restored(now)
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range into {
		st, until, fails, hint := answer(res, i)
		into[i].Cooling, into[i].Probe = st == 1, st == 2
		if hint > now.UnixMilli() {
			into[i].Deferred = later(into[i].Deferred, time.UnixMilli(hint))
		}
		h.cache[names[i]] = cached{until: until, fails: fails, hint: hint, at: now}
	}
}

// fromCache answers Check from the last round trip's answers, when every
// provider has one younger than CacheFor and none of their cooldowns has
// ended since (that would call for a probe, which only Redis can give).
func (h *Health) fromCache(names []string, now time.Time, into []failover.Status) bool {
	if h.opts.CacheFor <= 0 {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t := now.UnixMilli()
	for _, n := range names {
		c, ok := h.cache[n]
		if !ok || now.Sub(c.at) >= h.opts.CacheFor || (c.until != 0 && t >= c.until) {
			return false
		}
	}
	for i, n := range names {
		c := h.cache[n]
		into[i].Cooling, into[i].Probe = c.until != 0, false
		if c.hint > t {
			into[i].Deferred = later(into[i].Deferred, time.UnixMilli(c.hint))
		}
	}
	return true
}

// news keeps the outcomes that change the shared health: failures,
// probes, and successes of providers that this process last saw with
// failures or a cooldown. A success of a provider seen in full health
// changes nothing, so a call to healthy providers writes nothing.
func (h *Health) news(outcomes []failover.Outcome) []failover.Outcome {
	h.mu.Lock()
	defer h.mu.Unlock()
	var keep []failover.Outcome
	for _, o := range outcomes {
		c, seen := h.cache[o.Provider]
		quiet := o.Result == failover.Neutral && !o.Probe ||
			o.Result == failover.Succeeded && !o.Probe && seen && c.until == 0 && c.fails == 0
		if !quiet {
			keep = append(keep, o)
		}
	}
	return keep
}

// Record implements [failover.Health].
func (h *Health) Record(ctx context.Context, policy failover.Policy, outcomes []failover.Outcome, now time.Time, changed func(failover.Change)) {
	if !h.useRedis(now) {
		h.local.Record(ctx, policy, outcomes, now, changed)
		return
	}
	h.local.Record(ctx, policy, outcomes, now, nil)
	if outcomes = h.news(outcomes); len(outcomes) == 0 {
		return // nothing that changes the shared health: no round trip
	}
	keys := make([]string, len(outcomes))
	args := make([]any, 0, 4+3*len(outcomes))
	// The script's numbers are Lua doubles, written back to Redis with 14
	// digits: keep every time within about 290 years of now. A key
	// outlives the longest cooldown the policy can give.
	cd := min(policy.Cooldown, math.MaxInt64/failover.MaxCooldownFactor)
	ttl := max(h.opts.TTL, cd*failover.MaxCooldownFactor)
	args = append(args, now.UnixMilli(), policy.Failures, cd.Milliseconds(), ttl.Milliseconds())
	for i, o := range outcomes {
		keys[i] = h.key(o.Provider)
		probe := 0
		switch {
		case o.Probe && o.Committed && o.Result == failover.Failed:
			probe = 2 // restores the provider, then counts one failure
		case o.Probe:
			probe = 1
		}
		args = append(args, int(o.Result), probe, o.CoolFor.Milliseconds())
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.Timeout)
	defer cancel()
	res, err := recordScript.Run(rctx, h.client, keys, args...).Slice()
	if err != nil {
		h.failed(now, err)
		return
	}
	h.restored(now)
	h.mu.Lock()
	for _, o := range outcomes {
		c := h.cache[o.Provider]
		switch {
		case o.Result == failover.Failed && o.Probe && o.Committed:
			c.fails, c.until = 1, 0
		case o.Result == failover.Failed:
			c.fails++
		case o.Result == failover.Succeeded:
			c.fails, c.until = 0, 0
		}
		h.cache[o.Provider] = c
	}
	var changes []failover.Change
	for _, r := range res {
		p, _ := r.([]any)
		if len(p) < 3 {
			continue
		}
		i, _ := p[0].(int64)
		kind, _ := p[1].(int64)
		until, _ := p[2].(int64)
		if i < 1 || int(i) > len(outcomes) {
			continue
		}
		name := outcomes[i-1].Provider
		old := h.cache[name]
		h.cache[name] = cached{until: until, fails: old.fails, hint: old.hint, at: now}
		c := failover.Change{Provider: name, Cooling: kind == 1}
		if c.Cooling {
			c.Until = time.UnixMilli(until)
		}
		changes = append(changes, c)
	}
	h.mu.Unlock()
	if changed != nil {
		for _, c := range changes {
			changed(c)
		}
	}
}

// useRedis reports whether this call should go to Redis: always while it
// answers, and once every RetryEvery while it does not.
func (h *Health) useRedis(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return true
	}
	if now.Before(h.retryAt) {
		return false
	}
	h.retryAt = now.Add(h.opts.RetryEvery) // one call at a time tries
	return true
}

func (h *Health) failed(now time.Time, err error) {
	h.mu.Lock()
	was := h.down
	h.down, h.retryAt = true, now.Add(h.opts.RetryEvery)
	h.cache = map[string]cached{}
	h.mu.Unlock()
	if !was && h.opts.Events != nil {
		h.opts.Events(Event{Time: now, Down: true, Err: describe(err)})
	}
}

func (h *Health) restored(now time.Time) {
	h.mu.Lock()
	was := h.down
	h.down = false
	h.mu.Unlock()
	if was && h.opts.Events != nil {
		h.opts.Events(Event{Time: now})
	}
}

// describe says why Redis could not be used.
func describe(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("redis did not answer in time: %w", err)
	}
	return fmt.Errorf("redis: %w", err)
}
