package failover

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestMaxConcurrentHoldsUnderLoad runs 10,000 concurrent hedged calls over
// providers with MaxConcurrent, whose answers are slow, fast, failing or
// cut short by the caller: no Source call starts while its provider has
// MaxConcurrent attempts in flight, and every slot is back once the calls
// have ended (a slot freed twice or never would show there).
func TestMaxConcurrentHoldsUnderLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		limits := []int{3, 5, 0}
		var g *Group[int, int]
		var over atomic.Int32
		var ps []Provider[int, int]
		for p, limit := range limits {
			src := func(ctx context.Context, req int) (<-chan int, <-chan error) {
				if n := g.loads[p].inflight.Load(); limit > 0 && int(n) > limit {
					over.Add(1)
				}
				out, errc := make(chan int), make(chan error, 1)
				go func() {
					defer close(out)
					defer close(errc)
					if (req+p)%7 == 0 {
						errc <- fmt.Errorf("provider %d fails", p)
						return
					}
					select {
					case <-time.After(time.Duration((req*31+p*17)%50) * time.Millisecond):
					case <-ctx.Done():
						errc <- ctx.Err()
						return
					}
					for i := range 3 {
						select {
						case out <- i:
						case <-ctx.Done():
							errc <- ctx.Err()
							return
						}
					}
				}()
				return out, errc
			}
			ps = append(ps, Provider[int, int]{Name: fmt.Sprint(p), Source: src, MaxConcurrent: limit})
		}
		g = New(ps, Hedge(10*time.Millisecond), MaxInFlight(3), Attempts(2))
		var wg sync.WaitGroup
		for req := range 10000 {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+req%5)*20*time.Millisecond)
				defer cancel()
				n := 0
				for _, err := range g.All(ctx, req) {
					if n++; err != nil || req%11 == 0 {
						break // an error, or a caller that stops early
					}
				}
			})
		}
		wg.Wait()
		synctest.Wait()
		if n := over.Load(); n > 0 {
			t.Errorf("%d Source calls started above their provider's MaxConcurrent", n)
		}
		for p := range limits {
			if n := g.loads[p].inflight.Load(); n != 0 || g.loads[p].waiting.Load() != 0 || len(g.loads[p].waiters) != 0 {
				t.Errorf("provider %d: %d slots held and %d calls waiting after every call ended, want none", p, n, g.loads[p].waiting.Load())
			}
		}
	})
}
