package failover_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

// probe: a's metadata arrives every 10ms (idle 30ms), yet a slow Observe on
// b's FirstToken (100ms) keeps a's idle bracket open: a is ended with
// ErrIdleTimeout though relay was not waiting for it.
func TestHedgeRegressionSlowObserverIsNotAnotherAttemptsSilence(t *testing.T) {
	for _, hedge := range []bool{false, true} {
		t.Run(map[bool]string{false: "no-hedge", true: "hedge"}[hedge], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var at []string
				for range 20 {
					at = append(at, "#a")
				}
				a := streamtest.New[string](streamtest.Script[string]{Tokens: append(at, "a-content"), Gap: 10 * time.Millisecond, Buffer: 64})
				var bt []string
				for range 20 {
					bt = append(bt, "#b")
				}
				// b: metadata every 20ms from 2ms, content at ~402ms (after a's at 200ms).
				b := streamtest.New[string](streamtest.Script[string]{Tokens: append(bt, "b-content"), FirstDelay: 2 * time.Millisecond, Gap: 20 * time.Millisecond, Buffer: 64})
				slow := func(e failover.Event) {
					// Slow observer on one event of the other provider
					// (or, without hedging, on a's own first token).
					if e.Kind == failover.FirstToken && (e.Provider == "b" || !hedge) {
						time.Sleep(100 * time.Millisecond)
					}
				}
				opts := []failover.Option{failover.IdleTimeout(30 * time.Millisecond), failover.Observe(slow),
					failover.Content(isContent)}
				if hedge {
					opts = append(opts, failover.Hedge(time.Millisecond))
				}
				g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}, {Name: "b", Source: b.Source}}, opts...)
				ctx, rep := failover.WithReport(t.Context())
				got, err := drain(g.All(ctx, "req"))
				a.Wait()
				b.Wait()
				for _, x := range rep.Attempts() {
					t.Logf("%s#%d committed=%v err=%v", x.Provider, x.Number, x.Committed, x.Err)
				}
				if len(got) == 0 || got[len(got)-1] != "a-content" {
					t.Errorf("got %q, %v; want a to win with a-content (a was never silent for 30ms)", got, err)
				}
			})
		})
	}
}
