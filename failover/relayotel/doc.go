// Package relayotel traces and counts the calls of a failover group in
// OpenTelemetry.
//
// relayotel.New(group, ...) is an option of a failover group, like any
// other: it observes the group's events ([failover.ObserveContext]) and
// turns them into spans and metrics, with the tracer and meter providers
// given with [WithTracerProvider] and [WithMeterProvider] (otel's globals
// by default).
//
//	g := failover.New(providers,
//		failover.Hedge(2*time.Second),
//		relayotel.New("chat", relayotel.WithTracerProvider(tp), relayotel.WithMeterProvider(mp)))
//
// # Spans
//
// Each call is a span, "relay <group>", and each of its attempts a child
// span, "relay <group>/<provider>". An attempt's span is in the context
// its provider's Source is called with: the provider's own spans (an
// HTTP client's, an LLM SDK's) are its children, and so is the call span
// of a group nested in it, so a trace shows the whole tree of tiers. The
// attributes:
//
//   - both: relay.group, and relay.provider (for a call, the provider of
//     its latest commit, if any);
//   - a call: relay.call (the call's identity in the group's events),
//     relay.outcome, relay.emitted (tokens the caller received),
//     relay.attempts, and relay.resumes when it resumed;
//   - an attempt: relay.attempt (the provider's try, from 1), relay.hedge
//     (started beside other attempts in flight), relay.resume (the
//     continuation it serves, 0 for the first phase), relay.ttft_ms (time
//     to its first content token), relay.committed, relay.emitted (for
//     the committed one), relay.outcome.
//
// relay.outcome is "ok", "error", "canceled" (the caller's context ended
// or the caller stopped reading) or, for an attempt, "hedge_lost". A span
// that ended with an error records it (span.RecordError) and has status
// Error with its message; a lost hedge is not an error. Span events mark
// what happened on the way: relay.commit and relay.held (CommitAfter) on
// an attempt, relay.hedge_lost, relay.deferred (a Retry-After hint); on
// the call, relay.probe, relay.cooldown, relay.recovered, relay.at_limit
// and relay.resume, each with the provider concerned.
//
// Every span ends: an attempt's span at its outcome, the call's span when
// the call's stream has ended. An attempt that reported no outcome (the
// caller broke out of the loop over [failover.Group.All] while it was in
// flight) ends with the call, with the call's error.
//
// # Metrics
//
// Every metric has the attribute relay.group, and relay.provider where a
// provider is concerned:
//
//   - relay.calls {call}: calls, by relay.outcome and by the provider of
//     the latest commit;
//   - relay.call.duration (s) and relay.call.tokens {token}: histograms
//     of the calls' durations and of the tokens each delivered, with the
//     attributes of relay.calls;
//   - relay.attempts {attempt}: attempts, by provider and relay.outcome;
//   - relay.active_attempts {attempt}: attempts in flight, by provider
//     (an up-down counter; a committed stream counts until it ends);
//   - relay.attempt.time_to_first_token (s): per provider;
//   - relay.failovers {attempt}: attempts started after an attempt of
//     the same call failed (a retry or the next provider), by the
//     provider that failed;
//   - relay.hedges.started, relay.hedges.won, relay.hedges.lost
//     {attempt}: hedges started, hedges that committed, and attempts
//     cancelled because another one committed first;
//   - relay.resumes {resume}, relay.cooldowns {cooldown} and relay.probes
//     {probe}: by the provider that failed, cooled down or was probed.
//
// A call that ends before it starts (no provider eligible for the
// request, or a context already done) has no events, so it has no span
// and is not counted.
//
// # Cost
//
// The observer works per call and per attempt, never per token, so a
// committed stream costs what it costs without it. The attribute sets of
// the metrics are made once per provider, and span attributes are built
// only for a span that records. Given otel's no-op TracerProvider,
// relayotel starts no span at all: a call then pays one allocation (its
// state) and a few counter calls, about what any observer costs; with
// the SDK, what the SDK costs for two spans and a dozen measurements.
// The bench module measures both beside a call without an observer and
// one with an observer that does nothing.
//
// relayotel is a module of its own, so that relay's own module does not
// depend on OpenTelemetry. (Until relay is tagged, its go.mod reaches
// relay through a replace directive, so use it from within relay's
// repository or with a replace of your own.)
package relayotel
