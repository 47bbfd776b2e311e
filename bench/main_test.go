package bench

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/relay-go/relay/failover"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// endless is the physical provider: it sends tokens as fast as they are
// taken, each send watching ctx, until ctx is done.
func endless(ctx context.Context, _ int) (<-chan int, <-chan error) {
	return endlessCounted(ctx, nil)
}

// counted returns endless providers whose goroutines wg waits for.
func counted(wg *sync.WaitGroup) func(context.Context, int) (<-chan int, <-chan error) {
	return func(ctx context.Context, _ int) (<-chan int, <-chan error) {
		wg.Add(1)
		return endlessCounted(ctx, wg)
	}
}

func endlessCounted(ctx context.Context, wg *sync.WaitGroup) (<-chan int, <-chan error) {
	out := make(chan int)
	errc := make(chan error, 1)
	go func() {
		if wg != nil {
			defer wg.Done()
		}
		for i := 0; ; i++ {
			select {
			case out <- i:
			case <-ctx.Done():
				errc <- ctx.Err()
				close(errc)
				close(out)
				return
			}
		}
	}()
	return out, errc
}

// stallAfterOne sends one token and then waits for ctx: an idle stream.
func stallAfterOne(ctx context.Context, _ int) (<-chan int, <-chan error) {
	out := make(chan int)
	errc := make(chan error, 1)
	go func() {
		select {
		case out <- 1:
			<-ctx.Done()
		case <-ctx.Done():
		}
		errc <- ctx.Err()
		close(errc)
		close(out)
	}()
	return out, errc
}

// oneToken is a bare provider call: one goroutine, two channels, one token.
func oneToken(ctx context.Context, _ int) (<-chan int, <-chan error) {
	out := make(chan int)
	errc := make(chan error, 1)
	go func() {
		select {
		case out <- 1:
		case <-ctx.Done():
		}
		close(errc)
		close(out)
	}()
	return out, errc
}

var errDown = errors.New("down")

// failsAtOnce is a provider that fails before any token, without a
// goroutine.
func failsAtOnce(context.Context, int) (<-chan int, <-chan error) {
	out := make(chan int)
	errc := make(chan error, 1)
	errc <- errDown
	close(errc)
	close(out)
	return out, errc
}

func group(src ...func(context.Context, int) (<-chan int, <-chan error)) *failover.Group[int, int] {
	return groupWith(nil, src...)
}

func groupWith(opts []failover.Option, src ...func(context.Context, int) (<-chan int, <-chan error)) *failover.Group[int, int] {
	ps := make([]failover.Provider[int, int], len(src))
	for i, s := range src {
		ps[i] = failover.Provider[int, int]{Name: string(rune('a' + i)), Source: s}
	}
	return failover.New(ps, opts...)
}

// drainAll waits for a cancelled stream's goroutines to finish, so that no
// benchmark leaves one behind.
func drainAll[T any](out <-chan T) {
	for range out {
	}
}
