// Package redishealth shares what failover groups learn of their
// providers across a fleet of processes, through Redis: a provider that
// keeps failing cools down for every replica at once, and when its
// cooldown ends one call in the whole fleet probes it, not one per
// replica.
//
//	client := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
//	health := redishealth.New(client, redishealth.Options{Prefix: "chat"})
//	g := failover.New(providers, failover.Cooldown(3, 30*time.Second), failover.WithHealth(health))
//
// It is a module of its own, so that relay's own module never depends on
// a Redis client. (Until relay is tagged, its go.mod reaches relay through
// a replace directive, so use it from within relay's repository or with a
// replace of your own.) A call costs at most one round trip as it starts
// (none within Options.CacheFor) and, when its stream ends, one more only
// if it has news for the shared health (a failure, a probe's outcome),
// each bounded by a short timeout; when Redis is slow or down, calls go
// on with in-process health and never fail for it.
package redishealth
