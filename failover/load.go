package failover

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// LeastBusy orders each call's providers by how many attempts of this
// group each has in flight, fewest first: a committed stream counts until
// it ends, so that a group spreads long answers across its providers as
// LiteLLM's least-busy routing and Envoy's least-request balancer do.
// Ties are broken at random, so that idle providers share the traffic;
// cooling providers ([Cooldown]) still go last. The counts are one atomic
// counter per provider, updated as attempts start and end, with no lock
// on a call's path, and nothing changes per token. Of the ordering
// options ([Shuffle], [RoundRobin], [Weighted], [ByHealth], LeastBusy)
// the last wins.
func LeastBusy() Option {
	return optionFunc(func(c *config) { c.order = orderLeastBusy })
}

// load is what a group counts of one provider's attempts in flight, for
// LeastBusy and MaxConcurrent: the group's attempts that started and have
// not ended, and the calls waiting for a slot.
type load struct {
	inflight atomic.Int32
	max      int32        // MaxConcurrent; 0: no limit
	waiting  atomic.Int32 // len(waiters), read without the lock
	mu       sync.Mutex
	waiters  []chan struct{} // in arrival order; each gets the slot it waits for
}

// take claims a slot at once, if one is free and no call waits for one
// (a call that waits was there first). It never blocks.
func (l *load) take() bool {
	if l.max == 0 {
		l.inflight.Add(1)
		return true
	}
	if l.waiting.Load() > 0 {
		return false
	}
	return l.claim()
}

// claim takes a free slot, if any, by compare-and-swap.
func (l *load) claim() bool {
	for {
		n := l.inflight.Load()
		if n >= l.max {
			return false
		}
		if l.inflight.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// wait queues for a slot: it returns nil when it got one at once, or a
// channel that receives once the slot is this caller's. A caller that
// stops waiting calls leave.
func (l *load) wait() chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waiters) == 0 && l.claim() {
		return nil
	}
	ch := make(chan struct{}, 1)
	l.waiters = append(l.waiters, ch)
	l.waiting.Add(1)
	// A slot freed since the claim above, by a release that saw no
	// waiter, would wake nobody: claim once more now that we count.
	if len(l.waiters) == 1 && l.claim() {
		l.waiters = l.waiters[:0]
		l.waiting.Add(-1)
		return nil
	}
	return ch
}

// leave stops waiting on ch; a slot handed over meanwhile goes back.
func (l *load) leave(ch chan struct{}) {
	l.mu.Lock()
	if k := slices.Index(l.waiters, ch); k >= 0 {
		l.waiters = slices.Delete(l.waiters, k, k+1)
		l.waiting.Add(-1)
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	l.release() // the slot was handed over as the caller left
}

// release frees a slot: the first caller waiting gets it, and no other
// wakes.
func (l *load) release() {
	l.inflight.Add(-1)
	if l.max == 0 || l.waiting.Load() == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.waiters) > 0 && l.claim() {
		ch := l.waiters[0]
		l.waiters = slices.Delete(l.waiters, 0, 1)
		l.waiting.Add(-1)
		ch <- struct{}{}
	}
}

// leastBusy orders a call's providers by their attempts in flight, fewest
// first, ties at random.
func (g *Group[Req, Tok]) leastBusy(order []int32) {
	var kbuf [8]uint64
	keys := kbuf[:0]
	for _, i := range order {
		// The count in the high bits, a random draw below it: equal
		// counts sort at random.
		keys = append(keys, uint64(max(g.loads[i].inflight.Load(), 0))<<32|uint64(rand.Uint32()))
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// held notes that an attempt of the provider at entry i holds a slot, so
// that its end frees it.
func (r *run[Req, Tok]) held(a *attempt[Tok]) {
	a.slot = &r.g.loads[r.order[a.idx]]
}

// free gives back the slot an attempt held, as it ends.
func (a *attempt[Tok]) free() {
	if l := a.slot; l != nil {
		a.slot = nil
		l.release()
	}
}

// queue waits for a slot of the provider at entry k: at once if one is
// free (it reports true: the next look starts it), or through the
// engine's wait.
func (r *run[Req, Tok]) queue(k int) bool {
	ch := r.g.loads[r.order[k]].wait()
	if ch == nil {
		r.eng.granted = k
		return true
	}
	r.eng.slot, r.eng.slotAt = ch, k
	return false
}

// unclaim gives back the slot claimed for entry i when its try does not
// start after all.
func (r *run[Req, Tok]) unclaim(i int) {
	if r.g.loads != nil {
		r.g.loads[r.order[i]].release()
	}
}

// leaveQueue stops waiting for a slot, and gives back one that came but
// was not used: when the call ends meanwhile, or starts another provider.
func (r *run[Req, Tok]) leaveQueue() {
	e := &r.eng
	if e.slot != nil {
		r.g.loads[r.order[e.slotAt]].leave(e.slot)
		e.slot = nil
	}
	if e.granted >= 0 {
		r.g.loads[r.order[e.granted]].release() // a slot that came as the call ended
		e.granted = -1
	}
}
