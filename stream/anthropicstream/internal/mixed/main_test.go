package main

import (
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOutput(t *testing.T) {
	var b strings.Builder
	if err := run(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	if want := "One, two, three.\nserved by claude\n"; b.String() != want {
		t.Errorf("output %q, want %q", b.String(), want)
	}
}

// TestREADMEShowsThisProgram keeps the README's SDK example identical to
// this program.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), string(self)) {
		t.Error("README.md does not contain stream/anthropicstream/internal/mixed/main.go verbatim")
	}
}
