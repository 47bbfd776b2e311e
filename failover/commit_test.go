package failover_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

func TestCommitAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		scripts [][]script
		opts    []failover.Option
		want    []string
		report  []att
		err     bool
	}{
		{
			name:    "a failure within the first n tokens fails over with nothing shown",
			scripts: [][]script{{{Tokens: []string{"x", "y"}, Err: errA}}, toks("p", "q", "r", "s")},
			want:    []string{"p", "q", "r", "s"},
			report:  []att{{Provider: "a", Number: 1, Err: errA}, {Provider: "b", Number: 1, Committed: true}},
		},
		{
			name:    "the n-th content token commits, and the held ones come first, in order",
			scripts: [][]script{{{Tokens: []string{"#meta", "x", "#ping", "y", "z", "w"}, Err: errA}}, toks("p")},
			opts:    []failover.Option{failover.Content(isContent)},
			want:    []string{"#meta", "x", "#ping", "y", "z", "w"},
			report:  []att{{Provider: "a", Number: 1, Committed: true, Err: errA}},
			err:     true,
		},
		{
			name:    "a clean end before n commits what was held",
			scripts: [][]script{toks("x", "y"), toks("p")},
			want:    []string{"x", "y"},
			report:  []att{{Provider: "a", Number: 1, Committed: true}},
		},
		{
			name:    "a stream of tokens that are not content is still empty",
			scripts: [][]script{{{Tokens: []string{"#meta"}}}, toks("p", "q", "r")},
			opts:    []failover.Option{failover.Content(isContent)},
			want:    []string{"p", "q", "r"},
			report:  []att{{Provider: "a", Number: 1, Err: errs.ErrEmpty}, {Provider: "b", Number: 1, Committed: true}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachForm(t, func(t *testing.T, f form) {
				fs := fakes(tc.scripts...)
				ctx, rep := failover.WithReport(t.Context())
				got, err := f.collect(ctx, failover.New(providers(fs), append(tc.opts, failover.CommitAfter(3))...), "req")
				waitAll(fs)
				if diff(tc.want, got) != "" || (err != nil) != tc.err {
					t.Errorf("got %q, %v; want %q (error: %v)", got, err, tc.want, tc.err)
				}
				if d := diff(tc.report, summaryNoTTFT(rep)); d != "" {
					t.Errorf("report (-want +got):\n%s", d)
				}
			})
		})
	}
	t.Run("the first token waits for the n-th", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: words("w", 5), Gap: time.Second}})
			g := failover.New(providers(fs), failover.CommitAfter(3))
			t0 := time.Now()
			seen := false
			for _, err := range f.read(t.Context(), g, "req") {
				if err != nil {
					t.Fatal(err)
				}
				if took := time.Since(t0); took != 2*time.Second {
					t.Errorf("the first token arrived after %v, want 2s, with the third", took)
				}
				seen = true
				break
			}
			if !seen {
				t.Error("the stream ended without a token")
			}
			waitAll(fs)
		})
	})
}

// summaryNoTTFT is summary without first-token times.
func summaryNoTTFT(r *failover.Report) []att {
	out := summary(r)
	for i := range out {
		out[i].FirstToken = 0
	}
	return out
}

// continueText is a resume function for text: the continuation's request
// is the original with what the caller has, as a model's prompt would be.
func continueText(req string, emitted []string) (string, error) {
	return req + "|" + strings.Join(emitted, ""), nil
}

// writer is a provider that continues a text: given "req|prefix", it
// streams the words of its text after the prefix, and fails after its
// limit of tokens.
func writer(text string, limit int, calls *sync.Map) stream.Source[string, string] {
	return stream.Generate(func(ctx context.Context, req string, yield func(string) bool) error {
		if info, ok := failover.AttemptOf(ctx); ok && calls != nil {
			calls.Store(fmt.Sprintf("%s#%d r%d h%v", info.Provider, info.Number, info.Resume, info.Hedge), req)
		}
		_, prefix, _ := strings.Cut(req, "|")
		rest := strings.TrimPrefix(text, prefix)
		if len(rest) == len(text) && prefix != "" {
			return errs.Permanent(fmt.Errorf("cannot continue %q", prefix))
		}
		for i, w := range strings.SplitAfter(rest, " ") {
			if w == "" {
				continue
			}
			if i == limit {
				return errors.New("connection reset")
			}
			if !yield(w) {
				return ctx.Err()
			}
		}
		return nil
	})
}

