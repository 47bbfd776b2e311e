package healthtest

import (
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relay-go/relay/failover"
)

// Check runs the conformance tests, each a subtest named for the promise
// it checks, on a Health that newHealth makes for it: newHealth must
// return a fresh Health that shares nothing with those it made before
// (for a shared store, keys of their own), and may register cleanups on
// the subtest's t. Check reports failures through t and returns when
// every subtest has ended.
func Check(t *testing.T, newHealth func(t *testing.T) failover.Health) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, h failover.Health)
	}{
		{"k consecutive failures cool a provider down", consecutiveFailures},
		{"failed probes double the cooldown up to its cap", doubling},
		{"exactly one probe runs among concurrent callers", oneProbe},
		{"a probe's commit restores the provider", probeCommitRestores},
		{"neutral outcomes do not count", neutral},
		{"a Retry-After hint holds for every caller and expires", deferral},
		{"a long Retry-After hint cools the provider down", coolFor},
		{"huge durations saturate", huge},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newHealth(t)) })
	}
}

// start is the kit's time zero: now, to the second, so that stores that
// keep milliseconds see the same times.
func start() time.Time { return time.Now().Truncate(time.Second) }

func status(t *testing.T, h failover.Health, p failover.Policy, now time.Time, names ...string) []failover.Status {
	t.Helper()
	into := make([]failover.Status, len(names))
	h.Check(t.Context(), p, names, now, into)
	return into
}

// record records outcomes and returns the changes it reported.
func record(t *testing.T, h failover.Health, p failover.Policy, now time.Time, outcomes ...failover.Outcome) []failover.Change {
	t.Helper()
	var changes []failover.Change
	h.Record(t.Context(), p, outcomes, now, func(c failover.Change) { changes = append(changes, c) })
	return changes
}

func failed(name string) failover.Outcome {
	return failover.Outcome{Provider: name, Result: failover.Failed}
}

// cooled checks that changes report one cooldown of name, ending at
// until (to the millisecond).
func cooled(t *testing.T, changes []failover.Change, name string, until time.Time) {
	t.Helper()
	if len(changes) != 1 || changes[0].Provider != name || !changes[0].Cooling || changes[0].Until.UnixMilli() != until.UnixMilli() {
		t.Fatalf("changes %+v, want %s cooling until %v", changes, name, until)
	}
}

func consecutiveFailures(t *testing.T, h failover.Health) {
	p := failover.Policy{Failures: 3, Cooldown: time.Minute}
	t0 := start()
	for i := range 2 {
		if changes := record(t, h, p, t0, failed("a")); len(changes) != 0 {
			t.Fatalf("failure %d of 3 reported %+v, want nothing", i+1, changes)
		}
	}
	// A success of a provider breaks its run; another's failures do not
	// count for it.
	record(t, h, p, t0, failover.Outcome{Provider: "a", Result: failover.Succeeded})
	record(t, h, p, t0, failed("b"), failed("b"))
	for range 2 {
		record(t, h, p, t0, failed("a"))
	}
	if st := status(t, h, p, t0, "a", "b"); st[0].Cooling || st[1].Cooling {
		t.Fatalf("after two failures each: %+v, want neither cooling", st)
	}
	cooled(t, record(t, h, p, t0, failed("a")), "a", t0.Add(time.Minute))
	if st := status(t, h, p, t0.Add(time.Minute-time.Millisecond), "a", "b"); !st[0].Cooling || st[0].Probe || st[1].Cooling {
		t.Errorf("during the cooldown: %+v, want a cooling without a probe and b not", st)
	}
}

