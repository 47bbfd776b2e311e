package streamtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

var errDown = errors.New("down")

func TestCheckPassesSourcesThatKeepTheContract(t *testing.T) {
	// Each source is made inside its bubble, so that its channels and
	// timers belong to it.
	for name, mk := range map[string]func() stream.Source[string, string]{
		"FromSlice":     func() stream.Source[string, string] { return stream.FromSlice[string]([]string{"a", "b"}, nil) },
		"FromSlice err": func() stream.Source[string, string] { return stream.FromSlice[string]([]string{"a"}, errDown) },
		"a script": func() stream.Source[string, string] {
			return streamtest.New[string](streamtest.Script[string]{Tokens: []string{"a", "b"}, Gap: time.Second, Err: errDown}).Source
		},
		"Map": func() stream.Source[string, string] {
			return stream.Map(stream.FromSlice[string]([]string{"a"}, nil), strings.ToUpper)
		},
		"a failover group": func() stream.Source[string, string] {
			return failover.New([]failover.Provider[string, string]{
				{Name: "down", Source: stream.FromSlice[string, string](nil, errDown)},
				{Name: "up", Source: stream.FromSlice[string]([]string{"a", "b"}, nil)},
			}, failover.IdleTimeout(time.Second)).Stream
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				if err := streamtest.Check(mk(), "req"); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

func TestCheckReportsWhatASourceBreaks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script streamtest.Script[string]
		want   []string
	}{
		{"a nil token channel", streamtest.Script[string]{Tokens: []string{"a"}, NilTokens: true},
			[]string{"read to its end: it returned a nil token channel"}},
		{"the outcome after the close", streamtest.Script[string]{Tokens: []string{"a"}, Err: errDown, ErrAfterClose: true, LateBy: time.Millisecond},
			[]string{"read to its end: its token channel closed before its outcome was on its error channel"}},
		{"a send that ignores cancellation", streamtest.Script[string]{Tokens: []string{"a", "b", "c"}, IgnoreCtx: true},
			[]string{"cancelled after its first token, with nobody reading: it did not end within 1s"}},
		{"a stall that ignores cancellation", streamtest.Script[string]{Tokens: []string{"a"}, Stall: true, StallAfter: 1, IgnoreCtx: true},
			[]string{"read to its end: it sent nothing for 10s and did not end", "cancelled after its first token, with nobody reading: it did not end within 1s", "goroutines it started still run"}},
		{"an error with the token channel left open", streamtest.Script[string]{Tokens: []string{"a"}, Err: errDown, ErrOpen: true},
			[]string{"its token channel was still open 1s after its outcome"}},
		{"tokens after the outcome", streamtest.Script[string]{Tokens: []string{"a", "b", "c"}, OutcomeFirst: true},
			[]string{"read to its end: it sent ", "token(s) after its outcome"}},
		{"a panic in the call", streamtest.Script[string]{Panic: "boom"},
			[]string{"read to its end: it panicked: boom"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := streamtest.New[string](tc.script)
				err := streamtest.Check(p.Source, "req")
				p.Release()
				if err == nil {
					t.Fatal("Check passed a source that breaks the contract")
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("the report lacks %q; it is:\n%v", w, err)
					}
				}
				p.Wait()
				synctest.Wait()
			})
		})
	}
}

func TestCheckSeesALeakedGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		leaky := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			go func() { <-release }() // started for each call, never stopped
			return stream.FromSlice[string]([]string{"a"}, nil)(ctx, req)
		}
		err := streamtest.Check(leaky, "req")
		close(release)
		if err == nil || !strings.Contains(err.Error(), "goroutines it started still run") || !strings.Contains(err.Error(), "TestCheckSeesALeakedGoroutine") {
			t.Errorf("err = %v, want the leaked goroutine named", err)
		}
	})
}

// TestCheckAlwaysSeesATokenAfterTheOutcome: a source that puts its outcome
// between two sends on an unbuffered channel is reported every time, not
// by chance.
func TestCheckAlwaysSeesATokenAfterTheOutcome(t *testing.T) {
	late := func(ctx context.Context, _ string) (<-chan string, <-chan error) {
		out, errc := make(chan string), make(chan error, 1)
		go func() {
			defer close(out)
			for i, tok := range []string{"a", "b"} {
				if i == 1 {
					errc <- errDown // the outcome, with a token still to come
					close(errc)
				}
				select {
				case out <- tok:
				case <-ctx.Done():
					return
				}
			}
		}()
		return out, errc
	}
	for range 100 {
		synctest.Test(t, func(t *testing.T) {
			err := streamtest.Check(late, "req")
			if err == nil || !strings.Contains(err.Error(), "token(s) after its outcome") {
				t.Fatalf("Check = %v, want it to report the token after the outcome", err)
			}
		})
	}
}
