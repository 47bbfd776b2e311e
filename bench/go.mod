module github.com/relay-go/relay/bench

go 1.25

require (
	github.com/failsafe-go/failsafe-go v0.9.8
	github.com/relay-go/relay v0.0.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/bits-and-blooms/bitset v1.24.4 // indirect
	github.com/sourcegraph/conc v0.3.0 // indirect
)

replace github.com/relay-go/relay => ../
