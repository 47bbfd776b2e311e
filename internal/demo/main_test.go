package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemoOutput runs the demo over its loopback servers and checks every
// line it prints.
func TestDemoOutput(t *testing.T) {
	var b strings.Builder
	if err := run(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	want := `request 1: three SSE servers; the first answers 503, the second never sends a byte
  > Failover sends the request to the next provider and never repeats a word already shown.
  served by: steady
  - overloaded try 1: failed: HTTP 503, Retry-After 30s
  - silent     try 1: failed: first-token timeout: no content token within 1s
  - steady     try 1: served

request 2: the serving server drops the connection after three events
  > Streams commit at
  error: provider "dropping" failed after 3 tokens: the connection dropped mid-stream
  served by: dropping
  - dropping   try 1: committed, then failed: the connection dropped mid-stream
the caller kept 3 tokens, each shown once; "steady" was not called (0 calls)

connections left open on the servers: 0
`
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
}
