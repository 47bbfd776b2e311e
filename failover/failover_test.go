package failover_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
)

// outcome is how a call is expected to end.
type outcome int

const (
	ok        outcome = iota // success
	failedAll                // *errs.FailoverError
	committed                // *errs.CommittedError
)

type behaviour struct {
	name    string
	scripts [][]script // one list per provider, named a, b, c
	opts    []failover.Option
	want    []string      // tokens the caller receives
	end     outcome       // how the call ends
	cause   error         // errors.Is target of the final error, when it fails
	emitted int           // CommittedError.Emitted
	served  string        // Report.Served
	report  []att         // Report.Attempts, FirstToken included
	calls   []int         // calls per provider
	took    time.Duration // fake time the call took
}

func TestBehaviour(t *testing.T) {
	t.Parallel()
	for _, tc := range behaviours() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) { tc.check(t, f) })
		})
	}
}

// TestBehaviourWithHedging runs every behaviour through the event loop of
// a hedging call. With a delay of an hour no hedge ever starts, so every
// row must come out exactly as it does without hedging.
func TestBehaviourWithHedging(t *testing.T) {
	t.Parallel()
	for _, tc := range behaviours() {
		tc.opts = append(tc.opts[:len(tc.opts):len(tc.opts)], failover.Hedge(time.Hour))
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) { tc.check(t, f) })
		})
	}
}

