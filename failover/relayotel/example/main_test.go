package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestExampleRunsAndScrapesItsOwnMetrics runs the program, over a real
// loopback socket, and checks what it printed.
func TestExampleRunsAndScrapesItsOwnMetrics(t *testing.T) {
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- run(t.Context(), &out, 0) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the example did not end within a minute")
	}
	for _, want := range []string{
		`call 1: "Hello, world" <nil>`,
		`call 2: "Hi there" <nil>`,
		`call 3: "Hi there" <nil>`,
		"relay chat/primary",
		"[relay.hedge_lost]",
		"      relay regional (", // the inner call's span, under the outer attempt's
		`relay_calls_total{relay_group="chat",relay_outcome="ok",relay_provider="primary"} 1`,
		`relay_calls_total{relay_group="chat",relay_outcome="ok",relay_provider="regional"} 2`,
		`relay_failovers_total{relay_group="regional",relay_provider="eu"} 2`,
		`relay_hedges_won_total{relay_group="chat",relay_provider="regional"} 1`,
		`relay_call_duration_seconds_count{relay_group="chat",relay_outcome="ok",relay_provider="regional"} 2`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q; it is:\n%s", want, out.String())
		}
	}
}
