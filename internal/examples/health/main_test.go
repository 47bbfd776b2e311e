package main

import (
	"testing"

	"github.com/relay-go/relay/internal/examples/exampletest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOutput(t *testing.T) {
	exampletest.Output(t, run, exampletest.File(t, "testdata/output.txt"))
}

// TestREADMEShowsThisProgram keeps the README's health example identical
// to this program, and its output to this program's.
func TestREADMEShowsThisProgram(t *testing.T) {
	exampletest.InREADME(t, "main.go", "testdata/output.txt")
}
