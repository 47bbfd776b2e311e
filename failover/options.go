package failover

import (
	"fmt"
	"time"
)

// An Option configures a [Group]. Options are values without type
// parameters, so the same option works for every Req and Tok. Options that
// are given bad values panic when they are made, with a message starting
// "failover:".
type Option interface{ apply(*config) }

// config holds every option of a Group. Options write it once, in New,
// and the Group keeps it as it is: no option is copied anywhere else.
type config struct {
	attempts         int
	order            ordering
	seed             uint64
	firstToken       time.Duration
	idle             time.Duration
	content          any // func(Tok) bool, checked against Tok in New
	classify         func(error) Class
	backoffBase      time.Duration
	backoffMax       time.Duration
	backoffProviders bool
	maxRetryAfter    time.Duration
	maxCall          time.Duration
	budget           *budgetConfig

	commitAfter   int           // CommitAfter; 0 and 1 commit at once
	resume        any           // func(Req, []Tok) (Req, error), checked in New
	maxResumes    int           // -1: the default
	commitTimeout time.Duration // CommitTimeout

	policy  Policy // Cooldown
	health  Health // WithHealth
	observe func(Event)

	hedge       bool // Hedge or AdaptiveHedge
	hedgeDelay  time.Duration
	maxInFlight int // 0: the default
	adaptive    *adaptiveConfig
	hedgeBudget *budgetConfig
}

// defaults is the config of a Group made without options.
func defaults() config {
	return config{attempts: 1, maxRetryAfter: time.Minute, maxResumes: -1}
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Attempts sets how many times each provider is tried within one call before
// the next provider is tried. The default is 1. A provider's tries come one
// after another; each failure before the commit point is one attempt.
// Attempts panics if n < 1.
func Attempts(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("failover: Attempts(%d): each provider needs at least 1 attempt", n))
	}
	return optionFunc(func(c *config) { c.attempts = n })
}

// ordering is how a call orders its eligible providers.
type ordering uint8

const (
	orderGiven ordering = iota
	orderShuffle
	orderRoundRobin
	orderWeighted
	orderHealth
)

// Shuffle tries the providers in a random order, drawn anew for each call.
// The group keeps one generator seeded with seed, so a caller that makes its
// calls one at a time gets the same sequence of orders (and of [Backoff]
// jitter) for the same seed; seed 0 draws the seed from entropy. Of the
// ordering options ([Shuffle], [RoundRobin], [Weighted], [ByHealth]) the last wins.
func Shuffle(seed uint64) Option {
	return optionFunc(func(c *config) { c.order = orderShuffle; c.seed = seed })
}

// RoundRobin starts each call at the next provider: the first call tries
// the providers in the given order, the second starts at the second
// provider and wraps around, and so on, so that across calls each
// provider goes first equally often. The count is shared by the group's
// concurrent calls (one atomic add per call). Of the ordering options the
// last wins.
func RoundRobin() Option {
	return optionFunc(func(c *config) { c.order = orderRoundRobin })
}

// Weighted draws a random order for each call in which a provider goes
// first in proportion to its [Provider] Weight, and likewise for the
// places after it among the rest: a provider of weight 3 serves about
// three times as many calls as one of weight 1 while both are healthy.
// seed works as for [Shuffle]. Of the ordering options the last wins.
func Weighted(seed uint64) Option {
	return optionFunc(func(c *config) { c.order = orderWeighted; c.seed = seed })
}

// FirstTokenTimeout ends an attempt whose first content token (see
// [Content]) has not arrived d after its Source was called: a keep-alive, a
// role chunk or other metadata does not stop it. The attempt fails with
// [errs.ErrFirstTokenTimeout] and the call fails over. Zero, the default,
// waits as long as the caller's context allows. The time a Source call
// itself takes counts; a Source that blocks is told through its context.
// One that blocks and ignores its context breaks the contract's rule 4 and
// holds the call until it returns, except under [Hedge], where each Source
// call runs on a goroutine of its own and the call moves on at the timeout.
// The timer runs once per attempt and costs nothing per token.
// FirstTokenTimeout panics if d < 0.
func FirstTokenTimeout(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("failover: FirstTokenTimeout(%v): the duration must not be negative", d))
	}
	return optionFunc(func(c *config) { c.firstToken = d })
}

// IdleTimeout ends an attempt that has shown a sign of life (a token of any
// kind, its outcome, or the close of its token channel) and then keeps
// relay waiting for longer than d. Every token counts, content or not.
// The attempt fails with [errs.ErrIdleTimeout]: before the commit point
// the call fails over, after it the stream ends with an
// [*errs.CommittedError].
//
// Silence is checked by one timer per attempt that ticks every d, never by
// a timer reset per token: a tick ends the attempt only when relay has
// been waiting for it, without a token, since the tick before, so a stall
// is noticed between d and 2d after relay began to wait. Time relay spends
// holding a token for a slow caller never counts: a caller that reads
// slowly never causes an idle timeout. Per token, IdleTimeout costs two
// uncontended atomic additions. Zero, the default, never times out.
// IdleTimeout panics if d < 0.
func IdleTimeout(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("failover: IdleTimeout(%v): the duration must not be negative", d))
	}
	return optionFunc(func(c *config) { c.idle = d })
}

// Content sets which tokens are content. The first content token of an
// attempt is its commit point. Tokens that are not content (metadata, usage
// reports) that arrive before the commit are held and released, in order,
// just before the committing token, or dropped with the attempt if it fails,
// so the caller never sees a token from a provider that lost. An attempt
// that ends without a content token fails with [errs.ErrEmpty]. After the
// commit the predicate is no longer called. By default every token is
// content.
//
// isContent runs on the goroutine that drives the call (the group's relay
// goroutine for [Group.Stream]); a panic in it is not recovered. New panics
// if isContent's token type is not the group's, and Content panics if
// isContent is nil.
func Content[Tok any](isContent func(Tok) bool) Option {
	if isContent == nil {
		panic("failover: Content needs a non-nil predicate")
	}
	return optionFunc(func(c *config) { c.content = isContent })
}
