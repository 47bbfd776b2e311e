package bench

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/redishealth"
)

// BenchmarkHealth measures what health across calls adds to a call that
// streams one token through eight providers (the first serves): kept in
// process, and shared through a redis-server on loopback (one round trip
// as the call starts; a healthy provider's success is no news, so none as
// it ends), beside the same call without
// health. It starts its own redis-server, and skips the shared rows when
// there is none to start.
func BenchmarkHealth(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eight := make([]func(context.Context, int) (<-chan int, <-chan error), 8)
	for i := range eight {
		eight[i] = oneToken
	}
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
	addr, stop, err := startRedis()
	if err != nil {
		b.Logf("no shared health rows: %v", err)
		return
	}
	defer stop()
	client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	defer client.Close()
	shared := redishealth.New(client, redishealth.Options{Prefix: "bench", Timeout: time.Second})
	run("redis", groupWith([]failover.Option{failover.Cooldown(3, time.Minute), failover.WithHealth(shared)}, eight...))
	cached := redishealth.New(client, redishealth.Options{Prefix: "bench", Timeout: time.Second, CacheFor: time.Second})
	run("redis-cached", groupWith([]failover.Option{failover.Cooldown(3, time.Minute), failover.WithHealth(cached)}, eight...))
}

// startRedis starts a redis-server on a free loopback port.
func startRedis() (addr string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	addr = "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return addr, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, err
		}
	}
}
