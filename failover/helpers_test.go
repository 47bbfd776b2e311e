package failover_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

type script = streamtest.Script[string]

// A form is one way of consuming a group: the behaviour tests run against
// every form.
type form struct {
	name    string
	collect func(ctx context.Context, g *failover.Group[string, string], req string) ([]string, error)
	// read returns a pull iterator over the call, whatever the form.
	read func(ctx context.Context, g *failover.Group[string, string], req string) iter.Seq2[string, error]
}

var forms = []form{
	{
		name: "Stream",
		collect: func(ctx context.Context, g *failover.Group[string, string], req string) ([]string, error) {
			return stream.Collect(ctx, g.Stream, req)
		},
		read: func(ctx context.Context, g *failover.Group[string, string], req string) iter.Seq2[string, error] {
			return readStream(ctx, g.Stream, req)
		},
	},
	{
		name: "All",
		collect: func(ctx context.Context, g *failover.Group[string, string], req string) ([]string, error) {
			return drain(g.All(ctx, req))
		},
		read: func(ctx context.Context, g *failover.Group[string, string], req string) iter.Seq2[string, error] {
			return g.All(ctx, req)
		},
	},
}

// readStream reads a source's channels directly, without cancelling for
// the caller, so that tests see exactly what the channels deliver.
func readStream(ctx context.Context, src stream.Source[string, string], req string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		out, errc := src(ctx, req)
		for tok := range out {
			if !yield(tok, nil) {
				return
			}
		}
		if err := <-errc; err != nil {
			yield("", err)
		}
	}
}

// eachForm runs body once per form, each in its own synctest bubble.
func eachForm(t *testing.T, body func(t *testing.T, f form)) {
	t.Helper()
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { body(t, f) })
		})
	}
}

// fakes makes one fake provider per script list, named a, b, c, ...
func fakes(scripts ...[]script) []*streamtest.Provider[string, string] {
	out := make([]*streamtest.Provider[string, string], len(scripts))
	for i, s := range scripts {
		out[i] = streamtest.New[string](s...)
	}
	return out
}

func providers(fs []*streamtest.Provider[string, string]) []failover.Provider[string, string] {
	out := make([]failover.Provider[string, string], len(fs))
	for i, f := range fs {
		out[i] = failover.Provider[string, string]{Name: string(rune('a' + i)), Source: f.Source}
	}
	return out
}

func calls(fs []*streamtest.Provider[string, string]) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = f.Calls()
	}
	return out
}

// waitAll releases every fake and waits for its goroutines, so a test fails
// (deadlocks in its bubble) if relay left a provider blocked that it should
// have cancelled.
func waitAll(fs []*streamtest.Provider[string, string]) {
	// A nested group's relay goroutine may still be ending its attempts.
	synctest.Wait()
	for _, f := range fs {
		f.Wait()
	}
}

// att is the comparable part of a report's attempt.
type att struct {
	Provider   string
	Number     int
	Committed  bool
	FirstToken time.Duration
	Err        error
}

func summary(r *failover.Report) []att {
	var out []att
	for _, a := range r.Attempts() {
		out = append(out, att{a.Provider, a.Number, a.Committed, a.FirstToken, a.Err})
	}
	return out
}

var equateErrors = cmpopts.EquateErrors()

func diff(want, got any) string { return cmp.Diff(want, got, equateErrors) }

func toks(ts ...string) []script { return []script{{Tokens: ts}} }
func fails(err error) []script   { return []script{{Err: err}} }

var (
	errA = errors.New("a is down")
	errB = errors.New("b is down")
	errC = errors.New("c is down")
)

func words(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// drain reads a pull iterator to its end.
func drain(seq iter.Seq2[string, error]) (toks []string, err error) {
	for tok, e := range seq {
		if e != nil {
			return toks, e
		}
		toks = append(toks, tok)
	}
	return toks, nil
}
