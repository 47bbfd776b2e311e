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
		want, err := os.ReadFile("testdata/output.txt")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), b.String()); d != "" {
			t.Errorf("output (-want +got):\n%s", d)
		}
	})
}

// TestREADMEShowsThisProgram keeps the README's resume example identical
// to this program, and its output to this program's.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"main.go", "testdata/output.txt"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), string(src)) {
			t.Errorf("README.md does not contain internal/examples/resume/%s verbatim", f)
		}
	}
}
