package stream_test

// Regression tests, each named for a promise that a user found broken.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

// errStopped is what a careful source ends with when its context ends:
// its own error, wrapping the context's.
var errStopped = errors.New("upstream closed")

// careful is a source that ends with its own error, wrapping ctx's, when
// its context ends.
func careful(ctx context.Context, _ string) (<-chan string, <-chan error) {
	return stream.Generate(func(ctx context.Context, _ string, yield func(string) bool) error {
		yield("a")
		<-ctx.Done()
		return fmt.Errorf("%w: %w", errStopped, ctx.Err())
	})(ctx, "")
}

// When ctx ends, Collect and All wait for the source's own outcome and
// return it, rather than a bare context error.
func TestConsumersKeepTheSourceErrorWhenCtxEnds(t *testing.T) {
	t.Parallel()
	t.Run("Collect", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			got, err := stream.Collect(ctx, careful, "req")
			if !errors.Is(err, errStopped) || !errors.Is(err, context.DeadlineExceeded) || cmp.Diff([]string{"a"}, got) != "" {
				t.Errorf("got %q, %v; want [a] and the source's error wrapping the deadline", got, err)
			}
		})
	})
	t.Run("All", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			var last error
			for _, err := range stream.All(ctx, careful, "req") {
				last = err
			}
			if !errors.Is(last, errStopped) || !errors.Is(last, context.DeadlineExceeded) {
				t.Errorf("last error %v, want the source's error wrapping the deadline", last)
			}
		})
	})
	t.Run("a source that ignores ctx is abandoned after a grace period", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			p := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"a", "b"}, Stall: true, StallAfter: 1, IgnoreCtx: true})
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			start := time.Now()
			got, err := stream.Collect(ctx, p.Source, "req")
			if !errors.Is(err, context.DeadlineExceeded) || cmp.Diff([]string{"a"}, got) != "" {
				t.Errorf("got %q, %v; want [a] and the deadline", got, err)
			}
			if took := time.Since(start); took != time.Second+stream.Grace {
				t.Errorf("Collect took %v, want the deadline and the grace period", took)
			}
			p.Wait()
		})
	})
}

// Misuse panics at once with a message that starts "stream:".
func TestConsumersPanicOnANilSource(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"Collect": func() { stream.Collect[string, string](t.Context(), nil, "req") },
		"All":     func() { stream.All[string, string](t.Context(), nil, "req") },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); len(s) < 7 || s[:7] != "stream:" {
					t.Errorf("%s(nil source): panic %q, want one starting with stream:", name, s)
				}
			}()
			f()
		}()
	}
}

// A nil context panics at once with a message that names the function.
func TestConsumersPanicOnANilContext(t *testing.T) {
	t.Parallel()
	src := stream.FromSlice[string]([]string{"x"}, nil)
	var nilCtx context.Context
	for name, f := range map[string]func(){
		"Collect":  func() { stream.Collect(nilCtx, src, "req") },
		"All":      func() { stream.All(nilCtx, src, "req") },
		"Tee":      func() { stream.Tee(nilCtx, src, "req", 0) },
		"Generate": func() { src(nilCtx, "req") },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "stream: "+name+" needs a non-nil context") {
					t.Errorf("%s with a nil context: panic %q, want one starting with stream: %s needs a non-nil context", name, s, name)
				}
			}()
			f()
		}()
	}
}

