package redishealth_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/redishealth"
	"github.com/relay-go/relay/stream"
)

var policy = failover.Policy{Failures: 2, Cooldown: time.Minute}

// run tells this test process's keys from those of earlier runs against
// the same server (go test -count=2).
var run = strconv.FormatInt(time.Now().UnixNano(), 36)

// prefix gives each test keys of its own.
func prefix(t *testing.T) string { return "test:" + run + ":" + t.Name() }

func check(h failover.Health, now time.Time, names ...string) []failover.Status {
	into := make([]failover.Status, len(names))
	h.Check(context.Background(), policy, names, now, into)
	return into
}

func record(h failover.Health, now time.Time, os ...failover.Outcome) []failover.Change {
	var changes []failover.Change
	h.Record(context.Background(), policy, os, now, func(c failover.Change) { changes = append(changes, c) })
	return changes
}

func failed(name string) failover.Outcome {
	return failover.Outcome{Provider: name, Result: failover.Failed}
}

// TestCooldownIsSharedBetweenClients drives two Healths over separate
// clients through a cooldown, a failed probe, a doubled cooldown and a
// recovery, with times of its own choosing.
func TestCooldownIsSharedBetweenClients(t *testing.T) {
	needRedis(t)
	opts := redishealth.Options{Prefix: prefix(t)}
	one, two := redishealth.New(client(t), opts), redishealth.New(client(t), opts)
	t0 := time.Now()
	record(one, t0, failed("a"))
	if st := check(two, t0, "a"); st[0].Cooling {
		t.Fatalf("cooling after one failure of two")
	}
	changes := record(two, t0, failed("a"))
	if len(changes) != 1 || !changes[0].Cooling || changes[0].Until.UnixMilli() != t0.Add(time.Minute).UnixMilli() {
		t.Fatalf("changes %+v, want a cooldown for a minute", changes)
	}
	if st := check(one, t0.Add(time.Second), "a", "b"); !st[0].Cooling || st[1].Cooling {
		t.Errorf("the other client sees %+v, want a cooling and b not", st)
	}
	// The cooldown ends: one probe, which fails; the next cooldown is twice
	// as long.
	at := t0.Add(time.Minute)
	if st := check(two, at, "a"); !st[0].Probe {
		t.Fatalf("no probe once the cooldown ended: %+v", st)
	}
	if st := check(one, at, "a"); st[0].Probe || !st[0].Cooling {
		t.Errorf("a second probe was given: %+v", st)
	}
	changes = record(two, at, failover.Outcome{Provider: "a", Result: failover.Failed, Probe: true})
	if len(changes) != 1 || changes[0].Until.UnixMilli() != at.Add(2*time.Minute).UnixMilli() {
		t.Errorf("changes %+v, want a cooldown of two minutes", changes)
	}
	at = at.Add(2 * time.Minute)
	if st := check(one, at, "a"); !st[0].Probe {
		t.Fatalf("no probe after the doubled cooldown: %+v", st)
	}
	changes = record(one, at, failover.Outcome{Provider: "a", Result: failover.Succeeded, Probe: true})
	if len(changes) != 1 || changes[0].Cooling {
		t.Errorf("changes %+v, want a recovery", changes)
	}
	if st := check(two, at, "a"); st[0].Cooling || st[0].Probe {
		t.Errorf("after the recovery: %+v", st)
	}
}

// TestKeysOutliveTheirCooldown: a failure during a long cooldown keeps
// the key alive past the cooldown, so that no process forgets it early.
func TestKeysOutliveTheirCooldown(t *testing.T) {
	needRedis(t)
	c := client(t)
	h := redishealth.New(c, redishealth.Options{Prefix: prefix(t), TTL: time.Minute})
	t0 := time.Now()
	record(h, t0, failover.Outcome{Provider: "a", Result: failover.Failed, CoolFor: 3 * time.Hour})
	record(h, t0.Add(time.Second), failed("a"))
	ttl, err := c.PTTL(t.Context(), "{"+prefix(t)+"}:a").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < 3*time.Hour {
		t.Errorf("the key lives %v more after a failure during a cooldown of 3h: it would expire before the cooldown ends", ttl)
	}
}

