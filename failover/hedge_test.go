package failover_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

func TestHedgeWinnerIsTheFirstToCommit(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// a starts first but answers late; b starts at the hedge and wins.
		fs := fakes(
			[]script{{Tokens: []string{"a0", "a1"}, FirstDelay: 10 * time.Second}},
			[]script{{Tokens: []string{"b0", "b1"}, FirstDelay: time.Second}},
		)
		g := failover.New(providers(fs), failover.Hedge(2*time.Second))
		ctx, rep := failover.WithReport(t.Context())
		t0 := time.Now()
		got, err := f.collect(ctx, g, "req")
		if err != nil || diff([]string{"b0", "b1"}, got) != "" {
			t.Errorf("got %q, %v; want b's stream", got, err)
		}
		if took := time.Since(t0); took != 3*time.Second {
			t.Errorf("took %v, want 3s: the hedge at 2s, its first token 1s later", took)
		}
		synctest.Wait()
		if n := fs[0].Running(); n != 0 {
			t.Errorf("the losing attempt still runs %d goroutines", n)
		}
		want := []att{
			{Provider: "a", Number: 1, Err: errs.ErrHedgeLost},
			{Provider: "b", Number: 1, Committed: true, FirstToken: time.Second},
		}
		if d := diff(want, summary(rep)); d != "" {
			t.Errorf("report (-want +got):\n%s", d)
		}
		if d := diff([]time.Duration{0, 2 * time.Second}, starts(rep, t0)); d != "" {
			t.Errorf("starts (-want +got):\n%s", d)
		}
		waitAll(fs)
	})
}

func TestHedgeNoLoserTokenReachesTheCaller(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// Both start at once and send their first token at the same
		// instant; a non-content token first, so each has something held.
		fs := fakes(
			[]script{{Tokens: []string{"#a", "a0", "a1", "a2"}, FirstDelay: time.Second}},
			[]script{{Tokens: []string{"#b", "b0", "b1", "b2"}, FirstDelay: time.Second}},
		)
		g := failover.New(providers(fs), failover.Hedge(0), failover.Content(isContent))
		wins := map[string]int{}
		for i := range 300 {
			ctx, rep := failover.WithReport(t.Context())
			got, err := f.collect(ctx, g, "req")
			if err != nil || len(got) != 4 {
				t.Fatalf("run %d: got %q, %v", i, got, err)
			}
			p := got[1][:1]
			if want := []string{"#" + p, p + "0", p + "1", p + "2"}; diff(want, got) != "" {
				t.Fatalf("run %d: got %q, a mix or a loser's token; want %q", i, got, want)
			}
			wins[p]++
			committed, lost := 0, 0
			for _, a := range rep.Attempts() {
				switch {
				case a.Committed && a.Err == nil && a.Provider == p:
					committed++
				case errors.Is(a.Err, errs.ErrHedgeLost) && a.Provider != p:
					lost++
				}
			}
			if committed != 1 || lost != 1 {
				t.Fatalf("run %d: report %+v, want one committed attempt and one lost hedge", i, rep.Attempts())
			}
		}
		if wins["a"] == 0 || wins["b"] == 0 {
			t.Logf("the race always went one way: %v", wins)
		}
		waitAll(fs)
	})
}

func TestHedgeFailureStartsTheNextAtOnce(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes([]script{{Err: errA, FirstDelay: time.Second}}, []script{{Tokens: []string{"p"}, FirstDelay: time.Second}})
		g := failover.New(providers(fs), failover.Hedge(10*time.Second))
		ctx, rep := failover.WithReport(t.Context())
		t0 := time.Now()
		got, err := f.collect(ctx, g, "req")
		waitAll(fs)
		if err != nil || diff([]string{"p"}, got) != "" {
			t.Errorf("got %q, %v", got, err)
		}
		if d := diff([]time.Duration{0, time.Second}, starts(rep, t0)); d != "" {
			t.Errorf("starts (-want +got):\n%s", d)
		}
	})
}