func doubling(t *testing.T, h failover.Health) {
	p := failover.Policy{Failures: 1, Cooldown: time.Second}
	now := start()
	probe := func(d time.Duration) {
		t.Helper()
		if st := status(t, h, p, now.Add(d-time.Millisecond), "a"); !st[0].Cooling || st[0].Probe {
			t.Fatalf("just before the cooldown ended a is %+v, want cooling and no probe", st[0])
		}
		now = now.Add(d)
		if st := status(t, h, p, now, "a"); !st[0].Probe || st[0].Cooling {
			t.Fatalf("once the cooldown ended a is %+v, want this caller to hold its probe", st[0])
		}
	}
	want := time.Second
	cooled(t, record(t, h, p, now, failed("a")), "a", now.Add(want))
	for i := range 9 {
		probe(want)
		want = min(2*want, failover.MaxCooldownFactor*time.Second)
		changes := record(t, h, p, now, failover.Outcome{Provider: "a", Result: failover.Failed, Probe: true})
		if len(changes) != 1 || changes[0].Until.UnixMilli() != now.Add(want).UnixMilli() {
			t.Fatalf("failed probe %d: changes %+v, want a cooldown of %v", i+1, changes, want)
		}
	}
	// A probe that succeeds restores a; the next cooldown is short again.
	probe(want)
	changes := record(t, h, p, now, failover.Outcome{Provider: "a", Result: failover.Succeeded, Probe: true})
	if len(changes) != 1 || changes[0].Cooling || changes[0].Provider != "a" {
		t.Fatalf("a successful probe reported %+v, want a's recovery", changes)
	}
	if st := status(t, h, p, now, "a"); st[0].Cooling || st[0].Probe {
		t.Errorf("after the recovery a is %+v, want healthy", st[0])
	}
	cooled(t, record(t, h, p, now, failed("a")), "a", now.Add(time.Second))
}

func oneProbe(t *testing.T, h failover.Health) {
	p := failover.Policy{Failures: 1, Cooldown: time.Minute}
	t0 := start()
	record(t, h, p, t0, failed("a"))
	at := t0.Add(time.Minute)
	var probes, cooling atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			into := make([]failover.Status, 1)
			h.Check(t.Context(), p, []string{"a"}, at, into)
			switch {
			case into[0].Probe:
				probes.Add(1)
			case into[0].Cooling:
				cooling.Add(1)
			}
		})
	}
	wg.Wait()
	if probes.Load() != 1 || cooling.Load() != 199 {
		t.Errorf("200 concurrent callers got %d probes and %d cooling, want exactly one probe and the rest cooling", probes.Load(), cooling.Load())
	}
	// A probe released without a try (Neutral) lets the next caller probe.
	record(t, h, p, at, failover.Outcome{Provider: "a", Result: failover.Neutral, Probe: true})
	if st := status(t, h, p, at, "a"); !st[0].Probe {
		t.Errorf("after the probe was released a is %+v, want the next caller to probe", st[0])
	}
}

func probeCommitRestores(t *testing.T, h failover.Health) {
	for _, failures := range []int{3, 1} {
		p := failover.Policy{Failures: failures, Cooldown: time.Second}
		name := map[int]string{3: "three", 1: "one"}[failures]
		now := start()
		// A long Retry-After cools the provider down whatever the policy.
		cooled(t, record(t, h, p, now, failover.Outcome{Provider: name, Result: failover.Failed, CoolFor: time.Second}), name, now.Add(time.Second))
		now = now.Add(time.Second)
		if st := status(t, h, p, now, name); !st[0].Probe {
			t.Fatalf("failures %d: once the cooldown ended the status is %+v, want the probe", failures, st[0])
		}
		// The probe committed, then its stream failed: the provider is
		// restored, and the failure is the first of a new run.
		changes := record(t, h, p, now, failover.Outcome{Provider: name, Result: failover.Failed, Probe: true, Committed: true})
		if len(changes) == 0 || changes[0].Cooling {
			t.Fatalf("failures %d: changes %+v, want a recovery first", failures, changes)
		}
		if failures == 1 {
			if len(changes) != 2 || !changes[1].Cooling || changes[1].Until.UnixMilli() != now.Add(time.Second).UnixMilli() {
				t.Errorf("failures 1: changes %+v, want a recovery, then a cooldown of 1s (not a doubled one)", changes)
			}
		} else if len(changes) != 1 {
			t.Errorf("failures 3: changes %+v, want a recovery alone", changes)
		}
		if st := status(t, h, p, now, name); st[0].Cooling != (failures == 1) || st[0].Probe {
			t.Errorf("failures %d: after the committed probe failed the status is %+v, want cooling %v", failures, st[0], failures == 1)
		}
	}
}