const text = "the quick brown fox jumps over the lazy dog"

func TestResume(t *testing.T) {
	t.Parallel()
	t.Run("continues across two failures without a duplicated or lost token", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			g := failover.New([]failover.Provider[string, string]{
				{Name: "a", Source: writer(text, 3, nil)},
				{Name: "b", Source: writer(text, 2, nil)},
				{Name: "c", Source: writer(text, 100, nil)},
			}, failover.Resume(continueText))
			ctx, rep := failover.WithReport(t.Context())
			got, err := f.collect(ctx, g, "req")
			if err != nil || strings.Join(got, "") != text {
				t.Errorf("got %q, %v; want the whole text once", strings.Join(got, ""), err)
			}
			var phases []string
			for _, a := range rep.Attempts() {
				phases = append(phases, fmt.Sprintf("%s%d", a.Provider, a.Resume))
			}
			if d := diff([]string{"a0", "b1", "c2"}, phases); d != "" {
				t.Errorf("attempts by phase (-want +got):\n%s", d)
			}
			if rep.Served() != "c" {
				t.Errorf("Served() = %q, want the last to commit", rep.Served())
			}
		})
	})
	t.Run("a refusal ends the call with what was delivered", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			refuse := errors.New("a tool call is half written")
			g := failover.New([]failover.Provider[string, string]{
				{Name: "a", Source: writer(text, 3, nil)},
				{Name: "b", Source: writer(text, 100, nil)},
			}, failover.Resume(func(string, []string) (string, error) { return "", refuse }))
			got, err := f.collect(t.Context(), g, "req")
			var re *errs.ResumeError
			var ce *errs.CommittedError
			if !errors.As(err, &re) || !errors.Is(err, refuse) || re.Resumes != 0 || re.Emitted != 3 || !errors.As(err, &ce) || ce.Provider != "a" {
				t.Errorf("err = %v, want a ResumeError naming a's failure and the refusal", err)
			}
			if len(got) != 3 {
				t.Errorf("got %q, want a's three tokens", got)
			}
		})
	})
	t.Run("stops at MaxResumes", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			g := failover.New([]failover.Provider[string, string]{
				{Name: "a", Source: writer(text, 2, nil)},
				{Name: "b", Source: writer(text, 2, nil)},
				{Name: "c", Source: writer(text, 2, nil)},
			}, failover.Resume(continueText), failover.MaxResumes(1))
			got, err := f.collect(t.Context(), g, "req")
			var re *errs.ResumeError
			if !errors.As(err, &re) || !errors.Is(err, errs.ErrMaxResumes) || re.Resumes != 1 || len(re.Failures) != 2 || re.Emitted != 4 {
				t.Errorf("err = %v, want a ResumeError after one resume and two failures", err)
			}
			if strings.Join(got, "") != "the quick brown fox " {
				t.Errorf("got %q, want the first four words once", strings.Join(got, ""))
			}
			if !strings.Contains(err.Error(), `provider "a" failed after 2 tokens`) || !strings.Contains(err.Error(), `provider "b" failed after 4 tokens`) {
				t.Errorf("the message does not name each failure:\n%v", err)
			}
		})
	})
	t.Run("a continuation that no provider can start ends with its FailoverError", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			// a streams two words and fails; it cannot continue a text.
			first := writer(text, 2, nil)
			a := func(ctx context.Context, req string) (<-chan string, <-chan error) {
				if strings.Contains(req, "|") {
					return stream.FromSlice[string, string](nil, errA)(ctx, req)
				}
				return first(ctx, req)
			}
			g := failover.New([]failover.Provider[string, string]{
				{Name: "a", Source: a},
				{Name: "b", Source: stream.FromSlice[string, string](nil, errB)},
			}, failover.Resume(continueText))
			_, err := f.collect(t.Context(), g, "req")
			var re *errs.ResumeError
			var fe *errs.FailoverError
			if !errors.As(err, &re) || re.Resumes != 1 || !errors.As(re.Err, &fe) || len(fe.Attempts) != 2 || fe.Attempts[0].Provider != "b" {
				t.Errorf("err = %v, want a ResumeError whose Err is the continuation's FailoverError, b first, then a", err)
			}
		})
	})
}

