package failover_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
)

// named returns providers that answer with their own name.
func named(names ...string) []failover.Provider[string, string] {
	var ps []failover.Provider[string, string]
	for _, n := range names {
		ps = append(ps, failover.Provider[string, string]{Name: n, Source: stream.FromSlice[string]([]string{n}, nil)})
	}
	return ps
}

// firsts makes n calls and counts who served each.
func firsts(t *testing.T, f form, g *failover.Group[string, string], n int) map[string]int {
	out := map[string]int{}
	for range n {
		got, err := f.collect(t.Context(), g, "req")
		if err != nil || len(got) != 1 {
			t.Fatalf("got %q, %v", got, err)
		}
		out[got[0]]++
	}
	return out
}

func TestRoundRobinSpreadsExactly(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		g := failover.New(named("a", "b", "c"), failover.RoundRobin())
		var b strings.Builder
		for range 7 {
			got, err := f.collect(t.Context(), g, "req")
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(got[0])
		}
		if got := b.String(); got != "abcabca" {
			t.Errorf("served %q, want abcabca", got)
		}
		if d := diff(map[string]int{"a": 100, "b": 100, "c": 100}, firsts(t, f, g, 300)); d != "" {
			t.Errorf("first places over 300 calls (-want +got):\n%s", d)
		}
	})
	t.Run("a failed provider is followed by the next in the rotation", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes(fails(errA), toks("b"), toks("c"))
			g := failover.New(providers(fs), failover.RoundRobin())
			var b strings.Builder
			for range 3 {
				got, err := f.collect(t.Context(), g, "req")
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString(got[0])
			}
			if got := b.String(); got != "bbc" {
				t.Errorf("served %q, want bbc: a fails over to b, then b and c start", got)
			}
			waitAll(fs)
		})
	})
}

func TestWeightsHoldOverManyCalls(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		ps := named("a", "b", "c", "d")
		weights := []float64{1, 2, 3, 0} // 0 counts as 1
		for i := range ps {
			ps[i].Weight = weights[i]
		}
		const calls = 10_000
		got := firsts(t, f, failover.New(ps, failover.Weighted(11)), calls)
		total := 7.0
		for i, p := range ps {
			w := max(weights[i], 1)
			p0 := w / total
			mean, sd := calls*p0, math.Sqrt(calls*p0*(1-p0))
			// Five standard deviations: a false alarm once in millions.
			if n := float64(got[p.Name]); math.Abs(n-mean) > 5*sd {
				t.Errorf("%s (weight %v) went first %v times in %d calls, want %.0f ± %.0f", p.Name, weights[i], n, calls, mean, 5*sd)
			}
		}
	})
}

func TestPerProviderSettingsOverrideTheGroup(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes(
			[]script{{Err: errA}},
			[]script{{Tokens: []string{"x"}, FirstDelay: 3 * time.Second}},
			toks("p"),
		)
		ps := providers(fs)
		ps[0].Attempts = 3                        // the group says 1
		ps[1].FirstTokenTimeout = 2 * time.Second // the group says 10s
		g := failover.New(ps, failover.FirstTokenTimeout(10*time.Second))
		ctx, rep := failover.WithReport(t.Context())
		got, err := f.collect(ctx, g, "req")
		waitAll(fs)
		if err != nil || diff([]string{"p"}, got) != "" {
			t.Errorf("got %q, %v", got, err)
		}
		want := []att{
			{Provider: "a", Number: 1, Err: errA},
			{Provider: "a", Number: 2, Err: errA},
			{Provider: "a", Number: 3, Err: errA},
			{Provider: "b", Number: 1, Err: errs.ErrFirstTokenTimeout},
			{Provider: "c", Number: 1, Committed: true},
		}
		if d := diff(want, summary(rep)); d != "" {
			t.Errorf("report (-want +got):\n%s", d)
		}
	})
	t.Run("a provider's idle timeout", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: []string{"x", "y"}, Gap: 3 * time.Second}})
			ps := providers(fs)
			ps[0].IdleTimeout = time.Second
			got, err := f.collect(t.Context(), failover.New(ps), "req")
			waitAll(fs)
			if diff([]string{"x"}, got) != "" || !strings.Contains(err.Error(), "idle timeout") {
				t.Errorf("got %q, %v; want x and an idle timeout", got, err)
			}
		})
	})
}
