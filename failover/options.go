package failover

import (
	"context"
	"time"
)

// An Option configures a [Group]. Options are values without type
// parameters, so the same option works for every Req and Tok. Options that
// are given bad values panic when they are made, with a message starting
// "failover:". Each option lives with the feature it configures (hedge.go
// holds Hedge and hedging); this file holds the one struct they all write.
type Option interface{ apply(*config) }

// config holds every option of a Group. Options write it once, in New,
// which then resolves what depends on several of them; the Group keeps it
// as it is, and no option is copied anywhere else.
type config struct {
	attempts         int // Attempts
	order            ordering
	seed             uint64
	firstToken       time.Duration // FirstTokenTimeout
	idle             time.Duration // IdleTimeout
	content          any           // func(Tok) bool, checked against Tok in New
	classify         func(error) Class
	backoffBase      time.Duration
	backoffMax       time.Duration
	backoffProviders bool
	maxRetryAfter    time.Duration
	maxCall          time.Duration // MaxCallTime
	budget           *budgetConfig // RetryBudget

	commitAfter   int           // CommitAfter
	resume        any           // func(Req, []Tok) (Req, error), checked in New
	maxResumes    int           // MaxResumes
	commitTimeout time.Duration // CommitTimeout

	policy    Policy                                         // Cooldown
	health    Health                                         // WithHealth
	observers []func(context.Context, Event) context.Context // Observe, ObserveContext
	observe   bool                                           // resolved: there is an observer

	hedge       bool // Hedge or AdaptiveHedge
	hedgeDelay  time.Duration
	maxInFlight int // MaxInFlight as given; 0: not given (New resolves inFlight)
	adaptive    *adaptiveConfig
	hedgeBudget *budgetConfig

	// Resolved by New from the options above.
	inFlight int  // the engine's slots: MaxInFlight with hedging, else 1
	timed    bool // attempts note when they start: for ByHealth, AdaptiveHedge or events
}

// defaults is the config of a Group made without options.
func defaults() config {
	return config{attempts: 1, commitAfter: 1, maxRetryAfter: time.Minute, maxResumes: 2}
}

// resolve settles what depends on several options.
func (c *config) resolve() {
	c.inFlight = 1
	if c.hedge {
		c.inFlight = c.maxInFlight
		if c.inFlight == 0 {
			c.inFlight = 2
		}
	}
	c.observe = len(c.observers) > 0
	c.timed = c.order == orderHealth || c.observe || c.adaptive != nil
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Options bundles several options into one, applied in order, so that a
// package can hand its users one value that configures several things
// (failover/relayotel does). Options() changes nothing. Options panics if
// an option is nil.
func Options(opts ...Option) Option {
	for _, o := range opts {
		if o == nil {
			panic("failover: Options was given a nil Option")
		}
	}
	opts = append([]Option(nil), opts...)
	return optionFunc(func(c *config) {
		for _, o := range opts {
			o.apply(c)
		}
	})
}