func behaviours() []behaviour {
	boom := errors.New("boom")
	return []behaviour{
		{
			name:    "the first provider streams and no other is called",
			scripts: [][]script{toks("x", "y"), toks("p")},
			want:    []string{"x", "y"},
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true}},
			calls:   []int{1, 0},
		},
		{
			name:    "an error before any token fails over",
			scripts: [][]script{fails(errA), toks("p", "q")},
			want:    []string{"p", "q"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: errA}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
		},
		{
			name:    "an empty stream fails over with ErrEmpty",
			scripts: [][]script{{{}}, toks("p")},
			want:    []string{"p"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: errs.ErrEmpty}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
		},
		{
			name:    "a panic in the source call fails over",
			scripts: [][]script{{{Panic: boom}}, toks("p")},
			want:    []string{"p"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: boom}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
		},
		{
			name:    "a nil token channel fails over",
			scripts: [][]script{{{Tokens: []string{"x"}, NilTokens: true}}, toks("p")},
			want:    []string{"p"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: errs.ErrContract}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
		},
		{
			name:    "a nil error channel fails over",
			scripts: [][]script{{{Tokens: []string{"x"}, NilErrors: true}}, toks("p")},
			want:    []string{"p"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: errs.ErrContract}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
		},
		{
			name:    "an error while the token channel stays open fails over at once",
			scripts: [][]script{{{Err: errA, ErrOpen: true}}, toks("p")},
			want:    []string{"p"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: errA}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
		},
		{
			name:    "an error sent just after the token channel closes fails over",
			scripts: [][]script{{{Err: errA, ErrAfterClose: true}}, toks("p")},
			want:    []string{"p"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: errA}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
		},
		{
			name:    "a first-token timeout fails over after exactly the timeout",
			scripts: [][]script{{{Tokens: []string{"x"}, FirstDelay: time.Minute}}, toks("p")},
			opts:    []failover.Option{failover.FirstTokenTimeout(2 * time.Second)},
			want:    []string{"p"},
			served:  "b",
			report: []att{
				{Provider: "a", Number: 1, Err: errs.ErrFirstTokenTimeout},
				{Provider: "b", Number: 1, Committed: true},
			},
			calls: []int{1, 1},
			took:  2 * time.Second,
		},
		{
			name:    "a provider that never closes its channels is abandoned at the first-token timeout",
			scripts: [][]script{{{NeverClose: true, IgnoreCtx: true}}, toks("p")},
			opts:    []failover.Option{failover.FirstTokenTimeout(time.Second)},
			want:    []string{"p"},
			served:  "b",
			report: []att{
				{Provider: "a", Number: 1, Err: errs.ErrFirstTokenTimeout},
				{Provider: "b", Number: 1, Committed: true},
			},
			calls: []int{1, 1},
			took:  time.Second,
		},
		{
			name:    "a provider that stalls before its first token and ignores ctx is abandoned",
			scripts: [][]script{{{Tokens: []string{"x"}, Stall: true, IgnoreCtx: true}}, toks("p")},
			opts:    []failover.Option{failover.FirstTokenTimeout(time.Second)},
			want:    []string{"p"},
			served:  "b",
			report: []att{
				{Provider: "a", Number: 1, Err: errs.ErrFirstTokenTimeout},
				{Provider: "b", Number: 1, Committed: true},
			},
			calls: []int{1, 1},
			took:  time.Second,
		},
		{
			name:    "an error after the commit ends the stream with CommittedError and tries no one else",
			scripts: [][]script{{{Tokens: []string{"x", "y"}, Err: errA}}, toks("p")},
			want:    []string{"x", "y"},
			end:     committed,
			cause:   errA,
			emitted: 2,
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true, Err: errA}},
			calls:   []int{1, 0},
		},
		{
			name:    "an error sent just after the token channel closes is accepted after the commit",
			scripts: [][]script{{{Tokens: []string{"x"}, Err: errA, ErrAfterClose: true}}, toks("p")},
			want:    []string{"x"},
			end:     committed,
			cause:   errA,
			emitted: 1,
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true, Err: errA}},
			calls:   []int{1, 0},
		},
		{
			name:    "success sent just after the token channel closes is accepted",
			scripts: [][]script{{{Tokens: []string{"x"}, ErrAfterClose: true}}},
			want:    []string{"x"},
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true}},
			calls:   []int{1},
		},
		{
			name:    "success said by closing the error channel while tokens are buffered keeps every token",
			scripts: [][]script{{{Tokens: []string{"x", "y", "z"}, Buffer: 3}}},
			want:    []string{"x", "y", "z"},
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true}},
			calls:   []int{1},
		},
		{
			name:    "success said by sending nil while tokens are buffered keeps every token",
			scripts: [][]script{{{Tokens: []string{"x", "y", "z"}, Buffer: 3, NilOnSuccess: true}}},
			want:    []string{"x", "y", "z"},
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true}},
			calls:   []int{1},
		},
		{
			name:    "an error sent while tokens are buffered delivers them and then the error",
			scripts: [][]script{{{Tokens: []string{"x", "y"}, Buffer: 2, Err: errA}}, toks("p")},
			want:    []string{"x", "y"},
			end:     committed,
			cause:   errA,
			emitted: 2,
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true, Err: errA}},
			calls:   []int{1, 0},
		},
		{
			name:    "an idle timeout after the commit ends the stream with CommittedError",
			scripts: [][]script{{{Tokens: []string{"x", "y", "z"}, Stall: true, StallAfter: 2}}, toks("p")},
			opts:    []failover.Option{failover.IdleTimeout(time.Second)},
			want:    []string{"x", "y"},
			end:     committed,
			cause:   errs.ErrIdleTimeout,
			emitted: 2,
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true, Err: errs.ErrIdleTimeout}},
			calls:   []int{1, 0},
			// "y" goes to the caller first, so the wait after it is first
			// seen at the tick a quarter of d later: the bound is 1.25d
			// after a token.
			took: 1250 * time.Millisecond,
		},
		{
			name:    "a committed provider that never closes its channels is abandoned at the idle timeout",
			scripts: [][]script{{{Tokens: []string{"x"}, NeverClose: true, IgnoreCtx: true}}},
			opts:    []failover.Option{failover.IdleTimeout(time.Second)},
			want:    []string{"x"},
			end:     committed,
			cause:   errs.ErrIdleTimeout,
			emitted: 1,
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true, Err: errs.ErrIdleTimeout}},
			calls:   []int{1},
			took:    1250 * time.Millisecond, // the first token goes to the caller first: the watch counts from the tick after it
		},
		{
			name:    "a committed provider that reports an error and keeps its token channel open ends with its error",
			scripts: [][]script{{{Tokens: []string{"x"}, Err: errA, ErrOpen: true}}},
			opts:    []failover.Option{failover.IdleTimeout(time.Second)},
			want:    []string{"x"},
			end:     committed,
			cause:   errA,
			emitted: 1,
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true, Err: errA}},
			calls:   []int{1},
		},
		{
			name:    "a committed provider whose ctx-ignoring stall is ended by the idle timeout",
			scripts: [][]script{{{Tokens: []string{"x", "y"}, Stall: true, StallAfter: 1, IgnoreCtx: true}}},
			opts:    []failover.Option{failover.IdleTimeout(time.Second), failover.FirstTokenTimeout(time.Second)},
			want:    []string{"x"},
			end:     committed,
			cause:   errs.ErrIdleTimeout,
			emitted: 1,
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true, Err: errs.ErrIdleTimeout}},
			calls:   []int{1},
			took:    1250 * time.Millisecond, // the first token goes to the caller first: the watch counts from the tick after it
		},
		{
			name:    "each provider is tried Attempts times before the next, numbered from 1",
			scripts: [][]script{{{Err: errA}, {Err: errB}, {Tokens: []string{"x"}}}, toks("p")},
			opts:    []failover.Option{failover.Attempts(3)},
			want:    []string{"x"},
			served:  "a",
			report: []att{
				{Provider: "a", Number: 1, Err: errA},
				{Provider: "a", Number: 2, Err: errB},
				{Provider: "a", Number: 3, Committed: true},
			},
			calls: []int{3, 0},
		},
		{
			name:    "when every attempt fails the error lists each one",
			scripts: [][]script{fails(errA), {{}}, fails(errC)},
			opts:    []failover.Option{failover.Attempts(2)},
			end:     failedAll,
			cause:   errC,
			report: []att{
				{Provider: "a", Number: 1, Err: errA},
				{Provider: "a", Number: 2, Err: errA},
				{Provider: "b", Number: 1, Err: errs.ErrEmpty},
				{Provider: "b", Number: 2, Err: errs.ErrEmpty},
				{Provider: "c", Number: 1, Err: errC},
				{Provider: "c", Number: 2, Err: errC},
			},
			calls: []int{2, 2, 2},
		},
		{
			name:    "a Permanent error stops the call at once",
			scripts: [][]script{fails(errs.Permanent(errA)), toks("p")},
			opts:    []failover.Option{failover.Attempts(3)},
			end:     failedAll,
			cause:   errA,
			report:  []att{{Provider: "a", Number: 1, Err: errA}},
			calls:   []int{1, 0},
		},
		{
			name:    "tokens that are not content are held until the commit",
			scripts: [][]script{{{Tokens: []string{"#meta", "x", "#usage"}}}},
			opts:    []failover.Option{failover.Content(isContent)},
			want:    []string{"#meta", "x", "#usage"},
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true}},
			calls:   []int{1},
		},
		{
			name:    "tokens that are not content are dropped with a failed attempt",
			scripts: [][]script{{{Tokens: []string{"#meta", "#usage"}, Err: errA}}, {{Tokens: []string{"#m2", "p"}}}},
			opts:    []failover.Option{failover.Content(isContent)},
			want:    []string{"#m2", "p"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: errA}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
		},
		{
			name:    "a stream of only tokens that are not content is empty",
			scripts: [][]script{{{Tokens: []string{"#meta"}}}, toks("p")},
			opts:    []failover.Option{failover.Content(isContent)},
			want:    []string{"p"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: errs.ErrEmpty}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
		},
		{
			name:    "an idle timeout before the commit fails over",
			scripts: [][]script{{{Tokens: []string{"#meta", "x"}, Stall: true, StallAfter: 1}}, toks("p")},
			opts:    []failover.Option{failover.Content(isContent), failover.IdleTimeout(time.Second)},
			want:    []string{"p"},
			served:  "b",
			report:  []att{{Provider: "a", Number: 1, Err: errs.ErrIdleTimeout}, {Provider: "b", Number: 1, Committed: true}},
			calls:   []int{1, 1},
			took:    time.Second,
		},
		{
			name: "first-token times are reported",
			scripts: [][]script{
				{{Tokens: []string{"x"}, FirstDelay: 3 * time.Second, Err: errA}},
				{{Tokens: []string{"p"}, FirstDelay: 2 * time.Second}},
			},
			opts:    []failover.Option{failover.FirstTokenTimeout(5 * time.Second)},
			want:    []string{"x"},
			end:     committed,
			cause:   errA,
			emitted: 1,
			served:  "a",
			report:  []att{{Provider: "a", Number: 1, Committed: true, FirstToken: 3 * time.Second, Err: errA}},
			calls:   []int{1, 0},
			took:    3 * time.Second,
		},
	}
}

