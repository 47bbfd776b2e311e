package failover

import (
	"context"
	"slices"
)

// callKey is the one context key relay reads when a call starts, so that
// a call costs a single lookup whatever it was asked for.
type callKey struct{}

// callValues is what a context asks of the calls made with it.
type callValues struct {
	ignore []string
	report *Report
	// parent is the report entry of the attempt whose Source this call
	// is (a group nested in a reported call): the call reports to it.
	parent *Report
	entry  int32
}

func valuesOf(ctx context.Context) callValues {
	v, _ := ctx.Value(callKey{}).(*callValues)
	if v == nil {
		return callValues{}
	}
	return *v
}

// Ignore returns a copy of ctx that makes every group skip the named
// providers, without an attempt, in calls made with it. Names accumulate:
// Ignore on a context that already ignores some providers ignores those too.
// Groups nested inside a call see the same context, so a name is skipped at
// every level. Ignore panics if ctx is nil.
func Ignore(ctx context.Context, names ...string) context.Context {
	if ctx == nil {
		panic("failover: Ignore needs a non-nil context")
	}
	v := valuesOf(ctx)
	v.ignore = append(slices.Clip(v.ignore), names...)
	return context.WithValue(ctx, callKey{}, &v)
}

// WithReport returns a copy of ctx that asks the first call made with it for
// a [Report], and that Report. The call fills it in as it runs; read it once
// the stream has ended. Groups nested inside the call, and later calls made
// with the same ctx, leave it alone, so the report always describes exactly
// one call of one group. A call made without a report pays nothing for this.
// WithReport panics if ctx is nil.
func WithReport(ctx context.Context) (context.Context, *Report) {
	if ctx == nil {
		panic("failover: WithReport needs a non-nil context")
	}
	v := valuesOf(ctx)
	v.report = &Report{}
	return context.WithValue(ctx, callKey{}, &v), v.report
}

// claim returns the report this call should fill in, or nil: the one
// the caller asked for, or, for a group nested in a reported call, a new
// one linked to the outer attempt's entry.
func (v callValues) claim() *Report {
	if r := v.report; r != nil && r.claimed.CompareAndSwap(false, true) {
		return r
	}
	if v.parent != nil {
		r := &Report{}
		r.claimed.Store(true)
		v.parent.nest(v.entry, r)
		return r
	}
	return nil
}

// AttemptInfo says which attempt a provider's Source call serves.
type AttemptInfo struct {
	Provider string // the provider's name in its group
	Number   int    // its try within the call's current phase, from 1
	Hedge    bool   // it started beside other attempts of the call in flight
	// Resume is 0 for the call's first phase, and k for the k-th
	// continuation of a committed stream that failed (see [Resume]).
	Resume int
	// Call is the call's identity in its group's events (see
	// [Event].Call); 0 when the group has no observer.
	Call uint64
}

type attemptKey struct{}

// AttemptOf returns which attempt a provider serves, read from the context
// its Source was called with, for its logs and for idempotency keys
// (provider, number and resume tell apart the tries of one call). It
// reports false for a context that is not an attempt's, nil included. A
// provider nested in an inner group sees the inner group's attempt.
// Reading it costs no allocation.
func AttemptOf(ctx context.Context) (AttemptInfo, bool) {
	if ctx == nil {
		return AttemptInfo{}, false
	}
	info, ok := ctx.Value(attemptKey{}).(*AttemptInfo)
	if !ok {
		return AttemptInfo{}, false
	}
	return *info, true
}
