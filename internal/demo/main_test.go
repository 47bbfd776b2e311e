package main

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemoOutput runs the demo on fake time and checks every line it prints.
func TestDemoOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b strings.Builder
		if err := run(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
		want := `request 1: three providers; the first fails at once, the second stalls
  > Failover sends the request to the next provider and never repeats a word already shown.
  served by: steady
  - fast-fail try 1: failed: 503 service unavailable
  - stalled   try 1: failed: first-token timeout: no token within 300ms
  - steady    try 1: served, first token after 40ms

request 2: the serving provider breaks mid-stream
  > Streams commit at their first token, so after that
  error: relay: provider "flaky" failed after 9 tokens: connection reset by peer
  served by: flaky
  - flaky     try 1: committed, then failed: connection reset by peer
the caller kept 9 tokens, each shown once; "backup" was never called (0 calls)
`
		if d := cmp.Diff(want, b.String()); d != "" {
			t.Errorf("output (-want +got):\n%s", d)
		}
	})
}
