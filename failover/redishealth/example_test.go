package redishealth_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/redishealth"
	"github.com/relay-go/relay/stream"
)

// Every replica of a service builds its group over the same Redis and
// Prefix: a provider that keeps failing cools down for all of them at
// once. (The example needs a Redis on localhost:6379, so it has no
// output to check.)
func ExampleNew() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "localhost:6379",
		ContextTimeoutEnabled: true, // lets Options.Timeout bound each round trip
	})
	defer client.Close()
	health := redishealth.New(client, redishealth.Options{
		Prefix:   "chat",
		Timeout:  20 * time.Millisecond,
		CacheFor: 100 * time.Millisecond, // most calls then cost no round trip
		Events: func(e redishealth.Event) {
			log.Printf("shared health down=%v: %v", e.Down, e.Err)
		},
	})
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: stream.FromSlice[string]([]string{"hello"}, nil)},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"hi"}, nil)},
	}, failover.Cooldown(3, 30*time.Second), failover.WithHealth(health))

	toks, err := stream.Collect(context.Background(), g.Stream, "greet me")
	fmt.Println(toks, err)
}