// blocking returns a Source whose call itself blocks for d, ignoring its
// context, before it returns the provider's channels: an HTTP client
// waiting for headers from a server that does not answer.
func blocking(p *streamtest.Provider[string, string], d time.Duration, release <-chan struct{}) func(context.Context, string) (<-chan string, <-chan error) {
	return func(ctx context.Context, req string) (<-chan string, <-chan error) {
		select {
		case <-time.After(d):
		case <-release:
		}
		return p.Source(ctx, req)
	}
}

func TestHedgeBlockingSourceDelaysNothing(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		release := make(chan struct{})
		fs := fakes(toks("a0"), toks("b0"))
		ps := providers(fs)
		ps[0].Source = blocking(fs[0], time.Hour, release)
		ctx, rep := failover.WithReport(t.Context())
		t0 := time.Now()
		got, err := f.collect(ctx, failover.New(ps, failover.Hedge(time.Second)), "req")
		if err != nil || diff([]string{"b0"}, got) != "" {
			t.Errorf("got %q, %v; want b's answer", got, err)
		}
		if took := time.Since(t0); took != time.Second {
			t.Errorf("took %v, want the 1s hedge delay", took)
		}
		if d := diff([]time.Duration{0, time.Second}, starts(rep, t0)); d != "" {
			t.Errorf("starts (-want +got):\n%s", d)
		}
		close(release)
		waitAll(fs)
	})
	t.Run("nor the first-token timeout", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			release := make(chan struct{})
			fs := fakes(toks("a0"), toks("b0"))
			ps := providers(fs)
			ps[0].Source = blocking(fs[0], time.Hour, release)
			ctx, rep := failover.WithReport(t.Context())
			t0 := time.Now()
			g := failover.New(ps, failover.Hedge(time.Minute), failover.FirstTokenTimeout(2*time.Second))
			got, err := f.collect(ctx, g, "req")
			if err != nil || diff([]string{"b0"}, got) != "" {
				t.Errorf("got %q, %v; want b's answer", got, err)
			}
			want := []att{{Provider: "a", Number: 1, Err: errs.ErrFirstTokenTimeout}, {Provider: "b", Number: 1, Committed: true}}
			if d := diff(want, summary(rep)); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
			if took := time.Since(t0); took != 2*time.Second {
				t.Errorf("took %v, want the 2s first-token timeout", took)
			}
			close(release)
			waitAll(fs)
		})
	})
}

func TestHedgeComposesWithRetriesAndOrder(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// Each provider is slow; with Attempts(2) the hedge goes to the
		// next provider with nothing in flight before a provider is tried
		// twice.
		slow := []script{{Tokens: []string{"x"}, FirstDelay: time.Hour}}
		fs := fakes(slow, slow, slow)
		g := failover.New(providers(fs), failover.Hedge(time.Second), failover.MaxInFlight(3), failover.Attempts(2))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		ctx, rep := failover.WithReport(ctx)
		_, err := f.collect(ctx, g, "req")
		var fe *errs.FailoverError
		if !errors.As(err, &fe) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a FailoverError for the deadline", err)
		}
		var names []string
		for _, a := range rep.Attempts() {
			names = append(names, fmt.Sprintf("%s%d", a.Provider, a.Number))
		}
		if d := diff([]string{"a1", "b1", "c1"}, names); d != "" {
			t.Errorf("attempts (-want +got):\n%s", d)
		}
		if len(fe.Attempts) != 3 {
			t.Errorf("the FailoverError lists %d attempts, want every one of the 3", len(fe.Attempts))
		}
		waitAll(fs)
	})
}

func TestHedgeFailoverErrorListsAttemptsInStartOrder(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// b starts second but fails first.
		fs := fakes([]script{{Err: errA, FirstDelay: 5 * time.Second}}, []script{{Err: errB, FirstDelay: time.Second}})
		g := failover.New(providers(fs), failover.Hedge(time.Second))
		_, err := f.collect(t.Context(), g, "req")
		waitAll(fs)
		var fe *errs.FailoverError
		if !errors.As(err, &fe) || len(fe.Attempts) != 2 || fe.Attempts[0].Provider != "a" || fe.Attempts[1].Provider != "b" {
			t.Errorf("err = %v, want a's attempt then b's", err)
		}
	})
}

