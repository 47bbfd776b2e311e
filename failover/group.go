package failover

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/relay-go/relay/stream"
)

// Provider is one named stream source that a [Group] can fail over to.
type Provider[Req, Tok any] struct {
	// Name identifies the provider in errors and reports; it must be
	// non-empty and unique within one Group.
	Name string
	// Source starts the provider's stream for one request.
	Source stream.Source[Req, Tok]
	// Accepts reports whether the provider can serve a request; a provider
	// that declines is skipped without an attempt. Nil accepts every
	// request. It runs on the caller's goroutine when a call starts.
	Accepts func(Req) bool
}

// Group sends each request to its providers in turn until one streams an
// answer. Make one with [New]; a Group is safe for any number of concurrent
// calls, which share only the random generator (for [Shuffle] and
// [Backoff]) and the [RetryBudget]. A zero Group is
// valid and has no providers: every call ends with [errs.ErrNoProvider].
type Group[Req, Tok any] struct {
	providers []Provider[Req, Tok]
	cfg       config         // every option, resolved once by New
	content   func(Tok) bool // cfg.content, typed
	budget    *budget
	hedges    *budget // HedgeBudget
	ttft      *ttft   // AdaptiveHedge

	rngMu sync.Mutex
	rng   *rand.Rand
}

// New returns a Group over providers, tried in the given order unless an
// option says otherwise. The providers slice is copied. An empty list is
// allowed: every call ends with [errs.ErrNoProvider].
//
// New panics, with a message starting "failover:", if a provider has an
// empty name, a name used twice or a nil Source, or if an option does not
// fit the group (a [Content] predicate for another token type).
func New[Req, Tok any](providers []Provider[Req, Tok], opts ...Option) *Group[Req, Tok] {
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			panic("failover: New was given a nil Option")
		}
		o.apply(&cfg)
	}
	seen := make(map[string]bool, len(providers))
	for i, p := range providers {
		switch {
		case p.Name == "":
			panic(fmt.Sprintf("failover: provider %d has an empty name; every provider needs a unique name", i))
		case seen[p.Name]:
			panic(fmt.Sprintf("failover: provider name %q is used twice; names must be unique within a group", p.Name))
		case p.Source == nil:
			panic(fmt.Sprintf("failover: provider %q has a nil Source", p.Name))
		}
		seen[p.Name] = true
	}
	g := &Group[Req, Tok]{providers: append([]Provider[Req, Tok](nil), providers...), cfg: cfg}
	if cfg.budget != nil {
		g.budget = newBudget(*cfg.budget)
	}
	if cfg.hedgeBudget != nil {
		g.hedges = newBudget(*cfg.hedgeBudget)
	}
	if cfg.adaptive != nil {
		g.ttft = newTTFT(*cfg.adaptive)
	}
	if cfg.content != nil {
		f, ok := cfg.content.(func(Tok) bool)
		if !ok {
			var tok Tok
			panic(fmt.Sprintf("failover: Content predicate is a %T, but the group's tokens are %T", cfg.content, tok))
		}
		g.content = f
	}
	if cfg.shuffle || cfg.backoffBase > 0 {
		seed := cfg.seed
		if seed == 0 {
			seed = rand.Uint64()
		}
		g.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	return g
}

// Failover returns a Source that fails over across providers: shorthand for
// New(providers, opts...).Stream. See [New] and [Group.Stream].
func Failover[Req, Tok any](providers []Provider[Req, Tok], opts ...Option) stream.Source[Req, Tok] {
	return New(providers, opts...).Stream
}

// shuffleInto fills order with a random permutation of itself.
func (g *Group[Req, Tok]) shuffleInto(order []int32) {
	g.rngMu.Lock()
	defer g.rngMu.Unlock()
	g.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
}
