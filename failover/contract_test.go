package failover_test

import (
	"testing"
	"testing/synctest"
	"time"

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
