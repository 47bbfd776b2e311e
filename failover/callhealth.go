package failover

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/relay-go/relay/errs"
)

// callHealth is what one call of a group that keeps health needs: the
// providers' health as it started, the probes it holds, and the outcomes
// of its attempts, handed to the group's Health when the call ends.
type callHealth struct {
	names    []string
	status   []Status
	probes   []string // providers whose probe this call holds and has not tried
	outcomes []Outcome
	nbuf     [8]string
	sbuf     [8]Status
	obuf     [2]Outcome
}

// check asks the group's Health about the call's providers, moves the
// cooling ones last and, with ByHealth, orders the rest by health.
func (r *run[Req, Tok]) check(ctx context.Context) {
	g := r.g
	if g.lstates != nil && g.cfg.order != orderHealth {
		known := false
		for _, i := range r.order {
			if s := g.lstates[i]; s.until.Load() != 0 || s.hint.Load() != 0 {
				known = true
				break
			}
		}
		if !known {
			r.direct = true
			return
		}
	}
	hc := &callHealth{}
	r.hc = hc
	hc.names, hc.status = hc.nbuf[:0], hc.sbuf[:0]
	for _, i := range r.order {
		hc.names = append(hc.names, g.members[i].name)
		hc.status = append(hc.status, Status{})
	}
	hc.outcomes = hc.obuf[:0]
	g.health.Check(ctx, g.cfg.policy, hc.names, time.Now(), hc.status)
	if g.cfg.order == orderHealth {
		r.byHealth()
	}
	// Cooling providers go last, in the order they had.
	last := len(r.order)
	for k := 0; k < last; {
		if !hc.status[k].Cooling {
			k++
			continue
		}
		if r.rep != nil {
			r.rep.coolingLast(hc.names[k])
		}
		r.rotateToEnd(k)
		last--
	}
	r.ncool = int32(len(r.order) - last)
	for k, st := range hc.status {
		if !st.Deferred.IsZero() {
			// The group keeps the provider's Retry-After hint: this call
			// moves past it, as if it had received the hint itself.
			if r.plan == nil {
				r.plan = g.newPlan(r.order, r.ncool)
			}
			r.plan.hold(k, st.Deferred, r.deadline(ctx))
		}
	}
	for k, st := range hc.status {
		if st.Probe {
			hc.probes = append(hc.probes, hc.names[k])
			if g.cfg.observe {
				r.emit(ctx, Event{Kind: Probe, Provider: hc.names[k]})
			}
		}
	}
}

// coolingNow reports whether the provider at entry i of the order cools
// down now, as far as the group's in-process health says, and the call
// does not hold its probe.
func (r *run[Req, Tok]) coolingNow(i int) bool {
	if r.g.lstates == nil || r.g.lstates[r.order[i]].until.Load() == 0 {
		return false
	}
	return r.hc == nil || !slices.Contains(r.hc.probes, r.g.members[r.order[i]].name)
}

// rotateToEnd moves entry k of the order (and its health) to the end.
func (r *run[Req, Tok]) rotateToEnd(k int) {
	hc := r.hc
	o, n, s := r.order[k], hc.names[k], hc.status[k]
	copy(r.order[k:], r.order[k+1:])
	copy(hc.names[k:], hc.names[k+1:])
	copy(hc.status[k:], hc.status[k+1:])
	end := len(r.order) - 1
	r.order[end], hc.names[end], hc.status[end] = o, n, s
}

// outcome notes how an attempt that just ended bears on its provider's
// health. cause is why it ended, nil for a clean end.
func (r *run[Req, Tok]) outcome(ctx context.Context, a *attempt[Tok], cause error, committed bool) {
	hc := r.hc
	o := r.judge(ctx, a, cause, committed)
	for k, p := range hc.probes {
		if p == a.info.Provider {
			o.Probe = true
			hc.probes = slices.Delete(hc.probes, k, k+1)
			break
		}
	}
	hc.outcomes = append(hc.outcomes, o)
}

// applyDirect hands an attempt's outcome straight to its provider's
// in-process health, after the attempt's own event. Only failures and
// clean ends count: every other end is neutral, and a direct call holds
// no probe.
func (r *run[Req, Tok]) applyDirect(ctx context.Context, a *attempt[Tok], cause error, committed bool) {
	o := r.judge(ctx, a, cause, committed)
	changed := r.changes(ctx)
	r.g.lstates[r.order[a.idx]].apply(r.g.cfg.policy, &o, time.Time{}, changed)
}

// judge says what an attempt's end means for its provider's health.
func (r *run[Req, Tok]) judge(ctx context.Context, a *attempt[Tok], cause error, committed bool) Outcome {
	o := Outcome{Provider: a.info.Provider}
	switch {
	case cause == nil && committed:
		o.Result = Succeeded
		o.FirstToken = a.ttft
	case cause == nil, ctx.Err() != nil && !(limited(ctx) && !committed), errors.Is(cause, errs.ErrHedgeLost),
		errors.Is(cause, errStopped), errors.Is(cause, errCallEnded), errs.IsPermanent(cause):
		// The caller's cancellation is not the provider's failure; the
		// group's own limit ending an attempt before its commit is: the
		// provider hung.
		o.Result = Neutral
	default:
		o.Result, o.Committed = Failed, committed
		if hint, ok := errs.RetryAfterHint(cause); ok && hint > r.g.cfg.maxRetryAfter {
			o.CoolFor = hint
		}
	}
	return o
}

// record hands the call's outcomes to the group's Health, with the probes
// it held and did not try, and reports what changed.
func (r *run[Req, Tok]) record(ctx context.Context) {
	hc := r.hc
	if len(hc.probes) > 0 {
		hc.untried()
	}
	changed := r.changes(ctx)
	if _, local := r.g.health.(*localHealth); !local {
		// A store may take its time: the call's end is not its deadline.
		ctx = context.WithoutCancel(ctx)
	}
	r.g.health.Record(ctx, r.g.cfg.policy, hc.outcomes, time.Now(), changed)
}

// untried releases the probes the call held and did not try.
func (hc *callHealth) untried() {
	for _, p := range hc.probes {
		hc.outcomes = append(hc.outcomes, Outcome{Provider: p, Result: Neutral, Probe: true})
	}
	hc.probes = nil
}
