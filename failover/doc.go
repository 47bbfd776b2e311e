// Package failover sends one request to several streaming providers and
// returns exactly one clean stream: the first provider's answer that
// starts, never a mix of two.
//
// A [Group] holds named [Provider] values, each a [stream.Source]. Its
// [Group.Stream] method is a Source too, so a group nests inside another
// group or any pipeline stage; [Failover] is the shorthand for
// New(...).Stream.
//
//	g := failover.New([]failover.Provider[Req, string]{
//		{Name: "primary", Source: primary},
//		{Name: "backup", Source: backup},
//	}, failover.Attempts(2), failover.FirstTokenTimeout(5*time.Second))
//	toks, err := stream.Collect(ctx, g.Stream, req)
//
// # The commit point
//
// An attempt commits when relay receives its first content token (every
// token, unless [Content] says otherwise), or its n-th with
// [CommitAfter](n). Before that, any failure fails over to the next try:
// an error, an empty stream ([errs.ErrEmpty]), a panic in the provider's
// Source call, nil channels, an error reported while the token channel
// stays open, a first-token or idle timeout. After it, only that
// attempt's tokens are emitted, and a failure ends the stream with an
// [*errs.CommittedError] that says how many tokens the caller got, or,
// with [Resume], goes on from them on another provider (ending, if that
// fails too, with an [*errs.ResumeError]). A call that commits nothing
// ends with an [*errs.FailoverError] that names every attempt;
// [CommitTimeout] bounds how long that may take.
//
// # Order, retries and what stops a call
//
// Providers are tried in the given order, or per call in a [Shuffle]d,
// [RoundRobin], [Weighted] or [ByHealth] order; each is tried [Attempts]
// times before the next (or its own [Provider] Attempts). A provider
// whose Accepts declines the request, or that the call ignores ([Ignore]),
// is skipped without an attempt; when none is left the call ends with
// [errs.ErrNoProvider]. An [errs.Permanent] error and the caller's
// cancellation stop the whole call.
//
// # Retry policy
//
// Providers fail in different ways, and each wants its own answer: a rate
// limit (429 with Retry-After) wants a wait and another try of the same
// provider; an overload wants a jittered backoff, so that callers do not
// retry in lockstep; an authentication failure wants the next provider at
// once; a malformed request wants the call to stop, since every provider
// will refuse it. Retrying blindly turns an outage into a retry storm.
//
// Each failed attempt before the commit is classified ([Classify], by
// default [DefaultClass]): [Retry] the provider while it has tries left,
// move to the [NextProvider] at once, or [Stop] the call. Tries of one
// provider are separated by [Backoff] (exponential, full jitter), and
// they come before the next provider's. A provider's own
// [errs.RetryAfter] hint, up to [MaxRetryAfter], defers it instead: the
// call moves on to the providers after it at once and comes back to the
// hinted one only if it still needs it, once the hint has passed. No wait
// ends at or after the deadline, the caller's or [MaxCallTime]'s: relay
// gives that provider up for the call and moves on to one it can try now,
// or ends the call at once with [errs.ErrDeadline]. [RetryBudget] bounds
// the extra attempts that all calls of a group add during an outage.
// When every attempt of a call failed with a hint, its
// [*errs.FailoverError] carries the earliest time one may be tried again
// (RetryAt), which [errs.RetryAfterHint] reports: an outer group defers
// the whole nested group by it. A group that keeps health keeps a hint
// for every call (see [Cooldown]).
//
// For providers over HTTP, [HTTPClass] classifies [*errs.StatusError]:
// 408, 429, 5xx and 529 retry, 401, 403 and 404 move to the next
// provider, 400, 413 and 422 stop the call. The program
// internal/examples/ratelimit shows a 429 deferred while the call moves
// on, an authentication failure given up for the call, and the call
// coming back to the rate-limited provider once its hint has passed.
//
// A group nested inside another is one provider of it: its failure, a
// [*errs.FailoverError], is one failed attempt, classified by that error
// and its Err alone. The marks on the inner attempts ([errs.Permanent],
// [errs.RetryAfter]) steered the inner group and stay inside it, also
// when the inner group had committed (on a token the outer group does not
// count as content) and then failed with an [*errs.CommittedError].
// Nested messages say "relay:" once, at the outermost layer.
//
// # Hedging
//
// With [Hedge] or [AdaptiveHedge], a call whose attempt has not committed
// after a delay starts the next try beside it, up to [MaxInFlight] at
// once, within a [HedgeBudget]. The first attempt to commit wins; every
// other is cancelled with [errs.ErrHedgeLost] and nothing of it reaches
// the caller. A hedge never starts a provider that is cooling down unless
// the call holds its probe. After the commit a hedged call costs what any
// other does.
//
// # One loop before the commit
//
// Before its commit every call is one event loop over its attempts in
// flight, whatever the options: one slot without hedging (the Source is
// called on the driving goroutine and a wait is one select on the
// attempt's channels), up to [MaxInFlight] with it. Each feature is a
// rule in one place of that loop: the plan of tries (retries, backoff,
// Retry-After, cooling providers last) decides what may start and when,
// one place starts a try or gives the call up, and the hedge delay,
// backoff and Retry-After waits are one timer of the loop, never a
// sleep. After the commit the call is a plain receive loop.
//
// # Health across calls
//
// A group can remember how its providers fare: [Cooldown] moves a
// provider that keeps failing to the end of every call's order for a
// while, then lets one call probe it, and keeps a provider's Retry-After
// hint for every call until it passes; [ByHealth] orders by recent
// success and time to first token. They keep their counts in a [Health],
// in process by default ([NewHealth]) or shared ([WithHealth]), such as
// the Redis one of failover/redishealth; failover/healthtest is the
// conformance kit every Health passes. [LeastBusy] orders by the group's
// attempts in flight, and a [Provider]'s MaxConcurrent caps them.
// [Observe] reports every event of every call, [LogEvents] logs them
// through log/slog, and [ObserveContext] lets a tracer (such as
// failover/relayotel) put its spans in each call's and attempt's context.
//
// # Timeouts
//
// [FirstTokenTimeout] and [IdleTimeout] measure the provider, never the
// caller: time spent waiting for a slow reader does not count. The
// first-token timeout waits for a content token; the idle timeout counts
// every token. An attempt
// that relay stops for a timeout has [errs.ErrFirstTokenTimeout] or
// [errs.ErrIdleTimeout] as its cause; context.Canceled and
// context.DeadlineExceeded appear in an error only when the caller's
// context ended.
//
// # Reports
//
// [WithReport] asks one call for a [Report]: which provider served it and
// every attempt, with its cause, its time to first token and whether it
// committed. Calls without a report pay nothing for it.
//
// # Providers that break the contract
//
// A provider that panics in its Source call, returns nil channels, never
// closes a channel, or keeps sending after cancellation costs one attempt,
// never a hang of the caller or a lost token. One that reports success
// before it has sent every token still has every token delivered: relay
// reads a token channel until it closes, and one left open after success
// ends the attempt at a timeout with [errs.ErrContract] in the cause.
// After the commit, without timeouts, relay reads only the token channel
// (one receive per token), so a provider that reports an error and keeps
// its token channel open is ended by the caller's context alone; with an
// idle or first-token timeout set, relay also watches its error channel
// and ends such a stream with the provider's error at once. A provider goroutine that
// ignores its context can only be abandoned, not stopped: by the caller's
// context, a first-token timeout or an idle timeout. Set the timeouts when
// providers are not under your control.
package failover
