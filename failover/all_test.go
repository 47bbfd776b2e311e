package failover_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/failover"
)

func TestAllBreakStopsTheCall(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fs := fakes([]script{{Tokens: words("w", 10), Gap: time.Hour}})
		ctx, rep := failover.WithReport(t.Context())
		for tok, err := range failover.New(providers(fs)).All(ctx, "req") {
			if err != nil || tok != "w0" {
				t.Fatalf("first pair %q, %v", tok, err)
			}
			break
		}
		synctest.Wait()
		if n := fs[0].Running(); n != 0 {
			t.Errorf("%d provider goroutines still running after the loop broke", n)
		}
		if d := diff([]att{{Provider: "a", Number: 1, Committed: true, Err: context.Canceled}}, summary(rep)); d != "" {
			t.Errorf("report (-want +got):\n%s", d)
		}
	})
}

func TestAllPanicInBodyStopsTheCall(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fs := fakes([]script{{Tokens: words("w", 10), Gap: time.Hour}})
		func() {
			defer func() {
				if r := recover(); r != "body" {
					t.Errorf("recovered %v, want the body's panic", r)
				}
			}()
			for range failover.New(providers(fs)).All(t.Context(), "req") {
				panic("body")
			}
		}()
		synctest.Wait()
		if n := fs[0].Running(); n != 0 {
			t.Errorf("%d provider goroutines still running after the body panicked", n)
		}
	})
}

func TestAllEachRangeIsANewCall(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fs := fakes(toks("x"))
		seq := failover.New(providers(fs)).All(t.Context(), "req")
		for range 2 {
			got, err := drain(seq)
			if err != nil || diff([]string{"x"}, got) != "" {
				t.Errorf("got %q, %v", got, err)
			}
		}
		if fs[0].Calls() != 2 {
			t.Errorf("%d provider calls for two ranges, want 2", fs[0].Calls())
		}
	})
}
