package main

import (
	"testing"

	"github.com/relay-go/relay/internal/examples/exampletest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOutput(t *testing.T) {
	exampletest.Output(t, run, `["Hello" " from" " primary"] served by primary
  primary try 1 at +0s: HTTP 429, retry after 200ms
  backup try 1 at +0s: HTTP 401
  primary try 2 at +200ms: served
`)
}
