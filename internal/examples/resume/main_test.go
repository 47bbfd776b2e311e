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
