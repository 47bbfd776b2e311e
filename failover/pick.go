package failover

import (
	"context"
	"time"

	"github.com/relay-go/relay/errs"
)

// pick asks the plan for the entry to start now, passing over providers
// at their MaxConcurrent, and claims its slot. It returns -1 when nothing
// starts now; changed then reports whether it gave the call up or has a
// slot to start with at the next look.
func (r *run[Req, Tok]) pick(ctx context.Context, now time.Time) (i int, changed bool) {
	e, pl := &r.eng, r.plan
	if r.g.limited || r.g.lstates != nil {
		for k := range pl.tries {
			pl.tries[k].full, pl.tries[k].cold = false, false // look again
		}
	}
	for {
		i, wake, ok := pl.next(now, int(r.last), e.n > 0)
		switch {
		case !ok && e.n == 0:
			if e.slot != nil {
				return -1, false // waiting for a slot already
			}
			if k := pl.firstFull(); k >= 0 {
				// Only providers at their limit are left: wait for a slot.
				return -1, r.queue(k)
			}
			var why error
			if pl.late {
				why = errs.ErrDeadline
			}
			r.giveUp(why)
			return -1, true
		case !ok:
			// Nothing left to start beside the attempts in flight: wait
			// for them.
			e.want, e.noHedge, e.unpaid = e.n, true, false
			return -1, false
		case i < 0:
			e.wake = wake
			if k := pl.firstFull(); k >= 0 && e.n == 0 && e.slot == nil {
				// Wait for a slot too: whichever comes first starts.
				return -1, r.queue(k)
			}
			return -1, false
		}
		if e.n > 0 && r.coolingNow(i) {
			// A cooldown began during the call (another call's failures):
			// a hedge does not start it either.
			pl.tries[i].cold = true
			continue
		}
		if r.g.loads == nil || r.g.loads[r.order[i]].take() {
			r.leaveQueue() // another provider starts: no slot is needed now
			return i, false
		}
		pl.tries[i].full = true // at its limit: passed over, no failure
		if t := &pl.tries[i]; !t.passed {
			t.passed = true
			if r.g.cfg.observe {
				r.emit(ctx, Event{Kind: AtLimit, Provider: r.g.members[r.order[i]].name})
			}
		}
	}
}
