package relayotel_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

// TestMetrics reads the metrics of a scripted run of one group from the
// SDK: a call served at once, one that fails over, and one that probes a
// provider after its cooldown and is served by a hedge.
func TestMetrics(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSDK()
		a := streamtest.New[string](
			streamtest.Script[string]{Tokens: []string{"x", "y", "z"}, FirstDelay: 100 * time.Millisecond},
			streamtest.Script[string]{Err: errDown},
			streamtest.Script[string]{Tokens: []string{"late"}, FirstDelay: 5 * time.Second},
		)
		b := streamtest.New[string](
			streamtest.Script[string]{Tokens: []string{"p", "q"}},
			streamtest.Script[string]{Tokens: []string{"r"}, FirstDelay: 100 * time.Millisecond},
		)
		g := failover.New(providers(a.Source, b.Source), failover.Hedge(time.Second), failover.Cooldown(1, time.Minute), s.option("chat"))
		collect(t, g.Stream, nil)
		collect(t, g.Stream, nil)
		time.Sleep(2 * time.Minute)
		collect(t, g.Stream, nil)
		synctest.Wait()

		want := map[string]map[string]string{
			"relay.calls ({call})":    {"outcome=ok,provider=a": "1", "outcome=ok,provider=b": "2"},
			"relay.call.duration (s)": {"outcome=ok,provider=a": "count=1 sum=0.1", "outcome=ok,provider=b": "count=2 sum=1.1"},
			"relay.call.tokens ({token})": {
				"outcome=ok,provider=a": "count=1 sum=3",
				"outcome=ok,provider=b": "count=2 sum=3",
			},
			"relay.attempts ({attempt})": {
				"outcome=ok,provider=a":         "1",
				"outcome=error,provider=a":      "1",
				"outcome=hedge_lost,provider=a": "1",
				"outcome=ok,provider=b":         "2",
			},
			"relay.active_attempts ({attempt})":     {"provider=a": "0", "provider=b": "0"},
			"relay.attempt.time_to_first_token (s)": {"provider=a": "count=1 sum=0.1", "provider=b": "count=2 sum=0.1"},
			"relay.failovers ({attempt})":           {"provider=a": "1"},
			"relay.hedges.started ({attempt})":      {"provider=b": "1"},
			"relay.hedges.won ({attempt})":          {"provider=b": "1"},
			"relay.hedges.lost ({attempt})":         {"provider=a": "1"},
			"relay.cooldowns ({cooldown})":          {"provider=a": "1"},
			"relay.probes ({probe})":                {"provider=a": "1"},
		}
		if diff := cmp.Diff(want, s.metrics(t)); diff != "" {
			t.Errorf("metrics (-want +got):\n%s", diff)
		}
	})
}
