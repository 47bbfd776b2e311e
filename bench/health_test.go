package bench

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/redishealth"
	"github.com/relay-go/relay/internal/redistest"
)

// BenchmarkHealth measures what health across calls adds to a call that
// streams one token through eight providers (the first serves): kept in
// process, and shared through a redis-server on loopback (one round trip
// as the call starts; a healthy provider's success is no news, so none as
// it ends), beside the same call without health. It starts its own
// redis-server, and skips the shared rows when there is none to start.
func BenchmarkHealth(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eight := eightOneToken()
	run := func(name string, g *failover.Group[int, int]) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				consume(g.Stream(ctx, 0))
			}
		})
	}
	run("none", group(eight...))
	run("in-process", groupWith([]failover.Option{failover.Cooldown(3, time.Minute)}, eight...))
	srv, err := redistest.Start()
	if err != nil {
		b.Logf("no shared health rows: %v", err)
		return
	}
	defer srv.Stop()
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	defer client.Close()
	shared := redishealth.New(client, redishealth.Options{Prefix: "bench", Timeout: time.Second})
	run("redis", groupWith([]failover.Option{failover.Cooldown(3, time.Minute), failover.WithHealth(shared)}, eight...))
	cached := redishealth.New(client, redishealth.Options{Prefix: "bench", Timeout: time.Second, CacheFor: time.Second})
	run("redis-cached", groupWith([]failover.Option{failover.Cooldown(3, time.Minute), failover.WithHealth(cached)}, eight...))
}
