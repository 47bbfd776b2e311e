package failover

import (
	"sync"
	"testing"
	"time"
)

func TestTTFTBucketsCoverEveryDuration(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, 1, 7, 8, 9, 15, 16, 1000, time.Millisecond, 137 * time.Millisecond, time.Hour, 1<<63 - 1} {
		i := bucket(d)
		lo, hi := bounds(i)
		if i < 0 || i >= ttftBuckets || max(d, 1) < lo || d > hi {
			t.Errorf("%v: bucket %d holds [%v, %v]", d, i, lo, hi)
		}
		if lo > 0 && float64(hi-lo) > 0.125*float64(lo) {
			t.Errorf("%v: bucket [%v, %v] is wider than 12.5%%", d, lo, hi)
		}
	}
}

// spread returns n durations spread evenly over [lo, hi), in a scrambled
// order.
func spread(n int, lo, hi time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = lo + time.Duration(i*7919%n)*(hi-lo)/time.Duration(n)
	}
	return out
}

func TestTTFTFollowsAShiftingDistribution(t *testing.T) {
	t.Parallel()
	est := newTTFT(adaptiveConfig{quantile: 0.9, min: time.Millisecond, max: time.Minute})
	for _, d := range spread(ttftMinSeen-1, 50*time.Millisecond, 150*time.Millisecond) {
		est.observe(d)
	}
	if got := est.delay(); got != time.Minute {
		t.Errorf("before %d observations the delay is %v, want the maximum", ttftMinSeen, got)
	}
	check := func(what string, want time.Duration) {
		t.Helper()
		if got := est.delay(); got < want*97/100 || got > want*103/100 {
			t.Errorf("%s: delay %v, want about %v", what, got, want)
		}
	}
	for _, d := range spread(3000, 50*time.Millisecond, 150*time.Millisecond) {
		est.observe(d)
	}
	check("over [50ms, 150ms)", 140*time.Millisecond)
	// Two generations later, the old distribution is gone.
	for _, d := range spread(2*ttftGen+ttftRecompute, 500*time.Millisecond, 1500*time.Millisecond) {
		est.observe(d)
	}
	check("over [500ms, 1.5s)", 1400*time.Millisecond)
	for _, d := range spread(3*ttftGen, 0, 10*time.Second) {
		est.observe(d)
	}
	est2 := newTTFT(adaptiveConfig{quantile: 0.5, min: 2 * time.Second, max: 3 * time.Second})
	for _, d := range spread(1000, 0, 10*time.Second) {
		est2.observe(d)
	}
	if got := est2.delay(); got != 3*time.Second {
		t.Errorf("a median of 5s with max 3s gave %v", got)
	}
}

// TestTTFTUnderConcurrentCalls observes from many goroutines at once: the
// race detector checks the atomics, and the histogram stays sound. The
// cached delay is whichever recomputation stored last, which may have
// read the histogram in the middle of a generation switch; the next
// recomputation (every ttftRecompute observations) corrects it, so the
// test makes that one before it looks.
func TestTTFTUnderConcurrentCalls(t *testing.T) {
	t.Parallel()
	est := newTTFT(adaptiveConfig{quantile: 0.5, min: 0, max: time.Minute})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i, d := range spread(2000, 100*time.Millisecond, 300*time.Millisecond) {
				if i%16 == g {
					_ = est.delay()
				}
				est.observe(d)
			}
		})
	}
	wg.Wait()
	est.recompute()
	if got := est.delay(); got < 180*time.Millisecond || got > 220*time.Millisecond {
		t.Errorf("median of [100ms, 300ms) estimated at %v", got)
	}
}
