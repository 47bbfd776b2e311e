package failover

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// ttft estimates a quantile of the time to first token of a group's recent
// attempts, for [AdaptiveHedge]. Observations go into a log-scale
// histogram (eight buckets per power of two, so a bucket is at most 12.5%
// wide) with atomic adds. The histogram has two generations: new
// observations go into the current one, and when it holds a generation's
// worth the older one is cleared and becomes current, so the estimate
// follows a distribution that shifts. The delay is recomputed every few
// observations and cached in an atomic, so a call reads one word.
type ttft struct {
	cfg     adaptiveConfig
	gens    [2][ttftBuckets]atomic.Uint32
	counts  [2]atomic.Int64
	cur     atomic.Int32
	seen    atomic.Int64
	delayNs atomic.Int64
}

const (
	ttftSub       = 3                         // 2^3 buckets per power of two
	ttftBuckets   = (64 - ttftSub) << ttftSub // every int64 nanosecond count
	ttftGen       = 2048                      // observations per generation
	ttftMinSeen   = 64                        // observations before the estimate is used
	ttftRecompute = 16                        // observations between recomputations
)

func newTTFT(cfg adaptiveConfig) *ttft {
	t := &ttft{cfg: cfg}
	t.delayNs.Store(int64(cfg.max))
	return t
}

// bucket returns the histogram bucket of d: its power of two and the next
// ttftSub bits.
func bucket(d time.Duration) int {
	v := uint64(max(d, 1))
	e := bits.Len64(v) - 1
	if e < ttftSub {
		return int(v)
	}
	return (e-ttftSub+1)<<ttftSub | int(v>>(e-ttftSub))&(1<<ttftSub-1)
}

// bounds returns the smallest and the largest duration in bucket i.
func bounds(i int) (lo, hi time.Duration) {
	if i < 1<<ttftSub {
		return time.Duration(i), time.Duration(i)
	}
	e := i>>ttftSub + ttftSub - 1
	m := uint64(i&(1<<ttftSub-1) | 1<<ttftSub)
	return time.Duration(m << (e - ttftSub)), time.Duration((m+1)<<(e-ttftSub) - 1)
}

// observe records one attempt's time to first token.
func (t *ttft) observe(d time.Duration) {
	g := t.cur.Load()
	t.gens[g][bucket(d)].Add(1)
	if t.counts[g].Add(1) == ttftGen {
		// This generation is full: clear the older one and move on to it.
		// Observations racing with the clear land in either; the estimate
		// only needs to be roughly right.
		old := 1 - g
		for i := range t.gens[old] {
			t.gens[old][i].Store(0)
		}
		t.counts[old].Store(0)
		t.cur.Store(old)
	}
	if n := t.seen.Add(1); n >= ttftMinSeen && n%ttftRecompute == 0 {
		t.recompute()
	}
}

// recompute sets the cached delay to the quantile of both generations.
// It keeps no copy of the histogram (see bench/doc.go): counts that change
// between its two passes only shift the estimate by a bucket.
func (t *ttft) recompute() {
	var total uint64
	for g := range t.gens {
		for i := range t.gens[g] {
			total += uint64(t.gens[g][i].Load())
		}
	}
	if total == 0 {
		return
	}
	// The quantile falls in the bucket where the running count passes
	// its rank; within the bucket, assume the observations spread evenly.
	rank := t.cfg.quantile * float64(total)
	var sum float64
	d := t.cfg.max
	for i := range ttftBuckets {
		c := float64(t.gens[0][i].Load()) + float64(t.gens[1][i].Load())
		if sum+c >= rank && c > 0 {
			lo, hi := bounds(i)
			d = lo + time.Duration(float64(hi-lo)*(rank-sum)/c)
			break
		}
		sum += c
	}
	t.delayNs.Store(int64(min(max(d, t.cfg.min), t.cfg.max)))
}

// delay is the current hedge delay.
func (t *ttft) delay() time.Duration { return time.Duration(t.delayNs.Load()) }
