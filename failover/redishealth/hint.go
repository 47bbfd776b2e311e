package redishealth

import (
	"context"
	"time"
)

// hintKey names the key of a provider's Retry-After hint, which expires
// with the hint.
func (h *Health) hintKey(name string) string { return "{" + h.opts.Prefix + "}:" + name + ":hint" }

// Defer implements [failover.Health]: the hint holds in this process at
// once, and for the fleet once one round trip (bounded by Timeout) has
// stored it in a key that expires with it. The round trip runs on a
// goroutine of its own, off the caller's path; [Health.Wait] waits for
// the ones in flight.
func (h *Health) Defer(ctx context.Context, provider string, until time.Time) {
	h.local.Defer(ctx, provider, until)
	ms := until.UnixMilli()
	h.mu.Lock()
	if c, ok := h.cache[provider]; ok && ms > c.hint {
		c.hint = ms
		h.cache[provider] = c
	}
	h.mu.Unlock()
	now := time.Now()
	ttl := until.Sub(now).Milliseconds()
	if ttl <= 0 || !h.useRedis(now) {
		return
	}
	ctx = context.WithoutCancel(ctx) // the call may end before the hint is stored
	h.hints.Go(func() {
		rctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
		defer cancel()
		if err := deferScript.Run(rctx, h.client, []string{h.hintKey(provider)}, ms, ttl).Err(); err != nil {
			h.failed(time.Now(), err)
			return
		}
		h.restored(time.Now())
	})
}

// Wait waits until every hint that [Health.Defer] sends has reached Redis
// or failed to (each within Timeout). Call it before closing the client.
func (h *Health) Wait() { h.hints.Wait() }

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// answer reads the i-th {state, until, fails, hint} of a check's answer.
func answer(res []any, i int) (state, until, fails, hint int64) {
	if i >= len(res) {
		return 0, 0, 0, 0
	}
	p, _ := res[i].([]any)
	if len(p) < 4 {
		return 0, 0, 0, 0
	}
	state, _ = p[0].(int64)
	until, _ = p[1].(int64)
	fails, _ = p[2].(int64)
	hint, _ = p[3].(int64)
	return state, until, fails, hint
}
