package main

import (
	"io"
	"os"
	"testing"

	"github.com/relay-go/relay/internal/examples/exampletest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOutput(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	main()
	os.Stdout = stdout
	w.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hello, world\nserved by backup\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

// TestREADMEShowsThisProgram keeps the README's quick start identical to
// this program.
func TestREADMEShowsThisProgram(t *testing.T) {
	exampletest.InREADME(t, "main.go")
}
