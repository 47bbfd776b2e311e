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

// claim returns the report this call should fill in, or nil.
func (v callValues) claim() *Report {
	if r := v.report; r != nil && r.claimed.CompareAndSwap(false, true) {
		return r
	}
	return nil
}