// TestHedgeLimitsHoldUnderLoad makes 10,000 concurrent calls whose
// providers are all slow, and checks that no call ever has more than
// MaxInFlight attempts in flight, and that the hedges stay within the
// HedgeBudget.
func TestHedgeLimitsHoldUnderLoad(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const calls, inFlight, ratio = 10_000, 3, 0.2
		var mu sync.Mutex
		running := map[string]int{}
		worst := 0
		var attempts atomic.Int64
		src := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			attempts.Add(1)
			mu.Lock()
			running[req]++
			worst = max(worst, running[req])
			mu.Unlock()
			out := make(chan string)
			errc := make(chan error, 1)
			go func() {
				defer close(out)
				defer close(errc)
				defer func() {
					mu.Lock()
					running[req]--
					mu.Unlock()
				}()
				select {
				case <-time.After(10 * time.Second):
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				}
				select {
				case out <- req:
				case <-ctx.Done():
					errc <- ctx.Err()
				}
			}()
			return out, errc
		}
		var ps []failover.Provider[string, string]
		for _, n := range []string{"a", "b", "c", "d"} {
			ps = append(ps, failover.Provider[string, string]{Name: n, Source: src})
		}
		for _, tc := range []struct {
			name string
			opts []failover.Option
			max  int     // attempts in flight per call
			most float64 // attempts per call, at most
		}{
			{"MaxInFlight", []failover.Option{failover.Hedge(time.Second), failover.MaxInFlight(inFlight)}, inFlight, inFlight},
			{"HedgeBudget", []failover.Option{failover.Hedge(time.Second), failover.MaxInFlight(inFlight), failover.HedgeBudget(ratio)}, inFlight, 1 + ratio},
		} {
			worst = 0
			attempts.Store(0)
			g := failover.New(ps, tc.opts...)
			var wg sync.WaitGroup
			var failed atomic.Int64
			for i := range calls {
				wg.Go(func() {
					req := fmt.Sprintf("%s-%d", tc.name, i)
					got, err := drain(g.All(t.Context(), req))
					if err != nil || len(got) != 1 || got[0] != req {
						failed.Add(1)
					}
				})
			}
			wg.Wait()
			if n := failed.Load(); n != 0 {
				t.Errorf("%s: %d calls failed", tc.name, n)
			}
			if worst > tc.max {
				t.Errorf("%s: a call had %d attempts in flight, want at most %d", tc.name, worst, tc.max)
			}
			if per := float64(attempts.Load()) / calls; per > tc.most {
				t.Errorf("%s: %.3f attempts per call, want at most %.2f", tc.name, per, tc.most)
			}
			t.Logf("%s: %d attempts for %d calls, at most %d in flight at once", tc.name, attempts.Load(), calls, worst)
		}
	})
}

// TestAdaptiveHedgeFollowsTheProviders checks, through the hedges it
// starts, that the adaptive delay follows the time to first token of
// recent attempts, and follows it again when the distribution shifts.
func TestAdaptiveHedgeFollowsTheProviders(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		ttft := 100 * time.Millisecond
		n := 0
		src := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			mu.Lock()
			n++
			// Spread over [0.5, 1.5) times the typical time to first token.
			d := ttft/2 + time.Duration(n*7919%1000)*ttft/1000
			mu.Unlock()
			return streamtest.New[string](script{Tokens: []string{"x"}, FirstDelay: d}).Source(ctx, req)
		}
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: src}, {Name: "b", Source: src}},
			failover.AdaptiveHedge(0.9, time.Millisecond, time.Minute))
		// hedgeAt runs calls and returns the median delay before a hedge
		// among those that hedged, and the share of calls that hedged.
		hedgeAt := func(calls int) (time.Duration, float64) {
			var delays []time.Duration
			for range calls {
				ctx, rep := failover.WithReport(t.Context())
				if _, err := drain(g.All(ctx, "req")); err != nil {
					t.Fatal(err)
				}
				if a := rep.Attempts(); len(a) > 1 {
					delays = append(delays, a[1].Start.Sub(a[0].Start))
				}
			}
			if len(delays) == 0 {
				return 0, 0
			}
			return median(delays), float64(len(delays)) / float64(calls)
		}
		if d, share := hedgeAt(50); share > 0 {
			t.Errorf("before enough calls were seen %.0f%% of calls hedged after %v; want the delay at its maximum", share*100, d)
		}
		hedgeAt(3000)
		d, share := hedgeAt(1000)
		// The 90th percentile of [50ms, 150ms) is 140ms; the histogram's
		// buckets are at most 12.5% wide.
		if d < 130*time.Millisecond || d > 160*time.Millisecond || share < 0.03 || share > 0.2 {
			t.Errorf("hedged %.1f%% of calls after %v, want about 10%% after about 140ms", share*100, d)
		}
		mu.Lock()
		ttft = time.Second
		mu.Unlock()
		hedgeAt(5000)
		d, share = hedgeAt(1000)
		if d < 1300*time.Millisecond || d > 1600*time.Millisecond || share < 0.03 || share > 0.2 {
			t.Errorf("after the shift: hedged %.1f%% of calls after %v, want about 10%% after about 1.4s", share*100, d)
		}
	})
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}

func TestHedgeOptionsPanicOnMisuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"a negative hedge delay", func() { failover.Hedge(-1) }},
		{"MaxInFlight of zero", func() { failover.MaxInFlight(0) }},
		{"an adaptive quantile of 1", func() { failover.AdaptiveHedge(1, 0, time.Second) }},
		{"an adaptive min above max", func() { failover.AdaptiveHedge(0.9, 2*time.Second, time.Second) }},
		{"a negative hedge budget", func() { failover.HedgeBudget(-0.1) }},
		{"a hedge budget of NaN", func() { failover.HedgeBudget(math.NaN()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "failover:") {
					t.Errorf("panic %q, want one starting with failover:", s)
				}
			}()
			tc.f()
		})
	}
}

// A hedge may be a second try of a provider that already has an attempt in
// flight, when no other provider has tries left: the plan prefers a
// provider with none in flight, and falls back on the others.
func TestHedgeSameProviderIsHedged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := streamtest.New[string](
			streamtest.Script[string]{Tokens: []string{"slow"}, FirstDelay: 10 * time.Second},
			streamtest.Script[string]{Tokens: []string{"fast"}, FirstDelay: time.Second},
		)
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}},
			failover.Attempts(2), failover.Hedge(time.Second))
		ctx, rep := failover.WithReport(t.Context())
		t0 := time.Now()
		got, err := drain(g.All(ctx, "req"))
		took := time.Since(t0)
		a.Wait()
		// Want: a#2 starts at 1s beside a#1 and wins at 2s with "fast".
		if len(rep.Attempts()) != 2 || took != 2*time.Second || err != nil || diff([]string{"fast"}, got) != "" {
			t.Errorf("got %q, %v after %v, %d attempts; want a#2 hedged at 1s, [fast] at 2s", got, err, took, len(rep.Attempts()))
		}
	})
}

// The same after a failure: b fails at 1s and has no tries left; a has a
// try left, and MaxInFlight 2 allows it beside a#1: it starts at once.
func TestHedgeFailureIsReplacedBySameProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := streamtest.New[string](
			streamtest.Script[string]{Tokens: []string{"slow"}, FirstDelay: time.Hour},
			streamtest.Script[string]{Tokens: []string{"fast"}, FirstDelay: time.Second},
		)
		b := streamtest.New[string](streamtest.Script[string]{Err: errB, FirstDelay: time.Second})
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}, {Name: "b", Source: b.Source}},
			failover.Attempts(2), failover.Hedge(0), failover.MaxInFlight(2),
			failover.Classify(func(error) failover.Class { return failover.NextProvider }))
		ctx, rep := failover.WithReport(t.Context())
		t0 := time.Now()
		got, err := drain(g.All(ctx, "req"))
		took := time.Since(t0)
		a.Wait()
		b.Wait()
		// Want: b#1 fails at 1s, a#2 starts at once and wins at 2s.
		if took != 2*time.Second || err != nil || diff([]string{"fast"}, got) != "" {
			t.Errorf("got %q, %v after %v, %d attempts; want a#2 started at 1s, [fast] at 2s", got, err, took, len(rep.Attempts()))
		}
	})
}