// TestReleasingAProbeDoesNotRecreateItsKey: a probe released (its call
// cancelled) after another process's success removed the provider's key
// leaves no key behind, and none without a time to live.
func TestReleasingAProbeDoesNotRecreateItsKey(t *testing.T) {
	needRedis(t)
	c := client(t)
	opts := redishealth.Options{Prefix: prefix(t)}
	one, two := redishealth.New(c, opts), redishealth.New(client(t), opts)
	t0 := time.Now()
	record(one, t0, failed("a"), failed("a"))
	at := t0.Add(time.Minute)
	if st := check(one, at, "a"); !st[0].Probe {
		t.Fatalf("no probe once the cooldown ended: %+v", st)
	}
	record(two, at, failover.Outcome{Provider: "a", Result: failover.Succeeded})
	record(one, at, failover.Outcome{Provider: "a", Result: failover.Neutral, Probe: true})
	key := "{" + prefix(t) + "}:a"
	n, err := c.Exists(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		ttl, _ := c.PTTL(t.Context(), key).Result()
		t.Errorf("the released probe left the key behind, with time to live %v", ttl)
	}
}

// TestUpdatesAreAtomic records 400 failures at once from four clients
// under a threshold none reaches: not one may be lost.
func TestUpdatesAreAtomic(t *testing.T) {
	needRedis(t)
	opts := redishealth.Options{Prefix: prefix(t)}
	c := client(t)
	var wg sync.WaitGroup
	for i := range 4 {
		h := redishealth.New(client(t), opts)
		wg.Go(func() {
			for range 100 {
				h.Record(context.Background(), failover.Policy{Failures: 1000, Cooldown: time.Minute}, []failover.Outcome{failed("a")}, time.Now(), nil)
			}
			_ = i
		})
	}
	wg.Wait()
	key := "{" + prefix(t) + "}:a"
	if n, err := c.HGet(context.Background(), key, "fails").Int(); err != nil || n != 400 {
		t.Errorf("fails = %d, %v; want 400", n, err)
	}
	if ttl, err := c.PTTL(context.Background(), key).Result(); err != nil || ttl <= 0 {
		t.Errorf("the key's time to live is %v, %v; want it to expire on its own", ttl, err)
	}
}

// TestTwoProcessesShareHealth records a cooldown in another process and
// sees it here.
func TestTwoProcessesShareHealth(t *testing.T) {
	needRedis(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REDISHEALTH_CHILD="+srv.Addr(), "REDISHEALTH_PREFIX="+prefix(t))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the other process: %v\n%s", err, out)
	}
	h := redishealth.New(client(t), redishealth.Options{Prefix: prefix(t)})
	if st := check(h, time.Now(), "a"); !st[0].Cooling {
		t.Errorf("this process sees %+v, want a cooling down after the other's failures", st)
	}
}

// child is the other process of TestTwoProcessesShareHealth.
func child() int {
	c := newClient(os.Getenv("REDISHEALTH_CHILD"))
	defer c.Close()
	h := redishealth.New(c, redishealth.Options{Prefix: os.Getenv("REDISHEALTH_PREFIX"), Timeout: 5 * time.Second})
	now := time.Now()
	if ch := record(h, now, failed("a"), failed("a")); len(ch) != 1 {
		fmt.Fprintln(os.Stderr, "no cooldown started:", ch)
		return 1
	}
	return 0
}

// group makes a failover group over a failing and a healthy provider,
// keeping health in h.
func group(h failover.Health) (*failover.Group[string, string], *atomic.Int64) {
	var aCalls atomic.Int64
	down := func(ctx context.Context, req string) (<-chan string, <-chan error) {
		aCalls.Add(1)
		return stream.FromSlice[string, string](nil, errors.New("a is down"))(ctx, req)
	}
	return failover.New([]failover.Provider[string, string]{
		{Name: "a", Source: down},
		{Name: "b", Source: stream.FromSlice[string]([]string{"b"}, nil)},
	}, failover.Cooldown(2, time.Minute), failover.WithHealth(h)), &aCalls
}

