package streamtest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrReleased ends a stream that [Provider.Release] unblocked.
var ErrReleased = errors.New("streamtest: released")

// Script is what one call of a fake provider does. The zero Script streams
// nothing and ends cleanly.
type Script[Tok any] struct {
	Tokens     []Tok         // streamed in order
	FirstDelay time.Duration // wait before the first token (or the end, if there are none)
	Gap        time.Duration // wait between two tokens
	Buffer     int           // capacity of the token channel
	Err        error         // sent on the error channel at the end; nil for success

	// StallAfter is how many tokens a stalling script streams first.
	StallAfter int
	// Stall stops after StallAfter tokens and waits for cancellation, then
	// ends with ctx's error (or, with IgnoreCtx, waits until Release).
	Stall bool

	Panic         any           // when non-nil, the call itself panics with this value
	NilTokens     bool          // return a nil token channel
	NilErrors     bool          // return a nil error channel
	ErrAfterClose bool          // close the token channel first, then send Err (accepted from providers)
	LateBy        time.Duration // with ErrAfterClose: wait this long between the close and the error
	NilOnSuccess  bool          // report success by sending nil before closing the error channel
	ErrOpen       bool          // send Err and never close the token channel
	NeverClose    bool          // after the tokens, close nothing and wait for Release
	// OutcomeFirst reports the outcome (Err, or success) before sending
	// the tokens and closes the token channel after them, unless
	// NeverClose: a contract break that a careless consumer turns into a
	// silently cut-short answer.
	OutcomeFirst bool
	IgnoreCtx    bool // sends and waits ignore ctx; only Release unblocks them
}

// Provider is a scripted stream source that plays its scripts, one per
// call; once they run out, the last one repeats. It is safe for concurrent
// calls. Its Source method is a [stream.Source].
type Provider[Req, Tok any] struct {
	mu       sync.Mutex
	scripts  []Script[Tok]
	calls    int
	reqs     []Req
	wg       sync.WaitGroup
	release  chan struct{}
	released atomic.Bool
	running  atomic.Int64
}

// New returns a provider that plays scripts in order. Name the request
// type; the token type is inferred:
//
//	p := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"a", "b"}, Err: errDown})
func New[Req, Tok any](scripts ...Script[Tok]) *Provider[Req, Tok] {
	if len(scripts) == 0 {
		scripts = []Script[Tok]{{}}
	}
	return &Provider[Req, Tok]{scripts: scripts, release: make(chan struct{})}
}

// Tokens returns a provider that streams toks and ends cleanly on every call.
func Tokens[Req, Tok any](toks ...Tok) *Provider[Req, Tok] {
	return New[Req](Script[Tok]{Tokens: toks})
}

// Fails returns a provider that fails at once with err on every call.
func Fails[Req, Tok any](err error) *Provider[Req, Tok] {
	return New[Req](Script[Tok]{Err: err})
}

// Calls reports how many times the provider was called.
func (p *Provider[Req, Tok]) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// Requests returns the requests the provider was called with, in order.
func (p *Provider[Req, Tok]) Requests() []Req {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Req(nil), p.reqs...)
}

// Running reports how many of the provider's goroutines have not ended.
func (p *Provider[Req, Tok]) Running() int { return int(p.running.Load()) }

// Release unblocks every goroutine that ignores its context or never closes
// its channels, so that they end. It is safe to call more than once.
func (p *Provider[Req, Tok]) Release() {
	if p.released.CompareAndSwap(false, true) {
		close(p.release)
	}
}

// Wait releases the provider and waits until every goroutine it started has
// ended.
func (p *Provider[Req, Tok]) Wait() {
	p.Release()
	p.wg.Wait()
}

// Source is the provider as a stream source.
func (p *Provider[Req, Tok]) Source(ctx context.Context, req Req) (<-chan Tok, <-chan error) {
	p.mu.Lock()
	s := p.scripts[min(p.calls, len(p.scripts)-1)]
	p.calls++
	p.reqs = append(p.reqs, req)
	p.mu.Unlock()

	if s.Panic != nil {
		panic(s.Panic)
	}
	out := make(chan Tok, s.Buffer)
	errc := make(chan error, 1)
	p.wg.Add(1)
	p.running.Add(1)
	go func() {
		defer p.wg.Done()
		defer p.running.Add(-1)
		p.play(ctx, s, out, errc)
	}()
	var ro <-chan Tok = out
	var re <-chan error = errc
	if s.NilTokens {
		ro = nil
	}
	if s.NilErrors {
		re = nil
	}
	return ro, re
}

func (p *Provider[Req, Tok]) play(ctx context.Context, s Script[Tok], out chan<- Tok, errc chan<- error) {
	done := ctx.Done()
	if s.IgnoreCtx {
		done = nil
	}
	end := func(err error) {
		switch {
		case s.NeverClose:
			<-p.release
		case s.ErrOpen:
			errc <- err
			<-p.release
		case s.ErrAfterClose:
			close(out)
			if s.LateBy > 0 {
				t := time.NewTimer(s.LateBy)
				select {
				case <-t.C:
				case <-p.release:
				}
				t.Stop()
			}
			if err != nil {
				errc <- err
			}
			close(errc)
		default:
			if err != nil || s.NilOnSuccess {
				errc <- err
			}
			close(errc)
			close(out)
		}
	}
	wait := func(d time.Duration) bool {
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-done:
			return false
		case <-p.release:
			return false
		}
	}
	stopped := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return ErrReleased
	}
	if !wait(s.FirstDelay) {
		end(stopped())
		return
	}
	if s.OutcomeFirst {
		if s.Err != nil || s.NilOnSuccess {
			errc <- s.Err
		}
		close(errc)
		s.Err, s.NilOnSuccess, s.ErrOpen = nil, false, false
		end = func(error) {
			if s.NeverClose {
				<-p.release
				return
			}
			close(out)
		}
	}
	for i, tok := range s.Tokens {
		if s.Stall && i == s.StallAfter {
			break
		}
		if i > 0 && !wait(s.Gap) {
			end(stopped())
			return
		}
		select {
		case out <- tok:
		case <-done:
			end(stopped())
			return
		case <-p.release:
			end(stopped())
			return
		}
	}
	if s.Stall {
		select {
		case <-done:
		case <-p.release:
		}
		end(stopped())
		return
	}
	end(s.Err)
}
