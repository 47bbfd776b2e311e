package relayotel

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The attribute keys of spans and metrics.
const (
	keyGroup     = attribute.Key("relay.group")
	keyProvider  = attribute.Key("relay.provider")
	keyOutcome   = attribute.Key("relay.outcome")
	keyCall      = attribute.Key("relay.call")
	keyAttempt   = attribute.Key("relay.attempt")
	keyHedge     = attribute.Key("relay.hedge")
	keyResume    = attribute.Key("relay.resume")
	keyCommitted = attribute.Key("relay.committed")
	keyTTFT      = attribute.Key("relay.ttft_ms")
	keyEmitted   = attribute.Key("relay.emitted")
	keyAttempts  = attribute.Key("relay.attempts")
	keyResumes   = attribute.Key("relay.resumes")
	keyError     = attribute.Key("relay.error")
	keyCooldown  = attribute.Key("relay.cooldown_ms")
	keyDeferred  = attribute.Key("relay.deferred_ms")
)

// outcome is how a call or an attempt ended: the relay.outcome attribute.
type outcome uint8

const (
	ok        outcome = iota // ended cleanly
	failed                   // ended with an error
	canceled                 // the caller cut it short (its context ended, or it stopped reading)
	hedgeLost                // an attempt cancelled because another committed first
	outcomes
)

var outcomeNames = [outcomes]string{"ok", "error", "canceled", "hedge_lost"}

func (o outcome) String() string { return outcomeNames[o] }

// instruments are the metrics of one observer.
type instruments struct {
	calls         metric.Int64Counter
	attempts      metric.Int64Counter
	failovers     metric.Int64Counter
	hedgesStarted metric.Int64Counter
	hedgesWon     metric.Int64Counter
	hedgesLost    metric.Int64Counter
	resumes       metric.Int64Counter
	cooldowns     metric.Int64Counter
	probes        metric.Int64Counter
	active        metric.Int64UpDownCounter
	duration      metric.Float64Histogram
	ttft          metric.Float64Histogram
	tokens        metric.Int64Histogram
}

// Bucket boundaries, as advice to the SDK (a View may override them):
// the SDK's default ones are made for milliseconds.
var (
	callBuckets  = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250}
	ttftBuckets  = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30}
	tokenBuckets = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384}
)

func newInstruments(m metric.Meter) instruments {
	var in instruments
	counter := func(p *metric.Int64Counter, name, unit, desc string) {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err != nil {
			otel.Handle(err)
		}
		*p = c
	}
	counter(&in.calls, "relay.calls", "{call}", "Calls of the group, by outcome, and by the provider that served them last, if any.")
	counter(&in.attempts, "relay.attempts", "{attempt}", "Attempts of the group's calls, by provider and outcome.")
	counter(&in.failovers, "relay.failovers", "{attempt}", "Attempts started after a failed one of the same call (a retry of the provider or the next one), by the provider that failed.")
	counter(&in.hedgesStarted, "relay.hedges.started", "{attempt}", "Attempts started beside others of the same call in flight.")
	counter(&in.hedgesWon, "relay.hedges.won", "{attempt}", "Hedges (attempts started beside others) that committed.")
	counter(&in.hedgesLost, "relay.hedges.lost", "{attempt}", "Attempts cancelled because another attempt of the call committed first.")
	counter(&in.resumes, "relay.resumes", "{resume}", "Committed streams that failed and went on from what the caller had, by the provider that failed.")
	counter(&in.cooldowns, "relay.cooldowns", "{cooldown}", "Cooldowns the provider entered.")
	counter(&in.probes, "relay.probes", "{probe}", "Calls that held the probe of a provider whose cooldown ended.")
	var err error
	if in.active, err = m.Int64UpDownCounter("relay.active_attempts", metric.WithUnit("{attempt}"),
		metric.WithDescription("Attempts in flight, committed streams included until they end.")); err != nil {
		otel.Handle(err)
	}
	if in.duration, err = m.Float64Histogram("relay.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the group's calls, from their start to the end of their stream."),
		metric.WithExplicitBucketBoundaries(callBuckets...)); err != nil {
		otel.Handle(err)
	}
	if in.ttft, err = m.Float64Histogram("relay.attempt.time_to_first_token", metric.WithUnit("s"),
		metric.WithDescription("Time from an attempt's start to its first content token."),
		metric.WithExplicitBucketBoundaries(ttftBuckets...)); err != nil {
		otel.Handle(err)
	}
	if in.tokens, err = m.Int64Histogram("relay.call.tokens", metric.WithUnit("{token}"),
		metric.WithDescription("Tokens the caller received in one call."),
		metric.WithExplicitBucketBoundaries(tokenBuckets...)); err != nil {
		otel.Handle(err)
	}
	return in
}

// attrs is one attribute set, ready to pass to an instrument without an
// allocation.
type attrs struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

func newAttrs(kv ...attribute.KeyValue) attrs {
	o := metric.WithAttributeSet(attribute.NewSet(kv...))
	return attrs{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
}