func TestCommitTimeout(t *testing.T) {
	t.Parallel()
	t.Run("ends a call whose providers all stall", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			stalls := []script{{Tokens: []string{"x"}, Stall: true}}
			fs := fakes(stalls, stalls)
			g := failover.New(providers(fs), failover.CommitTimeout(3*time.Second), failover.FirstTokenTimeout(2*time.Second))
			t0 := time.Now()
			ctx, rep := failover.WithReport(t.Context())
			_, err := f.collect(ctx, g, "req")
			waitAll(fs)
			var fe *errs.FailoverError
			if !errors.As(err, &fe) || !errors.Is(fe.Err, errs.ErrCommitTimeout) || errors.Is(err, context.Canceled) || len(fe.Attempts) != 2 {
				t.Errorf("err = %v, want a FailoverError for the commit timeout naming both attempts", err)
			}
			if took := time.Since(t0); took != 3*time.Second {
				t.Errorf("took %v, want the 3s commit timeout", took)
			}
			if n := len(rep.Attempts()); n != 2 {
				t.Errorf("%d attempts, want a's and b's", n)
			}
		})
	})
	t.Run("does not end a long stream that committed in time", func(t *testing.T) {
		t.Parallel()
		eachForm(t, func(t *testing.T, f form) {
			fs := fakes([]script{{Tokens: words("w", 10), FirstDelay: time.Second, Gap: time.Second}})
			got, err := f.collect(t.Context(), failover.New(providers(fs), failover.CommitTimeout(2*time.Second)), "req")
			waitAll(fs)
			if err != nil || len(got) != 10 {
				t.Errorf("got %d tokens, %v; want all 10 over 10s", len(got), err)
			}
		})
	})
}

// TestAttemptIdentity checks what each provider reads from its context,
// hedges and resumes included.
func TestAttemptIdentity(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		var calls sync.Map
		slow := stream.Generate(func(ctx context.Context, req string, yield func(string) bool) error {
			if info, ok := failover.AttemptOf(ctx); ok {
				calls.Store(fmt.Sprintf("%s#%d r%d h%v", info.Provider, info.Number, info.Resume, info.Hedge), req)
			}
			<-ctx.Done()
			return ctx.Err()
		})
		g := failover.New([]failover.Provider[string, string]{
			{Name: "slow", Source: slow},
			{Name: "a", Source: writer(text, 2, &calls)},
			{Name: "b", Source: writer(text, 100, &calls)},
		}, failover.Resume(continueText), failover.Hedge(time.Second), failover.Attempts(2))
		got, err := f.collect(t.Context(), g, "req")
		if err != nil || strings.Join(got, "") != text {
			t.Fatalf("got %q, %v", strings.Join(got, ""), err)
		}
		seen := map[string]string{}
		calls.Range(func(k, v any) bool { seen[k.(string)] = v.(string); return true })
		want := map[string]string{
			"slow#1 r0 hfalse": "req",
			"a#1 r0 htrue":     "req",
			"b#1 r1 hfalse":    "req|the quick ",
		}
		for k, v := range want {
			if seen[k] != v {
				t.Errorf("no attempt %q with request %q; seen %v", k, v, seen)
			}
		}
		if _, ok := failover.AttemptOf(t.Context()); ok {
			t.Errorf("a plain context reads as an attempt")
		}
	})
}

