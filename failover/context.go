package failover

import (
	"context"
	"slices"
)

type ignoreKey struct{}

// Ignore returns a copy of ctx that makes every group skip the named
// providers, without an attempt, in calls made with it. Names accumulate:
// Ignore on a context that already ignores some providers ignores those too.
// Groups nested inside a call see the same context, so a name is skipped at
// every level.
func Ignore(ctx context.Context, names ...string) context.Context {
	prev, _ := ctx.Value(ignoreKey{}).([]string)
	return context.WithValue(ctx, ignoreKey{}, append(slices.Clip(prev), names...))
}

func ignored(ctx context.Context) []string {
	names, _ := ctx.Value(ignoreKey{}).([]string)
	return names
}

type reportKey struct{}

// WithReport returns a copy of ctx that asks the first call made with it for
// a [Report], and that Report. The call fills it in as it runs; read it once
// the stream has ended. Groups nested inside the call, and later calls made
// with the same ctx, leave it alone, so the report always describes exactly
// one call of one group. A call made without a report pays nothing for this.
func WithReport(ctx context.Context) (context.Context, *Report) {
	r := &Report{}
	return context.WithValue(ctx, reportKey{}, r), r
}

// reportFor returns the report this call should fill in, or nil.
func reportFor(ctx context.Context) *Report {
	r, _ := ctx.Value(reportKey{}).(*Report)
	if r == nil || !r.claimed.CompareAndSwap(false, true) {
		return nil
	}
	return r
}
