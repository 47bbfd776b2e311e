package failover_test

import (
	"sync"
	"testing"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

func TestANestedCallCanBeFollowed(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		bad, good := streamtest.Fails[string, string](errA), streamtest.Tokens[string]("ok")
		primary := streamtest.Fails[string, string](errB)
		var mu sync.Mutex
		var events []failover.Event
		observe := failover.Observe(func(e failover.Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		})
		tier := failover.New([]failover.Provider[string, string]{{Name: "bad", Source: bad.Source}, {Name: "good", Source: good.Source}}, observe)
		outer := failover.New([]failover.Provider[string, string]{{Name: "primary", Source: primary.Source}, {Name: "backup-tier", Source: tier.Stream}}, observe)
		ctx, rep := failover.WithReport(t.Context())
		if got, err := f.collect(ctx, outer, "req"); err != nil || diff([]string{"ok"}, got) != "" {
			t.Fatalf("got %q, %v", got, err)
		}
		// The report names the path that served and holds the inner
		// call's attempts under the outer attempt that made it.
		if rep.Served() != "backup-tier" || rep.Path() != "backup-tier/good" {
			t.Errorf("served %q by the path %q, want backup-tier and backup-tier/good", rep.Served(), rep.Path())
		}
		as := rep.Attempts()
		if len(as) != 2 || as[0].Inner != nil || as[1].Inner == nil {
			t.Fatalf("attempts %+v, want primary's without an inner report and backup-tier's with one", as)
		}
		if d := diff([]att{{Provider: "bad", Number: 1, Err: errA}, {Provider: "good", Number: 1, Committed: true}}, summaryNoTTFT(as[1].Inner)); d != "" {
			t.Errorf("the inner call's attempts (-want +got):\n%s", d)
		}
		// The inner call's events name the outer attempt that made it.
		mu.Lock()
		defer mu.Unlock()
		var outerCall, innerCall uint64
		for _, e := range events {
			if e.Kind == failover.CallStarted && e.Parent.Call == 0 {
				outerCall = e.Call
			}
		}
		for _, e := range events {
			if e.Kind == failover.CallStarted && e.Parent.Call != 0 {
				innerCall = e.Call
				if e.Parent.Call != outerCall || e.Parent.Provider != "backup-tier" || e.Parent.Number != 1 {
					t.Errorf("the inner call's parent is %+v, want backup-tier's attempt 1 of call %d", e.Parent, outerCall)
				}
			}
		}
		if innerCall == 0 || innerCall == outerCall {
			t.Errorf("no inner call of its own among the events (outer %d, inner %d)", outerCall, innerCall)
		}
		for _, e := range events {
			if e.Call == innerCall && e.Parent.Call != outerCall {
				t.Errorf("an event of the inner call lacks its parent: %+v", e)
			}
		}
		bad.Wait()
		good.Wait()
		primary.Wait()
	})
}
