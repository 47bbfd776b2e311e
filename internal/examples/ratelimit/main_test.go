package main

import (
	"os"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b strings.Builder
		if err := run(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
		want := `["Hello" " from" " primary"] served by primary
  primary try 1 at +0s: HTTP 429, retry after 200ms
  backup try 1 at +0s: HTTP 401
  primary try 2 at +200ms: served
`
		if d := cmp.Diff(want, b.String()); d != "" {
			t.Errorf("output (-want +got):\n%s", d)
		}
	})
}

// TestREADMEShowsThisProgram keeps the README's policy example identical
// to this program, so the README's example is one that runs.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), string(src)) {
		t.Errorf("README.md does not contain internal/examples/ratelimit/main.go verbatim")
	}
}
