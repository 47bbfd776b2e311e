package redishealth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/healthtest"
	"github.com/relay-go/relay/failover/redishealth"
	"github.com/relay-go/relay/stream"
)

// TestHealthKeepsTheHealthPromises runs the conformance kit that the
// in-process Health runs too, on redis-server.
func TestHealthKeepsTheHealthPromises(t *testing.T) {
	needRedis(t)
	healthtest.Check(t, func(t *testing.T) failover.Health {
		h := redishealth.New(client(t), redishealth.Options{Prefix: prefix(t)})
		t.Cleanup(h.Wait)
		return h
	})
}

// TestAHintIsSharedBetweenClients: a Retry-After hint that one client's
// call got holds for the calls of another, until it passes.
func TestAHintIsSharedBetweenClients(t *testing.T) {
	needRedis(t)
	opts := redishealth.Options{Prefix: prefix(t)}
	one, two := redishealth.New(client(t), opts), redishealth.New(client(t), opts)
	t0 := time.Now()
	one.Defer(t.Context(), "a", t0.Add(30*time.Second))
	one.Wait()
	if st := check(two, t0.Add(time.Second), "a", "b"); st[0].Deferred.UnixMilli() != t0.Add(30*time.Second).UnixMilli() || !st[1].Deferred.IsZero() {
		t.Errorf("the other client sees %+v, want a deferred for 30s and b not", st)
	}
	if st := check(two, t0.Add(30*time.Second), "a"); !st[0].Deferred.IsZero() {
		t.Errorf("once the hint passed the other client sees a deferred until %v", st[0].Deferred)
	}
}

// countCommands counts the commands a client sends to Redis.
type countCommands struct{ n atomic.Int64 }

func (c *countCommands) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *countCommands) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *countCommands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestGroupsShareARetryAfter: a provider that answers one process's call
// with a Retry-After is passed over by another process's calls as soon as
// the attempt has failed, and each call still makes one round trip on the
// way to its first attempt.
func TestGroupsShareARetryAfter(t *testing.T) {
	needRedis(t)
	opts := redishealth.Options{Prefix: prefix(t)}
	h1 := redishealth.New(client(t), opts)
	c2 := client(t)
	counted := &countCommands{}
	c2.AddHook(counted)
	h2 := redishealth.New(c2, opts)
	var aCalls atomic.Int64
	limited := func(ctx context.Context, req string) (<-chan string, <-chan error) {
		aCalls.Add(1)
		return stream.FromSlice[string, string](nil, errs.RetryAfter(errors.New("429 too many requests"), 30*time.Second))(ctx, req)
	}
	providers := []failover.Provider[string, string]{
		{Name: "a", Source: limited},
		{Name: "b", Source: stream.FromSlice[string]([]string{"b"}, nil)},
	}
	g1 := failover.New(providers, failover.Cooldown(3, time.Minute), failover.WithHealth(h1))
	g2 := failover.New(providers, failover.Cooldown(3, time.Minute), failover.WithHealth(h2))
	if got, err := stream.Collect(t.Context(), g1.Stream, "q"); err != nil || len(got) != 1 {
		t.Fatalf("got %q, %v", got, err)
	}
	h1.Wait()                                          // the hint's round trip, off the call's path
	if err := c2.Ping(t.Context()).Err(); err != nil { // the connection's own handshake
		t.Fatal(err)
	}
	before := counted.n.Load()
	ctx, rep := failover.WithReport(t.Context())
	if got, err := stream.Collect(ctx, g2.Stream, "q"); err != nil || len(got) != 1 || got[0] != "b" {
		t.Fatalf("got %q, %v", got, err)
	}
	if n := aCalls.Load(); n != 1 || len(rep.Attempts()) != 1 {
		t.Errorf("a was called %d times and the other process's call made %d attempts; want 1 and 1: the hint holds", n, len(rep.Attempts()))
	}
	if n := counted.n.Load() - before; n != 1 {
		t.Errorf("the other process's call sent %d commands to Redis, want 1 (its check; a healthy success writes nothing)", n)
	}
}

// TestARecordKeepsTheCachedHint: a Record that changes a provider's
// health keeps what the cache knows of its Retry-After hint.
func TestARecordKeepsTheCachedHint(t *testing.T) {
	needRedis(t)
	opts := redishealth.Options{Prefix: prefix(t), CacheFor: 10 * time.Second}
	one, two := redishealth.New(client(t), opts), redishealth.New(client(t), opts)
	now := time.Now()
	record(one, now.Add(-2*time.Minute), failed("a"), failed("a"))
	hint := now.Add(30 * time.Second)
	two.Defer(context.Background(), "a", hint)
	two.Wait()
	if st := check(one, now, "a"); !st[0].Probe || st[0].Deferred.UnixMilli() != hint.UnixMilli() {
		t.Fatalf("first check: %+v, want the probe and the hint", st[0])
	}
	record(one, now, failover.Outcome{Provider: "a", Result: failover.Succeeded, Probe: true})
	if st := check(one, now.Add(time.Millisecond), "a"); st[0].Deferred.UnixMilli() != hint.UnixMilli() {
		t.Errorf("after the recovery: %+v, want it deferred until %v still", st[0], hint)
	}
	one.Wait()
}
