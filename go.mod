module github.com/relay-go/relay

go 1.25

require (
	github.com/google/go-cmp v0.7.0
	github.com/sourcegraph/conc v0.3.0
	go.uber.org/goleak v1.3.0
)