// TestGroupsShareCooldowns runs two groups, each over its own client:
// what one learns, the other acts on.
func TestGroupsShareCooldowns(t *testing.T) {
	needRedis(t)
	opts := redishealth.Options{Prefix: prefix(t)}
	g1, a1 := group(redishealth.New(client(t), opts))
	g2, a2 := group(redishealth.New(client(t), opts))
	for range 2 {
		if _, err := stream.Collect(t.Context(), g1.Stream, "q"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, rep := failover.WithReport(t.Context())
	if _, err := stream.Collect(ctx, g2.Stream, "q"); err != nil {
		t.Fatal(err)
	}
	if a1.Load() != 2 || a2.Load() != 0 || strings.Join(rep.Cooling(), ",") != "a" {
		t.Errorf("a was called %d and %d times, and the second group's call moved %q last; want 2, 0 and a", a1.Load(), a2.Load(), rep.Cooling())
	}
}

// TestRedisDownDegradesToLocalHealth stops and pauses the server in the
// middle of a run: no call fails for it, events say so, and the shared
// store is used again once it answers.
func TestRedisDownDegradesToLocalHealth(t *testing.T) {
	needRedis(t)
	var mu sync.Mutex
	var events []string
	const timeout = 50 * time.Millisecond
	h := redishealth.New(client(t), redishealth.Options{
		Prefix: prefix(t), Timeout: timeout, RetryEvery: time.Millisecond,
		Events: func(e redishealth.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("down=%v", e.Down))
		},
	})
	g, _ := group(h)
	call := func(what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		got, err := stream.Collect(ctx, g.Stream, "q")
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: got %q, %v; want b's answer", what, got, err)
		}
		// A call waits at most Timeout for its Check and Timeout for its
		// Record; the rest of the bound is room for a loaded machine.
		if d := time.Since(start); d > 2*timeout+500*time.Millisecond {
			t.Errorf("%s: the call took %v: it waited on Redis longer than 2 × Timeout (%v)", what, d, timeout)
		}
	}
	call("with Redis up")
	// Paused: Redis takes the connection and never answers.
	paused := srv.Process()
	paused.Signal(syscall.SIGSTOP)
	t.Cleanup(func() { paused.Signal(syscall.SIGCONT) }) // if a call fails the test
	call("with Redis paused")
	call("with Redis paused, again")
	paused.Signal(syscall.SIGCONT)
	// Stopped: connections are refused.
	srv.Stop()
	call("with Redis stopped")
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		call("with Redis back")
		mu.Lock()
		n := len(events)
		last := ""
		if n > 0 {
			last = events[n-1]
		}
		mu.Unlock()
		if last == "down=false" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Health did not go back to Redis; events %v", events)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) < 2 || events[0] != "down=true" {
		t.Errorf("events %v, want down, then back", events)
	}
}

// TestConcurrentCallsAcrossClients makes 1,000 calls at once through four
// groups over four clients sharing one health.
func TestConcurrentCallsAcrossClients(t *testing.T) {
	needRedis(t)
	opts := redishealth.Options{Prefix: prefix(t), Timeout: 5 * time.Second}
	var gs []*failover.Group[string, string]
	var calls []*atomic.Int64
	for range 4 {
		g, a := group(redishealth.New(client(t), opts))
		gs, calls = append(gs, g), append(calls, a)
	}
	// One group alone cools a down, for every client.
	for range 2 {
		if _, err := stream.Collect(t.Context(), gs[0].Stream, "q"); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls[0].Load(); n != 2 {
		t.Fatalf("a was tried %d times in two calls, want 2", n)
	}
	calls[0].Store(0)
	// Ten waves of 100 calls at once, spread over the four groups: every
	// one gets b's answer, and none tries a, which it finds cooling (each
	// group over its own health would try it until it cooled a down
	// itself).
	var bad atomic.Int64
	for wave := range 10 {
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				got, err := stream.Collect(t.Context(), gs[(wave+i)%4].Stream, "q")
				if err != nil || len(got) != 1 || got[0] != "b" {
					bad.Add(1)
				}
			})
		}
		wg.Wait()
	}
	if n := bad.Load(); n != 0 {
		t.Errorf("%d of 1,000 calls did not get b's answer", n)
	}
	total := int64(0)
	for _, c := range calls {
		total += c.Load()
	}
	if total != 0 {
		t.Errorf("a was tried %d times in 1,000 calls while it was cooling for every client", total)
	}
}

func TestNewPanicsOnMisuse(t *testing.T) {
	unbounded := redis.NewClient(&redis.Options{MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	defer unbounded.Close()
	bounded := newClient("127.0.0.1:1")
	defer bounded.Close()
	for name, f := range map[string]func(){
		"a nil client": func() { redishealth.New(nil, redishealth.Options{}) },
		"a client whose reads ignore the context": func() {
			redishealth.New(unbounded, redishealth.Options{})
		},
		"a negative timeout": func() {
			redishealth.New(bounded, redishealth.Options{Timeout: -1})
		},
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "failover:") {
					t.Errorf("%s: panic %q, want one starting with failover:", name, s)
				}
			}()
			f()
		}()
	}
}