// Before the commit, an attempt's idle timeout fires while another attempt
// in flight keeps sending tokens: the other's events do not interrupt this
// attempt's wait, so b's held metadata does not reset a's idle clock.
func TestHedgeIdleIsNotStarvedByAnotherAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// a: one metadata token at once, then silence.
		a := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"#a", "a0"}, Stall: true, StallAfter: 1})
		// b (the hedge, at 1ms): metadata every 5ms for 1s, then content.
		var bt []string
		for range 200 {
			bt = append(bt, "#b")
		}
		b := streamtest.New[string](streamtest.Script[string]{Tokens: append(bt, "b0"), FirstDelay: time.Millisecond, Gap: 5 * time.Millisecond})
		var aFailed time.Time // the observer runs on the goroutine that drives the call
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}, {Name: "b", Source: b.Source}},
			failover.Hedge(time.Millisecond), failover.IdleTimeout(20*time.Millisecond),
			failover.Content(isContent), failover.Observe(func(e failover.Event) {
				if e.Kind == failover.AttemptFailed && e.Provider == "a" {
					aFailed = time.Now()
				}
			}))
		ctx, rep := failover.WithReport(t.Context())
		t0 := time.Now()
		_, err := drain(g.All(ctx, "req"))
		a.Wait()
		b.Wait()
		// Want: a#1 fails with ErrIdleTimeout by 25ms (1.25x idle after its token).
		if at := rep.Attempts()[0]; !errors.Is(at.Err, errs.ErrIdleTimeout) || aFailed.Sub(t0) > 25*time.Millisecond {
			t.Errorf("a#1 ended with %v after %v (call: %v), want an idle timeout by 25ms", at.Err, aFailed.Sub(t0), err)
		}
	})
}

// A losing attempt whose Source call returns after the commit (here at
// once, on the cancellation) leaves no goroutine of relay's behind while
// the winner streams: the goroutine that called the Source sees the lost
// attempt's context end and returns.
func TestHedgeLoserSourceGoroutineEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"a0"}})
		slowCall := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			select { // waiting for response headers; honours ctx
			case <-ctx.Done():
			case <-time.After(time.Hour):
			}
			return a.Source(ctx, req)
		}
		b := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"b0", "b1"}, FirstDelay: time.Second, Gap: time.Hour})
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: slowCall}, {Name: "b", Source: b.Source}}, failover.Hedge(0))
		sourceCalls := func() int {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			return strings.Count(string(buf), "(*run[...]).start.func")
		}
		out, errc := g.Stream(t.Context(), "req")
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if n := sourceCalls(); n != 1 {
			// The count below means nothing unless it finds a's.
			t.Fatalf("before the commit, %d Source-call goroutines found, want a's one", n)
		}
		<-out // b0 at 1s: a lost, its Source call returned at once
		time.Sleep(time.Minute)
		if n := sourceCalls(); n != 0 {
			t.Errorf("a minute after the commit, %d Source-call goroutine(s) of the lost hedge still alive", n)
		}
		for range out {
		}
		<-errc
		a.Wait()
		b.Wait()
	})
}

// A call whose hedge delay passed with no provider left to try spends
// nothing of the hedge budget, so calls that cannot hedge do not starve
// the ones that can.
func TestHedgeBudgetPaysOnlyForHedgesStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var bTries atomic.Int64
		slow := func(count bool) stream.Source[string, string] {
			return func(ctx context.Context, req string) (<-chan string, <-chan error) {
				if count {
					bTries.Add(1)
				}
				out, errc := make(chan string), make(chan error, 1)
				go func() {
					defer close(out)
					defer close(errc)
					select {
					case <-time.After(2 * time.Second):
						out <- req
					case <-ctx.Done():
						errc <- ctx.Err()
					}
				}()
				return out, errc
			}
		}
		g := failover.New([]failover.Provider[string, string]{
			{Name: "a", Source: slow(false)},
			{Name: "b", Source: slow(true)},
		}, failover.Hedge(100*time.Millisecond), failover.HedgeBudget(0.5))
		run := func(n int, ctx context.Context) {
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					if _, err := drain(g.All(ctx, "req")); err != nil {
						t.Errorf("call failed: %v", err)
					}
				})
			}
			wg.Wait()
		}
		// 20 calls that may not use b: their hedge delay passes with
		// nothing left to try.
		run(20, failover.Ignore(t.Context(), "b"))
		// 10 calls that may: 30 calls in the window allow 15 hedges, and
		// none has been started yet.
		run(10, t.Context())
		if n := bTries.Load(); n != 10 {
			t.Errorf("b was tried %d times, want 10: every call of the second round can hedge", n)
		}
	})
}

