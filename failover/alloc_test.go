package failover_test

import (
	"context"
	"errors"
	"testing"

	"github.com/relay-go/relay/failover"
)

// oneToken is a minimal well-behaved provider: one goroutine, two channels,
// one token. Its own cost is the baseline the relay's cost is measured
// against.
func oneToken(ctx context.Context, _ string) (<-chan string, <-chan error) {
	out := make(chan string)
	errc := make(chan error, 1)
	go func() {
		select {
		case out <- "x":
		case <-ctx.Done():
		}
		close(errc)
		close(out)
	}()
	return out, errc
}

var errDown = errors.New("down")

// failsAtOnce is a minimal provider that fails before any token.
func failsAtOnce(context.Context, string) (<-chan string, <-chan error) {
	out := make(chan string)
	errc := make(chan error, 1)
	errc <- errDown
	close(errc)
	close(out)
	return out, errc
}

// TestAllocationsPerCall pins the allocations a call adds to its providers'
// own, as the godoc of Group.Stream and Group.All states them.
func TestAllocationsPerCall(t *testing.T) {
	ctx := context.Background()
	consume := func(out <-chan string, errc <-chan error) {
		for range out {
		}
		<-errc
	}
	provider := testing.AllocsPerRun(200, func() { consume(oneToken(ctx, "")) })
	failed := testing.AllocsPerRun(200, func() { consume(failsAtOnce(ctx, "")) })
	one := failover.New([]failover.Provider[string, string]{{Name: "a", Source: oneToken}})
	twice := failover.New([]failover.Provider[string, string]{{Name: "a", Source: failsAtOnce}, {Name: "b", Source: oneToken}})
	for _, tc := range []struct {
		name  string
		f     func()
		own   float64
		extra float64
	}{
		{"Stream, one provider", func() { consume(one.Stream(ctx, "")) }, provider, 8},
		{"All, one provider", func() {
			for range one.All(ctx, "") {
			}
		}, provider, 4},
		{"Stream, failing over once", func() { consume(twice.Stream(ctx, "")) }, provider + failed, 15},
		{"All, failing over once", func() {
			for range twice.All(ctx, "") {
			}
		}, provider + failed, 11},
	} {
		got := testing.AllocsPerRun(200, tc.f) - tc.own
		if got > tc.extra {
			t.Errorf("%s: %v allocations beyond the providers' own, want at most %v", tc.name, got, tc.extra)
		}
		t.Logf("%s: %v allocations beyond the providers' own", tc.name, got)
	}
}