// TestConcurrentResumedCalls makes 1,000 calls at once that each resume
// twice, and checks that every caller gets its whole text once.
func TestConcurrentResumedCalls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := failover.New([]failover.Provider[string, string]{
			{Name: "a", Source: writer(text, 3, nil)},
			{Name: "b", Source: writer(text, 2, nil)},
			{Name: "c", Source: writer(text, 100, nil)},
		}, failover.Resume(continueText), failover.IdleTimeout(time.Second))
		var wg sync.WaitGroup
		for i := range 1000 {
			wg.Go(func() {
				var got []string
				var err error
				if i%2 == 0 {
					got, err = stream.Collect(t.Context(), g.Stream, "req")
				} else {
					got, err = drain(g.All(t.Context(), "req"))
				}
				if err != nil || strings.Join(got, "") != text {
					t.Errorf("call %d: got %q, %v", i, strings.Join(got, ""), err)
				}
			})
		}
		wg.Wait()
	})
}

func TestCommitEventsInOrder(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		var kinds []string
		g := failover.New([]failover.Provider[string, string]{
			{Name: "a", Source: writer(text, 3, nil)},
			{Name: "b", Source: writer(text, 100, nil)},
		}, failover.Resume(continueText), failover.CommitAfter(2), failover.Observe(func(e failover.Event) {
			if e.Kind != failover.FirstToken {
				kinds = append(kinds, e.Kind.String()+" "+e.Provider)
			}
		}))
		if _, err := f.collect(t.Context(), g, "req"); err != nil {
			t.Fatal(err)
		}
		want := []string{"CallStarted ", "AttemptStarted a", "Held a", "Committed a", "AttemptFailed a", "Resumed a", "AttemptStarted b", "Held b", "Committed b", "Completed b", "CallDone "}
		if d := diff(want, kinds); d != "" {
			t.Errorf("events (-want +got):\n%s", d)
		}
	})
}

func TestCommitOptionsPanicOnMisuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"CommitAfter(0)", func() { failover.CommitAfter(0) }},
		{"a nil resume function", func() { failover.Resume[string, string](nil) }},
		{"a resume function of other types", func() {
			failover.New([]failover.Provider[string, string]{{Name: "a", Source: stream.FromSlice[string]([]string{"x"}, nil)}},
				failover.Resume(func(int, []int) (int, error) { return 0, nil }))
		}},
		{"negative MaxResumes", func() { failover.MaxResumes(-1) }},
		{"a negative CommitTimeout", func() { failover.CommitTimeout(-1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "failover:") {
					t.Errorf("panic %q, want one starting with failover:", s)
				}
			}()
			tc.f()
		})
	}
}

// Emitted counts every token the caller received, content or not.
func TestEmittedCountsDeliveredTokens(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		fs := fakes([]script{{Tokens: []string{"#meta", "x", "#usage"}, Err: errA}})
		got, err := f.collect(t.Context(), failover.New(providers(fs), failover.Content(isContent)), "req")
		waitAll(fs)
		var ce *errs.CommittedError
		if !errors.As(err, &ce) || ce.Emitted != len(got) || len(got) != 3 {
			t.Errorf("got %q, %v; want 3 tokens and Emitted 3", got, err)
		}
	})
}

// sendsAsItEnds streams x, then waits; the moment its context ends it
// puts y in its buffer and reports success: a token that arrives in the
// very instant relay stops the attempt.
func sendsAsItEnds(ctx context.Context, _ string) (<-chan string, <-chan error) {
	out := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		defer close(errc)
		select {
		case out <- "x":
		case <-ctx.Done():
			return
		}
		<-ctx.Done()
		out <- "y"
	}()
	return out, errc
}

