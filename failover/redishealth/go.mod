module github.com/relay-go/relay/failover/redishealth

go 1.25

require (
	github.com/redis/go-redis/v9 v9.22.0
	github.com/relay-go/relay v0.0.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/sourcegraph/conc v0.3.0 // indirect
	go.uber.org/atomic v1.11.0 // indirect
	golang.org/x/sys v0.30.0 // indirect
)

replace github.com/relay-go/relay => ../..
