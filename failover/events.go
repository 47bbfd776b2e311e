package failover

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// EventKind says what an [Event] reports.
type EventKind uint8

const (
	// AttemptStarted: an attempt's Source is about to be called. Hedge
	// says whether other attempts of the call are in flight.
	AttemptStarted EventKind = iota + 1
	// FirstToken: an attempt sent its first token, of any kind.
	FirstToken
	// Committed: an attempt sent its first content token (its n-th with
	// CommitAfter) and is the one the caller receives. FirstToken is its
	// time to its first content token.
	Committed
	// AttemptFailed: an attempt failed, with Err. GoesOn says whether the
	// call goes on to another try; after the commit it never does.
	AttemptFailed
	// HedgeLost: an attempt was cancelled because another committed first.
	HedgeLost
	// Probe: the call holds the probe of a provider whose cooldown ended.
	Probe
	// CooldownStarted: a provider cools down until Until.
	CooldownStarted
	// Recovered: a provider that was cooling down served a call.
	Recovered
	// CallDone: the call ended, with Err (nil for success).
	CallDone
	// Held: an attempt sent its first content token, which it holds
	// until it commits (see CommitAfter).
	Held
	// Resumed: a committed stream failed, with Err, and the call goes on
	// from what the caller has, in a new phase (see Resume).
	Resumed
	// Deferred: an attempt failed with a Retry-After hint (Err), and the
	// group's calls move past its provider until Until (see Cooldown:
	// a group that keeps health keeps the hint for every call).
	Deferred
	// AtLimit: the call passed over a provider that had MaxConcurrent
	// attempts of the group in flight (see Provider): no attempt, and no
	// failure. Attempt is 0.
	AtLimit
)

func (k EventKind) String() string {
	switch k {
	case AttemptStarted:
		return "AttemptStarted"
	case FirstToken:
		return "FirstToken"
	case Committed:
		return "Committed"
	case AttemptFailed:
		return "AttemptFailed"
	case HedgeLost:
		return "HedgeLost"
	case Probe:
		return "Probe"
	case CooldownStarted:
		return "CooldownStarted"
	case Recovered:
		return "Recovered"
	case CallDone:
		return "CallDone"
	case Held:
		return "Held"
	case Resumed:
		return "Resumed"
	case Deferred:
		return "Deferred"
	case AtLimit:
		return "AtLimit"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one thing that happened in a call of a group, for an observer
// given with [Observe].
type Event struct {
	Kind EventKind // what happened; the other fields say to whom
	Time time.Time // when the group saw it, from time.Now
	// Call numbers the group's calls from 1, so that an observer can tell
	// apart the events of concurrent calls.
	Call       uint64
	Provider   string        // the provider concerned; "" for CallDone
	Attempt    int           // the provider's try within the call's phase (see Resume), from 1
	Err        error         // AttemptFailed: the cause; CallDone: the call's error
	GoesOn     bool          // AttemptFailed: the call tries further
	Hedge      bool          // AttemptStarted: beside attempts in flight
	FirstToken time.Duration // FirstToken and Committed: since the attempt started
	Until      time.Time     // CooldownStarted: when the cooldown ends; Deferred: when the hint ends
}

// Observe calls fn for every event of every call of the group:
// synchronously, on the goroutine that drives the call (the caller's for
// [Group.All] and, as a call starts, for [Group.Stream]; the relay
// goroutine after that), and in order within one call. Calls run
// concurrently, so fn must be safe for concurrent use, and it holds up
// the call while it runs: hand slow work to a goroutine of your own. A
// panic in fn is not recovered. Without an observer no Event is built.
// Observe panics if fn is nil; of several, the last one counts.
func Observe(fn func(Event)) Option {
	if fn == nil {
		panic("failover: Observe needs a non-nil function")
	}
	return optionFunc(func(c *config) { c.observe = fn })
}

// LogEvents returns an observer for [Observe] that logs each event through
// l, with the event's fields as attributes: failures and cooldowns at
// Warn, probes and recoveries at Info, the rest (a few per call) at Debug.
// LogEvents panics if l is nil.
func LogEvents(l *slog.Logger) func(Event) {
	if l == nil {
		panic("failover: LogEvents needs a non-nil logger")
	}
	return func(e Event) {
		level := slog.LevelDebug
		switch e.Kind {
		case AttemptFailed, CooldownStarted:
			level = slog.LevelWarn
		case Probe, Recovered, Deferred:
			level = slog.LevelInfo
		}
		attrs := []slog.Attr{slog.Uint64("call", e.Call)}
		if e.Provider != "" {
			attrs = append(attrs, slog.String("provider", e.Provider))
		}
		if e.Attempt > 0 {
			attrs = append(attrs, slog.Int("attempt", e.Attempt))
		}
		if e.Err != nil {
			attrs = append(attrs, slog.String("err", e.Err.Error()))
		}
		switch e.Kind {
		case AttemptFailed:
			attrs = append(attrs, slog.Bool("goes_on", e.GoesOn))
		case AttemptStarted:
			attrs = append(attrs, slog.Bool("hedge", e.Hedge))
		case FirstToken, Committed:
			attrs = append(attrs, slog.Duration("first_token", e.FirstToken))
		case CooldownStarted, Deferred:
			attrs = append(attrs, slog.Time("until", e.Until))
		}
		l.LogAttrs(context.Background(), level, "relay: "+e.Kind.String(), attrs...)
	}
}

// changed reports a change of health as an event.
func (r *run[Req, Tok]) changed(c Change) {
	if c.Cooling {
		r.emit(Event{Kind: CooldownStarted, Provider: c.Provider, Until: c.Until})
	} else {
		r.emit(Event{Kind: Recovered, Provider: c.Provider})
	}
}

// event builds and emits an event of an attempt. Callers check for an
// observer first, so that without one no Event is built (and the Event
// lives in this frame, off the hot path: see bench/doc.go).
//
//go:noinline
func (r *run[Req, Tok]) event(kind EventKind, a *attempt[Tok], err error, goesOn bool) {
	e := Event{Kind: kind, Provider: a.info.Provider, Attempt: a.info.Number, Err: err, GoesOn: goesOn}
	switch kind {
	case AttemptStarted:
		e.Hedge = a.info.Hedge
	case FirstToken:
		e.FirstToken = time.Since(a.began)
	case Committed:
		e.FirstToken = a.ttft
	}
	r.emit(e)
}

// emit hands e to the group's observer, if it has one.
func (r *run[Req, Tok]) emit(e Event) {
	if fn := r.g.cfg.observe; fn != nil {
		e.Time = time.Now()
		e.Call = r.call
		fn(e)
	}
}

//go:noinline
func (r *run[Req, Tok]) callDone() {
	r.emit(Event{Kind: CallDone, Err: r.err})
}
