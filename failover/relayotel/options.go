package relayotel

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// An Option configures what [New] reports to. Options that are given bad
// values panic when they are made, with a message starting "failover:".
type Option interface{ apply(*config) }

// config holds every option of New; this file is the one place they are
// written.
type config struct {
	tracers trace.TracerProvider // WithTracerProvider; nil: otel's global
	meters  metric.MeterProvider // WithMeterProvider; nil: otel's global
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithTracerProvider makes the spans with tp instead of otel's global
// TracerProvider (otel.GetTracerProvider, which forwards to whatever
// otel.SetTracerProvider sets, later too). Pass a no-op provider
// (go.opentelemetry.io/otel/trace/noop) to turn tracing off: relayotel
// then starts no span at all, and its providers' own spans keep the
// caller's span as their parent.
// WithTracerProvider panics if tp is nil.
func WithTracerProvider(tp trace.TracerProvider) Option {
	if tp == nil {
		panic("failover: relayotel.WithTracerProvider needs a non-nil TracerProvider")
	}
	return optionFunc(func(c *config) { c.tracers = tp })
}

// WithMeterProvider makes the instruments with mp instead of otel's
// global MeterProvider (otel.GetMeterProvider, which forwards to whatever
// otel.SetMeterProvider sets, later too). Pass a no-op provider
// (go.opentelemetry.io/otel/metric/noop) to turn metrics off. With both
// providers no-op, New installs no observer at all: the group pays
// nothing.
// WithMeterProvider panics if mp is nil.
func WithMeterProvider(mp metric.MeterProvider) Option {
	if mp == nil {
		panic("failover: relayotel.WithMeterProvider needs a non-nil MeterProvider")
	}
	return optionFunc(func(c *config) { c.meters = mp })
}

// resolve applies opts and fills in the globals.
func resolve(opts []Option) config {
	var c config
	for _, o := range opts {
		if o == nil {
			panic("failover: relayotel.New was given a nil Option")
		}
		o.apply(&c)
	}
	if c.tracers == nil {
		c.tracers = otel.GetTracerProvider()
	}
	if c.meters == nil {
		c.meters = otel.GetMeterProvider()
	}
	return c
}
