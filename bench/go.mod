module github.com/relay-go/relay/bench

go 1.25.0

require (
	github.com/failsafe-go/failsafe-go v0.9.8
	github.com/redis/go-redis/v9 v9.22.0
	github.com/relay-go/relay v0.0.0
	github.com/relay-go/relay/failover/redishealth v0.0.0-00010101000000-000000000000
	github.com/relay-go/relay/failover/relayotel v0.0.0-00010101000000-000000000000
	go.opentelemetry.io/otel/metric v1.46.0
	go.opentelemetry.io/otel/sdk v1.46.0
	go.opentelemetry.io/otel/sdk/metric v1.46.0
	go.opentelemetry.io/otel/trace v1.46.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/bits-and-blooms/bitset v1.24.4 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/sourcegraph/conc v0.3.0 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.46.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

replace github.com/relay-go/relay => ../

replace github.com/relay-go/relay/failover/redishealth => ../failover/redishealth

replace github.com/relay-go/relay/failover/relayotel => ../failover/relayotel
