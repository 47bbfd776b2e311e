package failover_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

func TestNewPanicsOnMisuse(t *testing.T) {
	t.Parallel()
	src := stream.FromSlice[string]([]string{"x"}, nil)
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"an empty name", func() { failover.New([]failover.Provider[string, string]{{Source: src}}) }, "failover: provider 0 has an empty name"},
		{"a duplicate name", func() {
			failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}, {Name: "a", Source: src}})
		}, `failover: provider name "a" is used twice`},
		{"a nil source", func() { failover.New([]failover.Provider[string, string]{{Name: "a"}}) }, `failover: provider "a" has a nil Source`},
		{"zero attempts", func() { failover.Attempts(0) }, "failover: Attempts(0)"},
		{"a negative first-token timeout", func() { failover.FirstTokenTimeout(-time.Second) }, "failover: FirstTokenTimeout(-1s)"},
		{"a negative idle timeout", func() { failover.IdleTimeout(-1) }, "failover: IdleTimeout(-1ns)"},
		{"a nil Content predicate", func() { failover.Content[string](nil) }, "failover: Content needs"},
		{"a Content predicate of another token type", func() {
			failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}}, failover.Content(func(int) bool { return true }))
		}, "failover: Content predicate is a func(int) bool, but the group's tokens are string"},
		{"a nil option", func() { failover.New[string, string](nil, nil) }, "failover: New was given a nil Option"},
		{"a negative weight", func() {
			failover.New([]failover.Provider[string, string]{{Name: "a", Source: src, Weight: -1}})
		}, `failover: provider "a" has weight -1`},
		{"a provider's negative attempts", func() {
			failover.New([]failover.Provider[string, string]{{Name: "a", Source: src, Attempts: -1}})
		}, `failover: provider "a" has a negative Attempts`},
		{"a provider's negative timeout", func() {
			failover.New([]failover.Provider[string, string]{{Name: "a", Source: src, IdleTimeout: -1}})
		}, `failover: provider "a" has a negative Attempts, FirstTokenTimeout, IdleTimeout or MaxConcurrent`},
		{"a nil Option in Options", func() { failover.Options(nil) }, "failover: Options was given a nil Option"},
		{"a provider's negative MaxConcurrent", func() {
			failover.New([]failover.Provider[string, string]{{Name: "a", Source: src, MaxConcurrent: -1}})
		}, `failover: provider "a" has a negative Attempts, FirstTokenTimeout, IdleTimeout or MaxConcurrent`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, tc.want) {
					t.Errorf("panic %v, want one starting %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

// TestConcurrentCalls runs 1,000 calls at once through one group whose
// providers fail at random before or after their first token, and checks
// that every call received exactly one provider's stream: a prefix of it
// when it failed after the commit, all of it when it succeeded, nothing
// when every attempt failed.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	const calls, length = 1000, 8
	mk := func(name string) failover.Provider[string, string] {
		return failover.Provider[string, string]{Name: name, Source: stream.Generate(
			func(ctx context.Context, req string, yield func(string) bool) error {
				seed, _ := strconv.ParseUint(req, 10, 64)
				rng := rand.New(rand.NewPCG(seed, uint64(name[0])))
				stop := rng.IntN(2 * length) // < length: fail after stop tokens
				for i := range length {
					if i == stop {
						return fmt.Errorf("%s failed after %d", name, i)
					}
					if !yield(fmt.Sprintf("%s:%d", name, i)) {
						return ctx.Err()
					}
				}
				return nil
			})}
	}
	g := failover.New([]failover.Provider[string, string]{mk("a"), mk("b"), mk("c")}, failover.Attempts(2))
	var wg sync.WaitGroup
	errc := make(chan error, calls)
	for i := range calls {
		wg.Go(func() {
			ctx, rep := failover.WithReport(t.Context())
			got, err := stream.Collect(ctx, g.Stream, strconv.Itoa(i))
			if e := checkOneStream(got, err, rep, length); e != nil {
				errc <- fmt.Errorf("call %d: %w", i, e)
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func checkOneStream(got []string, err error, rep *failover.Report, length int) error {
	served := rep.Served()
	for i, tok := range got {
		if want := fmt.Sprintf("%s:%d", served, i); tok != want {
			return fmt.Errorf("token %d is %q, want %q: streams were mixed or repeated", i, tok, want)
		}
	}
	var ce *errs.CommittedError
	var fe *errs.FailoverError
	switch {
	case err == nil:
		if len(got) != length {
			return fmt.Errorf("success after %d tokens, want %d", len(got), length)
		}
	case errors.As(err, &ce):
		if ce.Provider != served || ce.Emitted != len(got) {
			return fmt.Errorf("%v after %d tokens from %q", err, len(got), served)
		}
	case errors.As(err, &fe):
		if len(got) != 0 || served != "" || len(fe.Attempts) != 6 {
			return fmt.Errorf("%v with %d tokens", err, len(got))
		}
	default:
		return fmt.Errorf("unexpected error %v", err)
	}
	return nil
}

// Misuse panics at once with a message that says what went wrong.
func TestNilGroupPanicsWithAMessage(t *testing.T) {
	t.Parallel()
	var g *failover.Group[string, string]
	for name, f := range map[string]func(){
		"Stream": func() { g.Stream(t.Context(), "req") },
		"All":    func() { g.All(t.Context(), "req") },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); len(s) < 9 || s[:9] != "failover:" {
					t.Errorf("%s on a nil *Group: panic %q, want one starting with failover:", name, s)
				}
			}()
			f()
		}()
	}
}

// A nil context panics at once, on the caller's goroutine, with a message
// that names the function.
func TestNilContextPanicsWithAMessage(t *testing.T) {
	t.Parallel()
	g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: stream.FromSlice[string]([]string{"x"}, nil)}})
	var nilCtx context.Context
	for name, f := range map[string]func(){
		"Stream":     func() { g.Stream(nilCtx, "req") },
		"All":        func() { g.All(nilCtx, "req") },
		"Ignore":     func() { failover.Ignore(nilCtx, "a") },
		"WithReport": func() { failover.WithReport(nilCtx) },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "failover: "+name+" needs a non-nil context") {
					t.Errorf("%s with a nil context: panic %q, want one starting with failover: %s needs a non-nil context", name, s, name)
				}
			}()
			f()
		}()
	}
	if _, ok := failover.AttemptOf(nilCtx); ok {
		t.Error("AttemptOf(nil) reports an attempt")
	}
}

func TestOptionsBundlesOptions(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes(fails(errA), toks("x"))
		g := failover.New(providers(fs), failover.Options(failover.Attempts(2), failover.Options()))
		ctx, rep := failover.WithReport(t.Context())
		if got, err := f.collect(ctx, g, "req"); err != nil || diff([]string{"x"}, got) != "" || tried(rep) != "aab" {
			t.Errorf("got %q, %v after %q; want x from b after a twice: Attempts(2) inside Options applies", got, err, tried(rep))
		}
		waitAll(fs)
	})
}
