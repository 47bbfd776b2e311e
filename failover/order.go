package failover

import (
	"math"
	"slices"
	"time"
)

// ordering is how a call orders its eligible providers.
type ordering uint8

const (
	orderGiven ordering = iota
	orderShuffle
	orderRoundRobin
	orderWeighted
	orderHealth
	orderLeastBusy
)

// Shuffle tries the providers in a random order, drawn anew for each call.
// The group keeps one generator seeded with seed, so a caller that makes its
// calls one at a time gets the same sequence of orders (and of [Backoff]
// jitter) for the same seed; seed 0 draws the seed from entropy. Of the
// ordering options ([Shuffle], [RoundRobin], [Weighted], [ByHealth]) the last wins.
func Shuffle(seed uint64) Option {
	return optionFunc(func(c *config) { c.order = orderShuffle; c.seed = seed })
}

// RoundRobin starts each call at the next provider: the first call tries
// the providers in the given order, the second starts at the second
// provider and wraps around, and so on, so that across calls each
// provider goes first equally often. The count is shared by the group's
// concurrent calls (one atomic add per call). Of the ordering options the
// last wins.
func RoundRobin() Option {
	return optionFunc(func(c *config) { c.order = orderRoundRobin })
}

// Weighted draws a random order for each call in which a provider goes
// first in proportion to its [Provider] Weight, and likewise for the
// places after it among the rest: a provider of weight 3 serves about
// three times as many calls as one of weight 1 while both are healthy.
// seed works as for [Shuffle]. Of the ordering options the last wins.
func Weighted(seed uint64) Option {
	return optionFunc(func(c *config) { c.order = orderWeighted; c.seed = seed })
}

// ByHealth orders each call's providers by their recent health, best
// first, by one score: the moving average of success to the fourth power
// over the moving average of time to first token, so that success counts
// most (two failures in a row put a fast provider behind a slower
// healthy one) and, among providers that succeed alike, the faster leads. A provider that has not been tried yet counts as
// healthy and fast, so it gets tried. One call in ten (drawn from a
// generator seeded with seed, as for [Shuffle]) puts a random provider
// first instead, so that a provider that failed gets traffic again and
// can show that it recovered. ByHealth turns health on; of the ordering
// options the last wins.
func ByHealth(seed uint64) Option {
	return optionFunc(func(c *config) { c.order = orderHealth; c.seed = seed })
}

// arrange puts a call's eligible providers in the order the group's
// ordering option asks for.
func (g *Group[Req, Tok]) arrange(order []int32) {
	switch g.cfg.order {
	case orderShuffle:
		g.rngMu.Lock()
		g.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		g.rngMu.Unlock()
	case orderRoundRobin:
		n := uint64(len(order))
		k := int((g.rr.Add(1) - 1) % n)
		slices.Reverse(order[:k])
		slices.Reverse(order[k:])
		slices.Reverse(order)
	case orderWeighted:
		g.weighted(order)
	case orderLeastBusy:
		g.leastBusy(order)
	}
}

// weighted draws a weighted random order: each provider gets the key
// Exp(1)/weight and the smallest key goes first, so that provider i is
// first with probability weight_i / sum of weights (and so on for the
// places after it, among the rest).
func (g *Group[Req, Tok]) weighted(order []int32) {
	var kbuf [8]float64
	keys := kbuf[:0]
	g.rngMu.Lock()
	for _, i := range order {
		keys = append(keys, -math.Log(1-g.rng.Float64())/g.members[i].weight)
	}
	g.rngMu.Unlock()
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// score ranks a provider for ByHealth: success counts most (to the fourth
// power, so two failures in a row put a fast provider behind a slower
// healthy one), then time to first token. A provider never committed
// counts as fast, so that it gets tried.
func score(st Status, fastest time.Duration) float64 {
	ttft := st.FirstToken
	if ttft <= 0 {
		ttft = fastest
	}
	s := st.Success * st.Success
	return s * s / float64(max(ttft, time.Millisecond))
}

// byHealth orders the call's providers by score, best first; one call in
// ten puts a random one first instead.
func (r *run[Req, Tok]) byHealth() {
	hc := r.hc
	fastest := time.Duration(math.MaxInt64)
	for _, st := range hc.status {
		if st.FirstToken > 0 {
			fastest = min(fastest, st.FirstToken)
		}
	}
	if fastest == math.MaxInt64 {
		fastest = time.Millisecond
	}
	n := len(r.order)
	for i := 1; i < n; i++ {
		for j := i; j > 0 && score(hc.status[j], fastest) > score(hc.status[j-1], fastest); j-- {
			r.swap(j, j-1)
		}
	}
	if n > 1 {
		r.g.rngMu.Lock()
		explore, pick := r.g.rng.IntN(10) == 0, 1+r.g.rng.IntN(n-1)
		r.g.rngMu.Unlock()
		if explore {
			for j := pick; j > 0; j-- {
				r.swap(j, j-1)
			}
		}
	}
}

func (r *run[Req, Tok]) swap(i, j int) {
	hc := r.hc
	r.order[i], r.order[j] = r.order[j], r.order[i]
	hc.names[i], hc.names[j] = hc.names[j], hc.names[i]
	hc.status[i], hc.status[j] = hc.status[j], hc.status[i]
}
