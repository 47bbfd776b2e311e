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
// provider with seq.Add(1) before it and after it (so seq is odd while relay
// waits for the provider and even while it holds a token for the caller);
// each idle tick compares seq with what it expected and cancels the attempt
// when relay has been waiting, with no new token, since the previous tick.
type watch struct {
	seq atomic.Uint64

	mu     sync.Mutex
	t      *time.Timer
	cancel context.CancelCauseFunc
	first  time.Duration
	idle   time.Duration
	phase  uint8
	skip   int    // fires to ignore: a first-token fire that lost to the first token
	last   uint64 // the seq an idle tick fires on
}

const (
	phaseNone  = iota // waiting for the first token, no first-token timer
	phaseFirst        // waiting for the first token, timer armed
	phaseIdle         // streaming, idle ticks armed
	phaseDone         // fired or stopped
)

func newWatch(cancel context.CancelCauseFunc, first, idle time.Duration) *watch {
	w := &watch{cancel: cancel, first: first, idle: idle}
	if first > 0 {
		w.phase = phaseFirst
		w.t = time.AfterFunc(first, w.fire)
	}
	return w
}

func (w *watch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.skip > 0 {
		w.skip--
		return
	}
	switch w.phase {
	case phaseFirst:
		w.phase = phaseDone
		w.cancel(fmt.Errorf("%w: no token within %v", errs.ErrFirstTokenTimeout, w.first))
	case phaseIdle:
		s := w.seq.Load()
		if s&1 == 1 && s == w.last {
			w.phase = phaseDone
			w.cancel(fmt.Errorf("%w: no token for %v", errs.ErrIdleTimeout, w.idle))
			return
		}
		w.last = s | 1
		w.t.Reset(w.idle)
	}
}

// gotFirst records that the first token arrived. It reports false if the
// first-token timeout fired first: the attempt is already cancelled.
func (w *watch) gotFirst() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.phase == phaseDone {
		return false
	}
	if w.t != nil && !w.t.Stop() {
		// The first-token timer expired, but its fire lost the race for mu
		// to this token: let it pass.
		w.skip++
	}
	if w.idle <= 0 {
		w.phase = phaseDone
		return true
	}
	w.phase = phaseIdle
	w.last = w.seq.Load() | 1
	if w.t == nil {
		w.t = time.AfterFunc(w.idle, w.fire)
	} else {
		w.t.Reset(w.idle)
	}
	return true
}

// stop disarms the timer for good. A fire already running finds phaseDone
// and does nothing.
func (w *watch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.phase = phaseDone
	if w.t != nil {
		w.t.Stop()
	}
}
