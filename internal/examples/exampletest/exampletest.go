// Package exampletest checks the example programs under internal/examples:
// that each prints what it should, and that the README shows each one as
// it is, so that the README's examples are programs that run.
package exampletest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
)

// Output runs an example's run function in a synctest bubble, so that its
// waits take no time, and compares what it prints with want.
func Output(t *testing.T, run func(context.Context, io.Writer) error, want string) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		var b strings.Builder
		if err := run(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != want {
			t.Errorf("output:\n%s\nwant:\n%s", got, want)
		}
	})
}

// File returns the contents of a file of the example's directory.
func File(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// InREADME checks that the repository's README contains each of the
// example's files verbatim. It runs in the example's directory, three
// levels below the README.
func InREADME(t *testing.T, files ...string) {
	t.Helper()
	readme := File(t, "../../../README.md")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.Contains(readme, File(t, f)) {
			t.Errorf("README.md does not contain internal/examples/%s/%s verbatim", filepath.Base(wd), f)
		}
	}
}