func neutral(t *testing.T, h failover.Health) {
	p := failover.Policy{Failures: 1, Cooldown: time.Minute}
	t0 := start()
	for range 10 {
		if changes := record(t, h, p, t0, failover.Outcome{Provider: "a", Result: failover.Neutral}); len(changes) != 0 {
			t.Fatalf("a neutral outcome reported %+v", changes)
		}
	}
	if st := status(t, h, p, t0, "a"); st[0].Cooling {
		t.Errorf("after ten neutral outcomes a is %+v, want healthy", st[0])
	}
	// Neutral outcomes between two failures neither count nor break the
	// run.
	p.Failures = 2
	record(t, h, p, t0, failed("b"))
	record(t, h, p, t0, failover.Outcome{Provider: "b", Result: failover.Neutral})
	cooled(t, record(t, h, p, t0, failed("b")), "b", t0.Add(time.Minute))
}

func deferral(t *testing.T, h failover.Health) {
	p := failover.Policy{Failures: 3, Cooldown: time.Minute}
	t0 := start()
	h.Defer(t.Context(), "a", t0.Add(30*time.Second))
	st := status(t, h, p, t0.Add(time.Second), "a", "b")
	if st[0].Deferred.UnixMilli() != t0.Add(30*time.Second).UnixMilli() || !st[1].Deferred.IsZero() {
		t.Fatalf("statuses %+v, want a deferred until 30s and b not", st)
	}
	if st[0].Cooling || st[0].Probe {
		t.Errorf("a deferred provider is %+v, want it neither cooling nor probed", st[0])
	}
	// A hint that ends earlier does not shorten it; one that ends later
	// lengthens it.
	h.Defer(t.Context(), "a", t0.Add(10*time.Second))
	if st := status(t, h, p, t0.Add(20*time.Second), "a"); st[0].Deferred.UnixMilli() != t0.Add(30*time.Second).UnixMilli() {
		t.Errorf("after a shorter hint a is deferred until %v, want 30s", st[0].Deferred.Sub(t0))
	}
	if st := status(t, h, p, t0.Add(30*time.Second), "a"); !st[0].Deferred.IsZero() {
		t.Errorf("once the hint passed a is deferred until %v, want no longer", st[0].Deferred)
	}
	h.Defer(t.Context(), "a", t0.Add(time.Minute))
	if st := status(t, h, p, t0.Add(40*time.Second), "a"); st[0].Deferred.UnixMilli() != t0.Add(time.Minute).UnixMilli() {
		t.Errorf("a new hint: a deferred until %v, want 1m", st[0].Deferred.Sub(t0))
	}
}

func coolFor(t *testing.T, h failover.Health) {
	p := failover.Policy{Failures: 5, Cooldown: time.Second}
	t0 := start()
	cooled(t, record(t, h, p, t0, failover.Outcome{Provider: "a", Result: failover.Failed, CoolFor: time.Hour}), "a", t0.Add(time.Hour))
	if st := status(t, h, p, t0.Add(time.Hour-time.Second), "a"); !st[0].Cooling {
		t.Errorf("before the hint's hour passed a is %+v, want cooling", st[0])
	}
}

func huge(t *testing.T, h failover.Health) {
	t0 := start()
	year := 365 * 24 * time.Hour
	p := failover.Policy{Failures: 1, Cooldown: time.Duration(math.MaxInt64)}
	changes := record(t, h, p, t0, failed("a"))
	if len(changes) != 1 || !changes[0].Cooling || changes[0].Until.Before(t0.Add(year)) {
		t.Errorf("a Cooldown of centuries: changes %+v, want a cooldown of more than a year", changes)
	}
	p = failover.Policy{Failures: 5, Cooldown: time.Second}
	changes = record(t, h, p, t0, failover.Outcome{Provider: "b", Result: failover.Failed, CoolFor: time.Duration(math.MaxInt64)})
	if len(changes) != 1 || !changes[0].Cooling || changes[0].Until.Before(t0.Add(100*year)) {
		t.Errorf("a Retry-After of centuries: changes %+v, want a cooldown of centuries", changes)
	}
	if st := status(t, h, p, t0.Add(year/2), "a"); !st[0].Cooling {
		t.Errorf("half a year into a Cooldown of centuries: %+v, want a still cooling", st)
	}
	if st := status(t, h, p, t0.Add(50*year), "b"); !st[0].Cooling {
		t.Errorf("fifty years into a Retry-After of centuries: %+v, want b still cooling", st)
	}
	h.Defer(t.Context(), "c", time.Unix(0, math.MaxInt64))
	if st := status(t, h, p, t0.Add(50*year), "c"); st[0].Deferred.Before(t0.Add(100 * year)) {
		t.Errorf("a hint of centuries: c is deferred until %v, want far later", st[0].Deferred)
	}
}