// Every stage turns a panic in its source's call into a *errs.PanicError.
func TestEveryStageCatchesASourcePanic(t *testing.T) {
	t.Parallel()
	boom := func(context.Context, string) (<-chan string, <-chan error) { panic("boom") }
	check := func(name string, err error) {
		var pe *errs.PanicError
		if !errors.As(err, &pe) || pe.Value != "boom" {
			t.Errorf("%s: err = %v, want a PanicError holding boom", name, err)
		}
	}
	_, err := stream.Collect(t.Context(), boom, "req")
	check("Collect", err)
	_, err = stream.Collect(t.Context(), stream.Map(boom, func(s string) string { return s }), "req")
	check("Map", err)
	_, err = stream.Collect(t.Context(), stream.Filter(boom, func(string) bool { return true }), "req")
	check("Filter", err)
	_, err = stream.Collect(t.Context(), stream.Batch(boom, 2, 0), "req")
	check("Batch", err)
	a, b := stream.Tee(t.Context(), boom, "req", 0)
	for _, br := range []stream.Branch[string]{a, b} {
		for range br.Tokens {
		}
		check("Tee", <-br.Err)
	}
}

// A break out of stream.All returns at once, even while All is waiting for
// the outcome of a source whose context ended.
func TestBreakWhileSettlingReturnsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"a", "b", "c", "d"}, Gap: 10 * time.Millisecond, IgnoreCtx: true})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var broke time.Time
		for tok := range stream.All(ctx, p.Source, "req") {
			if tok == "a" {
				cancel()
				continue
			}
			broke = time.Now()
			break
		}
		if d := time.Since(broke); d != 0 {
			t.Errorf("the break returned after %v, want at once", d)
		}
		p.Wait()
	})
}

// A loop body slower than Grace does not cost the source's error, which
// was already waiting. The source has sent everything before it returns,
// so that its answer is whole before the caller cancels.
func TestSlowBodyKeepsTheSourceError(t *testing.T) {
	t.Parallel()
	sent := func(context.Context, string) (<-chan string, <-chan error) {
		out, errc := make(chan string, 4), make(chan error, 1)
		for _, tok := range []string{"a", "b", "c", "d"} {
			out <- tok
		}
		errc <- errDown
		close(errc)
		close(out)
		return out, errc
	}
	for i := range 100 {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var err error
			n := 0
			for tok, e := range stream.All(ctx, sent, "req") {
				if e != nil {
					err = e
					break
				}
				n++
				if tok == "a" {
					cancel()
				}
				time.Sleep(2 * stream.Grace)
			}
			if !errors.Is(err, errDown) || n != 4 {
				t.Fatalf("run %d: %d tokens, %v; want all 4 and the source's error", i, n, err)
			}
		})
	}
}

// A source that reported success early and closed its token channel as
// ctx ended may have cut its answer short: that is never a nil error.
func TestEarlySuccessThenCancelIsNotSuccess(t *testing.T) {
	t.Parallel()
	for i := range 100 {
		synctest.Test(t, func(t *testing.T) {
			p := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"a", "b", "c"}, Gap: 30 * time.Millisecond, OutcomeFirst: true})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
			defer cancel()
			var got []string
			var err error
			for tok, e := range stream.All(ctx, p.Source, "req") {
				if e != nil {
					err = e
					break
				}
				got = append(got, tok)
				time.Sleep(100 * time.Millisecond)
			}
			if err == nil && len(got) < 3 {
				t.Fatalf("run %d: %q and a nil error: cut short", i, got)
			}
			p.Wait()
		})
	}
}

// The same when the token channel's close is read before the success:
// the source closes both as ctx ends, and whichever of the three ready
// cases the consumer takes first, the call is not a success.
func TestCloseThenSuccessAsCtxEndsIsNotSuccess(t *testing.T) {
	t.Parallel()
	src := func(ctx context.Context, _ string) (<-chan string, <-chan error) {
		out, errc := make(chan string, 1), make(chan error)
		out <- "a"
		go func() {
			<-ctx.Done()
			close(out)
			close(errc)
		}()
		return out, errc
	}
	for i := range 200 {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var got []string
			var err error
			for tok, e := range stream.All(ctx, src, "req") {
				if e != nil {
					err = e
					break
				}
				got = append(got, tok)
				cancel()
				synctest.Wait() // the source has closed both channels
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("run %d: %q and %v, want the cancellation", i, got, err)
			}
		})
	}
}
