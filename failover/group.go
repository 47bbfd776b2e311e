package failover

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

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

	// Weight is the provider's share of first places under [Weighted]: a
	// provider of weight 3 goes first three times as often as one of
	// weight 1. Zero counts as 1.
	Weight float64
	// Attempts, FirstTokenTimeout and IdleTimeout override the group's
	// [Attempts], [FirstTokenTimeout] and [IdleTimeout] for this provider
	// alone; zero keeps the group's.
	Attempts          int
	FirstTokenTimeout time.Duration
	IdleTimeout       time.Duration

	// MaxConcurrent caps the attempts of this provider that the group has
	// in flight at once, a committed stream counting until it ends; zero
	// sets no limit. A call that finds the provider at its limit passes
	// it over (no attempt, and no failure; an AtLimit event says so) and
	// tries the next; when no other provider is left, it waits for a
	// slot within its own limits (its context, [MaxCallTime],
	// [CommitTimeout]). A slot that frees goes to the call that has waited
	// longest, and wakes no other.
	MaxConcurrent int
}

// Group sends each request to its providers in turn until one streams an
// answer. Make one with [New]; a Group is safe for any number of concurrent
// calls. What its calls share is what an option asks for: the random
// generator ([Shuffle], [Weighted], [ByHealth], [Backoff]), the round-robin counter,
// the budgets ([RetryBudget], [HedgeBudget]), the times to first token
// ([AdaptiveHedge]) and the providers' health ([Cooldown], [ByHealth],
// [WithHealth]); a call never waits on another's stream. A zero Group is
// valid and has no providers: every call ends with [errs.ErrNoProvider].
type Group[Req, Tok any] struct {
	members []member[Req, Tok]            // the providers, with their settings resolved
	cfg     config                        // every option, resolved once by New
	content func(Tok) bool                // cfg.content, typed
	resume  func(Req, []Tok) (Req, error) // cfg.resume, typed
	budget  *budget
	hedges  *budget // HedgeBudget
	ttft    *ttft   // AdaptiveHedge
	health  Health  // nil unless the group keeps health
	// lstates holds each provider's in-process health, when health is a
	// NewHealth: a call that finds none of them cooling reads and updates
	// them directly, with no lookup, no allocation and no batch.
	lstates []*providerHealth
	// loads counts each provider's attempts in flight, for LeastBusy and
	// MaxConcurrent; nil when neither is asked for.
	loads   []load
	limited bool // a provider has MaxConcurrent

	rngMu sync.Mutex
	rng   *rand.Rand
	rr    atomic.Uint64 // RoundRobin: calls started
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
		case p.Weight < 0 || p.Weight != p.Weight:
			panic(fmt.Sprintf("failover: provider %q has weight %v; a weight must be zero or positive", p.Name, p.Weight))
		case p.Attempts < 0 || p.FirstTokenTimeout < 0 || p.IdleTimeout < 0 || p.MaxConcurrent < 0:
			panic(fmt.Sprintf("failover: provider %q has a negative Attempts, FirstTokenTimeout, IdleTimeout or MaxConcurrent", p.Name))
		}
		seen[p.Name] = true
	}
	cfg.resolve()
	g := &Group[Req, Tok]{cfg: cfg}
	for _, p := range providers {
		g.members = append(g.members, member[Req, Tok]{
			name:       p.Name,
			source:     p.Source,
			accepts:    p.Accepts,
			weight:     cmp.Or(p.Weight, 1),
			attempts:   int32(cmp.Or(p.Attempts, cfg.attempts)),
			firstToken: cmp.Or(p.FirstTokenTimeout, cfg.firstToken),
			idle:       cmp.Or(p.IdleTimeout, cfg.idle),
		})
	}
	for _, p := range providers {
		g.limited = g.limited || p.MaxConcurrent > 0
	}
	if g.limited || cfg.order == orderLeastBusy {
		g.loads = make([]load, len(providers))
		for i, p := range providers {
			g.loads[i].max = int32(p.MaxConcurrent)
		}
	}
	if cfg.budget != nil {
		g.budget = newBudget(*cfg.budget)
	}
	if cfg.hedgeBudget != nil {
		g.hedges = newBudget(*cfg.hedgeBudget)
	}
	if cfg.adaptive != nil {
		g.ttft = newTTFT(*cfg.adaptive)
	}
	if cfg.resume != nil {
		f, ok := cfg.resume.(func(Req, []Tok) (Req, error))
		if !ok {
			var req Req
			var tok Tok
			panic(fmt.Sprintf("failover: Resume function is a %T, but the group's requests are %T and its tokens %T", cfg.resume, req, tok))
		}
		g.resume = f
	}
	if cfg.content != nil {
		f, ok := cfg.content.(func(Tok) bool)
		if !ok {
			var tok Tok
			panic(fmt.Sprintf("failover: Content predicate is a %T, but the group's tokens are %T", cfg.content, tok))
		}
		g.content = f
	}
	if cfg.healthOn() {
		g.health = cfg.health
		if g.health == nil {
			g.health = NewHealth()
		}
		if l, ok := g.health.(*localHealth); ok {
			for _, m := range g.members {
				g.lstates = append(g.lstates, l.state(m.name))
			}
		}
	}
	if cfg.order != orderGiven && cfg.order != orderRoundRobin || cfg.backoffBase > 0 {
		seed := cfg.seed
		if seed == 0 {
			seed = rand.Uint64()
		}
		g.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	return g
}

// member is one provider of a group as New resolved it: the provider's
// own settings where it has them, the group's otherwise.
type member[Req, Tok any] struct {
	name       string
	source     stream.Source[Req, Tok]
	accepts    func(Req) bool
	weight     float64 // Weighted; never zero
	attempts   int32   // tries per call
	firstToken time.Duration
	idle       time.Duration
}

// Failover returns a Source that fails over across providers: shorthand for
// New(providers, opts...).Stream. See [New] and [Group.Stream].
func Failover[Req, Tok any](providers []Provider[Req, Tok], opts ...Option) stream.Source[Req, Tok] {
	return New(providers, opts...).Stream
}
