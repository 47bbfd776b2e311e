package failover_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

// TestGroupKeepsTheContract runs groups of every kind through the stream
// contract checker: a group is itself a Source, so it must keep the
// contract it asks of its providers.
func TestGroupKeepsTheContract(t *testing.T) {
	for _, tc := range []struct {
		name    string
		scripts [][]script
		opts    []failover.Option
	}{
		{"one provider", [][]script{toks("x", "y")}, nil},
		{"failing over", [][]script{fails(errA), toks("x", "y")}, nil},
		{"failing after the commit", [][]script{{{Tokens: []string{"x"}, Err: errA}}}, nil},
		{"with timeouts", [][]script{{{Tokens: []string{"x", "y"}, Gap: 500 * time.Millisecond}}}, []failover.Option{failover.FirstTokenTimeout(time.Second), failover.IdleTimeout(time.Second)}},
		{"hedging", [][]script{{{Tokens: []string{"x"}, FirstDelay: time.Minute}}, toks("y", "z")}, []failover.Option{failover.Hedge(time.Second)}},
		{"with health and an observer", [][]script{fails(errA), toks("x")}, []failover.Option{failover.Cooldown(1, time.Minute), failover.Observe(func(failover.Event) {})}},
		{"with retries and backoff", [][]script{fails(errA), toks("x")}, []failover.Option{failover.Attempts(2), failover.Backoff(time.Second, time.Second)}},
		{"everyone failing", [][]script{fails(errA), fails(errB)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fs := fakes(tc.scripts...)
				if err := streamtest.Check(failover.New(providers(fs), tc.opts...).Stream, "req"); err != nil {
					t.Error(err)
				}
				waitAll(fs)
			})
		})
	}
}

// A provider that reports success before it has sent its tokens breaks the
// contract; relay still delivers every token and never returns a
// cut-short answer with a nil error.
func TestNoSilentTruncation(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		for i := range 200 {
			fs := fakes([]script{{Tokens: []string{"x", "y", "z"}, OutcomeFirst: true}})
			got, err := f.collect(t.Context(), failover.New(providers(fs)), "req")
			waitAll(fs)
			if err != nil || diff([]string{"x", "y", "z"}, got) != "" {
				t.Fatalf("run %d: got %q, %v; want every token and no error", i, got, err)
			}
		}
	})
	t.Run("a token channel left open after success ends with ErrContract", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: []string{"x", "y"}, OutcomeFirst: true, NeverClose: true}})
			got, err := f.collect(t.Context(), failover.New(providers(fs), failover.IdleTimeout(time.Second)), "req")
			waitAll(fs)
			var ce *errs.CommittedError
			if !errors.As(err, &ce) || !errors.Is(err, errs.ErrContract) || !errors.Is(err, errs.ErrIdleTimeout) {
				t.Errorf("err = %v, want a CommittedError with ErrContract and the idle timeout", err)
			}
			if diff([]string{"x", "y"}, got) != "" {
				t.Errorf("tokens %q, want x y", got)
			}
		})
	})
	t.Run("before the commit a success without content fails over even if the channel stays open", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{OutcomeFirst: true, NeverClose: true}}, toks("p"))
			ctx, rep := failover.WithReport(t.Context())
			got, err := f.collect(ctx, failover.New(providers(fs), failover.FirstTokenTimeout(time.Second)), "req")
			waitAll(fs)
			if err != nil || diff([]string{"p"}, got) != "" {
				t.Errorf("got %q, %v; want p", got, err)
			}
			if a := rep.Attempts()[0]; !errors.Is(a.Err, errs.ErrContract) || !errors.Is(a.Err, errs.ErrFirstTokenTimeout) {
				t.Errorf("a's cause = %v, want ErrContract and the first-token timeout", a.Err)
			}
		})
	})
}