func isContent(tok string) bool { return tok == "" || tok[0] != '#' }

func (tc behaviour) check(t *testing.T, f form) {
	fs := fakes(tc.scripts...)
	g := failover.New(providers(fs), tc.opts...)
	ctx, rep := failover.WithReport(t.Context())
	start := time.Now()
	got, err := f.collect(ctx, g, "req")
	took := time.Since(start)
	waitAll(fs)

	if d := diff(tc.want, got); d != "" {
		t.Errorf("tokens (-want +got):\n%s", d)
	}
	switch tc.end {
	case ok:
		if err != nil {
			t.Errorf("err = %v, want nil", err)
		}
	case failedAll:
		var fe *errs.FailoverError
		if !errors.As(err, &fe) {
			t.Fatalf("err = %v (%T), want a *errs.FailoverError", err, err)
		}
		if len(fe.Attempts) != len(tc.report) {
			t.Errorf("FailoverError has %d attempts, want %d", len(fe.Attempts), len(tc.report))
		}
	case committed:
		var ce *errs.CommittedError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v (%T), want a *errs.CommittedError", err, err)
		}
		if ce.Provider != tc.served || ce.Emitted != tc.emitted {
			t.Errorf("CommittedError{Provider: %q, Emitted: %d}, want {%q, %d}", ce.Provider, ce.Emitted, tc.served, tc.emitted)
		}
	}
	if tc.cause != nil && !errors.Is(err, tc.cause) {
		t.Errorf("err = %v, want one that wraps %v", err, tc.cause)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v mentions a context error, but the caller's context never ended", err)
	}
	if got := rep.Served(); got != tc.served {
		t.Errorf("Served() = %q, want %q", got, tc.served)
	}
	if d := diff(tc.report, summary(rep)); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
	if d := diff(tc.calls, calls(fs)); d != "" {
		t.Errorf("calls per provider (-want +got):\n%s", d)
	}
	if took != tc.took {
		t.Errorf("the call took %v of fake time, want %v", took, tc.took)
	}
}
