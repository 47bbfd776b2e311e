package failover_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

// Same mechanism through a slow Content func on b's first token.
func TestHedgeRegressionSlowContentIsNotAnotherAttemptsSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep20 := func(s string) (x []string) {
			for range 20 {
				x = append(x, s)
			}
			return x
		}
		a := streamtest.New[string](streamtest.Script[string]{Tokens: append(rep20("#a"), "a-content"), Gap: 10 * time.Millisecond, Buffer: 64})
		b := streamtest.New[string](streamtest.Script[string]{Tokens: append(append([]string{"#slow"}, rep20("#b")...), "b-content"), FirstDelay: 2 * time.Millisecond, Gap: 20 * time.Millisecond, Buffer: 64})
		content := func(s string) bool {
			if s == "#slow" {
				time.Sleep(100 * time.Millisecond)
			}
			return isContent(s)
		}
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}, {Name: "b", Source: b.Source}},
			failover.IdleTimeout(30*time.Millisecond), failover.Content(content), failover.Hedge(time.Millisecond))
		ctx, rep := failover.WithReport(t.Context())
		got, err := drain(g.All(ctx, "req"))
		a.Wait()
		b.Wait()
		if len(got) == 0 || got[len(got)-1] != "a-content" {
			t.Errorf("got %q, %v; attempts %+v; want a to win with a-content", got, err, rep.Attempts())
		}
	})
}
