package failover

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relay-go/relay/errs"
)

// watch enforces one attempt's first-token and idle timeouts with a single
// timer and no per-token timer work. The driver marks each wait for the
// provider with seq.Add(1) before it and after it, so seq is odd exactly
// while relay waits for the provider. An idle tick ends the attempt only
// when it finds relay in the very wait it found at the tick before: relay
// has then waited, with no token, for at least the tick interval. A tick
// that finds relay busy (holding a token for a slow caller) remembers
// nothing, so time spent on the caller never counts.
//
// The timer's callback judges by the clock, not by which arming it
// belongs to: a stale firing finds nothing due and only re-arms.
type watch struct {
	seq atomic.Uint64

	mu      sync.Mutex
	t       *time.Timer
	cancel  context.CancelCauseFunc
	first   time.Duration
	idle    time.Duration
	firstAt time.Time // when the first-token timeout ends the attempt; zero once content arrived
	tickAt  time.Time // the next idle tick; zero until the attempt shows a sign of life
	last    uint64    // seq at the previous tick if relay was waiting then, else 0
	paused  time.Time // the idle clock stands still since then; zero: running
	done    bool      // fired or stopped
}

func newWatch(cancel context.CancelCauseFunc, first, idle time.Duration) *watch {
	w := &watch{cancel: cancel, first: first, idle: idle}
	if first > 0 {
		w.firstAt = time.Now().Add(first)
		w.t = time.AfterFunc(first, w.fire)
	}
	return w
}

// arm starts the idle ticks, d after the attempt's first sign of life.
// When next is true relay's very next step is a wait for the provider
// (the driver holds no token for the caller), so the first tick may
// already count that wait: a stall right after the first sign of life is
// then noticed after exactly d, not 2d.
func (w *watch) arm(next bool) {
	if w.idle <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || !w.tickAt.IsZero() {
		return
	}
	w.tickAt = time.Now().Add(w.idle)
	if next {
		w.last = w.seq.Load() | 1
	}
	w.schedule()
}

// content records the first content token. It reports false if a timeout
// has already ended the attempt.
func (w *watch) content() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return false
	}
	if !w.firstAt.IsZero() {
		w.firstAt = time.Time{}
		w.schedule()
	}
	return true
}

// schedule arms the timer for whichever comes first: the first-token
// deadline or the next idle tick. The caller holds mu.
func (w *watch) schedule() {
	next := w.firstAt
	if next.IsZero() || (!w.tickAt.IsZero() && w.tickAt.Before(next)) {
		next = w.tickAt
	}
	switch {
	case next.IsZero():
		if w.t != nil {
			w.t.Stop()
		}
	case w.t == nil:
		w.t = time.AfterFunc(time.Until(next), w.fire)
	default:
		w.t.Reset(time.Until(next))
	}
}

func (w *watch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	if !w.paused.IsZero() {
		return // the clocks stand still: resume re-arms the timer
	}
	now := time.Now()
	if !w.firstAt.IsZero() && !now.Before(w.firstAt) {
		w.done = true
		w.cancel(fmt.Errorf("%w: no content token within %v", errs.ErrFirstTokenTimeout, w.first))
		return
	}
	if !w.tickAt.IsZero() && !now.Before(w.tickAt) {
		s := w.seq.Load()
		if s&1 == 1 && s == w.last {
			w.done = true
			w.cancel(fmt.Errorf("%w: no token for %v", errs.ErrIdleTimeout, w.idle))
			return
		}
		w.last = 0
		if s&1 == 1 {
			w.last = s
		}
		w.tickAt = now.Add(w.idle)
	}
	w.schedule()
}

// pause stops the clocks while relay handles something else (another
// attempt's event, a callback of the caller's) with this attempt's wait
// still open: nothing fires meanwhile, and resume moves the first-token
// deadline and the next tick later by the time paused, which must not
// count against the provider.
func (w *watch) pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = time.Now()
}

func (w *watch) resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := time.Since(w.paused)
	if !w.tickAt.IsZero() {
		w.tickAt = w.tickAt.Add(d)
	}
	if !w.firstAt.IsZero() {
		w.firstAt = w.firstAt.Add(d)
	}
	w.paused = time.Time{}
	if !w.done {
		w.schedule()
	}
}

// stop disarms the timer for good. A firing already under way finds done
// and does nothing.
func (w *watch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.t != nil {
		w.t.Stop()
	}
}
