package failover

import (
	"context"
	"errors"
	"math"
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
		cooling := false
		for _, i := range r.order {
			if g.lstates[i].until.Load() != 0 {
				cooling = true
				break
			}
		}
		if !cooling {
			r.direct = true
			return
		}
	}
	hc := &callHealth{}
	r.hc = hc
	hc.names, hc.status = hc.nbuf[:0], hc.sbuf[:0]
	for _, i := range r.order {
		hc.names = append(hc.names, g.providers[i].Name)
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
	for k, st := range hc.status {
		if st.Probe {
			hc.probes = append(hc.probes, hc.names[k])
			r.emit(Event{Kind: Probe, Provider: hc.names[k]})
		}
	}
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
	var changed func(Change)
	if r.g.cfg.observe != nil {
		changed = r.changed
	}
	r.g.lstates[r.order[a.idx]].apply(r.g.cfg.policy, &o, time.Time{}, changed)
}

// judge says what an attempt's end means for its provider's health.
func (r *run[Req, Tok]) judge(ctx context.Context, a *attempt[Tok], cause error, committed bool) Outcome {
	o := Outcome{Provider: a.info.Provider}
	switch {
	case cause == nil && committed:
		o.Result = Succeeded
		o.FirstToken = a.ttft
	case cause == nil, ctx.Err() != nil, errors.Is(cause, errs.ErrHedgeLost),
		errors.Is(cause, errStopped), errors.Is(cause, errCallEnded), errs.IsPermanent(cause):
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
//
// It runs at the very end of the relay goroutine, whose stack starts
// small: it keeps its frame lean and builds events in changed's frame.
func (r *run[Req, Tok]) record(ctx context.Context) {
	hc := r.hc
	if len(hc.probes) > 0 {
		hc.untried()
	}
	var changed func(Change)
	if r.g.cfg.observe != nil {
		changed = r.changed
	}
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

// changed reports a change of health as an event.
func (r *run[Req, Tok]) changed(c Change) {
	if c.Cooling {
		r.emit(Event{Kind: CooldownStarted, Provider: c.Provider, Until: c.Until})
	} else {
		r.emit(Event{Kind: Recovered, Provider: c.Provider})
	}
}

// event builds and emits an event of an attempt. Callers check for an
// observer first, so that without one no Event is built; the Event lives
// in this frame, not in theirs, which sit on the hot path.
//
//go:noinline
func (r *run[Req, Tok]) event(kind EventKind, a *attempt[Tok], err error, goesOn bool) {
	e := Event{Kind: kind, Provider: a.info.Provider, Attempt: a.info.Number, Err: err, GoesOn: goesOn}
	switch kind {
	case AttemptStarted:
		e.Hedge = r.h != nil && r.h.n > 0
	case FirstToken:
		e.FirstToken = time.Since(a.began)
	case Committed:
		e.FirstToken = a.ttft
	}
	r.emit(e)
}

// emit hands e to the group's observer, if it has one.
func (r *run[Req, Tok]) emit(e Event) {
	if fn := r.g.cfg.observe; fn != nil {
		e.Time = time.Now()
		e.Call = r.call
		fn(e)
	}
}
