package failover

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
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
	// call goes on: another attempt is in flight or a try is left (one
	// that a deadline or budget then refuses still counts); after the
	// commit it never does.
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
	// a group that keeps health keeps the hint for every call). It comes
	// just before the attempt's AttemptFailed.
	Deferred
	// AtLimit: the call passed over a provider that had MaxConcurrent
	// attempts of the group in flight (see Provider): no attempt, and no
	// failure. Attempt is 0.
	AtLimit
	// CallStarted: a call began; its providers are about to be tried.
	// Parent names the attempt of an outer group that made it, if any.
	CallStarted
	// Completed: the committed attempt's stream ended cleanly, after
	// Emitted tokens.
	Completed
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
	case CallStarted:
		return "CallStarted"
	case Completed:
		return "Completed"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one thing that happened in a call of a group, for an observer
// given with [Observe].
type Event struct {
	Kind EventKind // what happened; the other fields say to whom
	Time time.Time // when the group saw it, from time.Now
	// Call identifies the call among every observed call of the process
	// (of any group), from 1, so that an observer can tell apart the
	// events of concurrent calls and tie a nested call to its parent.
	Call uint64
	// Parent is the attempt of an outer group's call that made this call
	// (its Source was this group's Stream or All), with that call's
	// identity in Parent.Call (0 when the outer group has no observer);
	// zero when the call is not nested in a group.
	Parent     AttemptInfo
	Emitted    int           // CallDone, Completed and AttemptFailed after the commit: tokens the caller received
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
// A group may have several observers ([Observe], [ObserveContext]): each
// event goes to each, in the order the options were given. Observe
// panics if fn is nil.
func Observe(fn func(Event)) Option {
	if fn == nil {
		panic("failover: Observe needs a non-nil function")
	}
	return ObserveContext(func(ctx context.Context, e Event) context.Context {
		fn(e)
		return ctx
	})
}

// ObserveContext is [Observe] for an observer that also sees, and may
// extend, the contexts of calls and attempts, as a tracer does. fn gets
// each event with the context it concerns: the call's for call events
// (CallStarted, Probe, CooldownStarted, Recovered, AtLimit, CallDone),
// the attempt's for attempt events (the context its Source was called
// with). For CallStarted and AttemptStarted the context fn returns,
// which must be ctx or derived from it, becomes the call's context (its
// attempts derive from it) or the context the attempt's Source is called
// with: a span put there is the parent of the provider's own spans, and
// of the calls of a group nested in it. For other events what fn returns
// is ignored. Without an observer nothing of this runs. ObserveContext
// panics if fn is nil.
func ObserveContext(fn func(ctx context.Context, e Event) context.Context) Option {
	if fn == nil {
		panic("failover: ObserveContext needs a non-nil function")
	}
	return optionFunc(func(c *config) { c.observers = append(c.observers, fn) })
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
		case Completed, CallDone:
			attrs = append(attrs, slog.Int("emitted", e.Emitted))
		}
		if e.Parent.Call != 0 {
			attrs = append(attrs, slog.Uint64("parent_call", e.Parent.Call), slog.String("parent_provider", e.Parent.Provider))
		}
		l.LogAttrs(context.Background(), level, "relay: "+e.Kind.String(), attrs...)
	}
}

// changes returns the function that reports changes of health as events
// of the call that runs under ctx, or nil without an observer.
func (r *run[Req, Tok]) changes(ctx context.Context) func(Change) {
	if !r.g.cfg.observe {
		return nil
	}
	return func(c Change) {
		if c.Cooling {
			r.emit(ctx, Event{Kind: CooldownStarted, Provider: c.Provider, Until: c.Until})
		} else {
			r.emit(ctx, Event{Kind: Recovered, Provider: c.Provider})
		}
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
	case FirstToken:
		e.FirstToken = time.Since(a.began)
	case Committed:
		e.FirstToken = a.ttft
	case Completed, AttemptFailed:
		if a == r.live {
			e.Emitted = r.emitted
		}
	}
	r.emit(a, e)
}

// attemptStarted reports an attempt about to start, under the call's
// context, and returns the context its own derives from: ctx, or what an
// observer made of it.
//
//go:noinline
func (r *run[Req, Tok]) attemptStarted(ctx context.Context, a *attempt[Tok]) context.Context {
	done := false
	defer func() {
		if !done {
			a.free() // a panicking observer leaves no slot taken
		}
	}()
	ctx = r.emit(ctx, Event{Kind: AttemptStarted, Provider: a.info.Provider, Attempt: a.info.Number, Hedge: a.info.Hedge})
	done = true
	return ctx
}

// emit hands e, with the context it concerns, to the group's observers,
// and returns the context the last of them made of ctx.
func (r *run[Req, Tok]) emit(ctx context.Context, e Event) context.Context {
	e.Time = time.Now()
	e.Call = r.call
	if r.more != nil {
		e.Parent = r.more.parent
	}
	for _, fn := range r.g.cfg.observers {
		ctx = fn(ctx, e)
	}
	return ctx
}

//go:noinline
func (r *run[Req, Tok]) callDone(ctx context.Context) {
	r.emit(ctx, Event{Kind: CallDone, Err: r.err, Emitted: r.emitted})
}

// callIDs numbers the observed calls of the process.
var callIDs atomic.Uint64

// observed starts the events of a call: its identity, its parent, and
// CallStarted, whose observers may give the call its context.
//
//go:noinline
func (r *run[Req, Tok]) observed(ctx context.Context) context.Context {
	r.call = callIDs.Add(1)
	if info, ok := AttemptOf(ctx); ok {
		r.extra().parent = info
	}
	return r.emit(ctx, Event{Kind: CallStarted})
}