func TestCommitAfterNeverCommitsAnAttemptItsTimeoutEnded(t *testing.T) {
	t.Parallel()
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			// The second content token arrives in the very instant the idle
			// timeout ends the attempt: the call must fail over, never
			// commit x and y and then end with the timeout.
			bad := 0
			for range 200 {
				synctest.Test(t, func(t *testing.T) {
					backup := streamtest.Tokens[string]("p")
					g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: sendsAsItEnds}, {Name: "b", Source: backup.Source}},
						failover.CommitAfter(2), failover.IdleTimeout(time.Second))
					got, err := f.collect(t.Context(), g, "req")
					if err != nil || diff([]string{"p"}, got) != "" {
						if bad++; bad == 1 {
							t.Errorf("got %q, %v; want p after a's idle timeout", got, err)
						}
					}
					synctest.Wait()
					backup.Wait()
				})
			}
			if bad > 0 {
				t.Errorf("%d of 200 calls committed an attempt its idle timeout had ended", bad)
			}
		})
	}
}

func TestCommitAfterNeverCommitsAnAttemptTheCommitTimeoutEnded(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// The content predicate takes long over y: the commit timeout
		// ends the call meanwhile, and y must not commit.
		slow := func(tok string) bool {
			if tok == "y" {
				time.Sleep(2 * time.Second)
			}
			return true
		}
		fs := fakes(toks("x", "y"))
		g := failover.New(providers(fs), failover.CommitAfter(2), failover.Content(slow), failover.CommitTimeout(time.Second))
		got, err := f.collect(t.Context(), g, "req")
		var fe *errs.FailoverError
		if len(got) != 0 || !errors.As(err, &fe) || !errors.Is(err, errs.ErrCommitTimeout) {
			t.Errorf("got %q, %v; want nothing and a FailoverError for the commit timeout", got, err)
		}
		waitAll(fs)
	})
}

func TestAResumedCallKeepsCoolingProvidersLast(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		var bCalls atomic.Int32
		b := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			switch bCalls.Add(1) {
			case 2:
				return streamtest.New[string](script{Tokens: []string{"b0"}, Err: errB}).Source(ctx, req)
			default:
				return streamtest.Tokens[string]("b1").Source(ctx, req)
			}
		}
		a := &switchable{name: "a"}
		a.set(errA, 0)
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a.Source}, {Name: "b", Source: b}},
			failover.Cooldown(1, time.Minute), failover.Resume(continueText))
		serve(t, f, g) // a fails and cools down; b serves
		// a cools down, so b goes first; it commits b0, then fails, and the
		// call resumes: on b again, with a still last.
		ctx, rep := failover.WithReport(t.Context())
		if got, err := f.collect(ctx, g, "req"); err != nil || diff([]string{"b0", "b1"}, got) != "" {
			t.Errorf("got %q, %v; want b0 b1", got, err)
		}
		if got := tried(rep); got != "bb" {
			t.Errorf("the call tried %q, want b, then b again: a cools down and stays last", got)
		}
		a.wait()
	})
}

func TestAContinuationKeepsTheHintsTheCallKnows(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, f form) {
		// b's 30s hint is kept by the group; a commits, fails, and the call
		// resumes: on a again, not on b during its hint.
		var aCalls, bCalls atomic.Int32
		a := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			if aCalls.Add(1) == 1 {
				return streamtest.New[string](script{Tokens: []string{"a1"}, Err: errA}).Source(ctx, req)
			}
			return streamtest.Tokens[string]("a2").Source(ctx, req)
		}
		b := func(ctx context.Context, req string) (<-chan string, <-chan error) {
			bCalls.Add(1)
			return streamtest.Fails[string, string](errs.RetryAfter(errB, 30*time.Second)).Source(ctx, req)
		}
		g := failover.New([]failover.Provider[string, string]{{Name: "a", Source: a}, {Name: "b", Source: b}},
			failover.Cooldown(3, time.Minute),
			failover.Resume(func(req string, emitted []string) (string, error) { return req + "+", nil }))
		f.collect(failover.Ignore(t.Context(), "a"), g, "req") // b's 30s hint is kept
		ctx, rep := failover.WithReport(t.Context())
		got, err := f.collect(ctx, g, "req")
		if err != nil || diff([]string{"a1", "a2"}, got) != "" || tried(rep) != "aa" || bCalls.Load() != 1 {
			t.Errorf("got %q, %v after %q, b called %d times; want a1 a2 from a alone, b once", got, err, tried(rep), bCalls.Load())
		}
	})
}