// A slow Content predicate on b's first token is not a's silence: a's idle
// clock stands still while relay handles b's token.
func TestHedgeSlowContentIsNotAnotherAttemptsSilence(t *testing.T) {
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

// A slow observer is not a provider's silence: a's metadata arrives every
// 10ms (idle 30ms), and an observer that takes 100ms over b's FirstToken
// (or, without hedging, a's own) does not end a with ErrIdleTimeout.
func TestHedgeSlowObserverIsNotAnotherAttemptsSilence(t *testing.T) {
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

func TestHedgeKeepsMoreThanFourAttemptsInFlight(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// Six providers race (Hedge(0), MaxInFlight(6)); the fifth fails at
		// once and the sixth, the fastest to answer, wins.
		var scripts [][]script
		for i := range 6 {
			scripts = append(scripts, []script{{Tokens: []string{string(rune('a' + i))}, FirstDelay: time.Duration(6-i) * time.Second}})
		}
		scripts[4] = fails(errA)
		fs := fakes(scripts...)
		g := failover.New(providers(fs), failover.Hedge(0), failover.MaxInFlight(6))
		ctx, rep := failover.WithReport(t.Context())
		start := time.Now()
		got, err := f.collect(ctx, g, "req")
		if err != nil || diff([]string{"f"}, got) != "" || time.Since(start) != time.Second {
			t.Errorf("got %q, %v after %v; want f after 1s", got, err, time.Since(start))
		}
		var lost, failed int
		for _, a := range rep.Attempts() {
			switch {
			case errors.Is(a.Err, errs.ErrHedgeLost):
				lost++
			case errors.Is(a.Err, errA):
				failed++
			}
		}
		if len(rep.Attempts()) != 6 || lost != 4 || failed != 1 {
			t.Errorf("attempts %+v; want six, four lost and one failed", rep.Attempts())
		}
		waitAll(fs)
	})
}

func TestMoreThanFourSlotsPassANilInterfaceToken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		src := func(ctx context.Context, req string) (<-chan any, <-chan error) {
			return stream.FromSlice[string]([]any{nil, "b"}, nil)(ctx, req)
		}
		g := failover.New([]failover.Provider[string, any]{{Name: "a", Source: src}, {Name: "b", Source: src}},
			failover.Hedge(time.Second), failover.MaxInFlight(5))
		got, err := stream.Collect(t.Context(), g.Stream, "req")
		if err != nil || len(got) != 2 || got[0] != nil || got[1] != "b" {
			t.Errorf("got %v, %v; want nil then b", got, err)
		}
	})
}

func TestAFailureIsReplacedWhateverTheHedgeBudget(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// A hedge was due (30ms) while a waited out its Retry-After; then b
		// fails and nothing is in flight: a's second try replaces it when
		// its hint has passed, and the empty hedge budget has no say.
		a := streamtest.New[string](script{Err: errs.RetryAfter(errA, 150*time.Millisecond)}, script{Tokens: []string{"a2"}})
		b := streamtest.New[string](script{FirstDelay: 100 * time.Millisecond, Err: errB})
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source, Attempts: 2}, {Name: "b", Source: b.Source}},
			failover.Hedge(30*time.Millisecond), failover.MaxInFlight(2), failover.HedgeBudget(0))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		got, err := f.collect(ctx, g, "req")
		if err != nil || diff([]string{"a2"}, got) != "" || time.Since(start) != 150*time.Millisecond {
			t.Errorf("got %q, %v after %v; want a2 at 150ms", got, err, time.Since(start))
		}
		a.Wait()
		b.Wait()
	})
}
