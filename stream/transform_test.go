package stream_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

func TestMapAndFilter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		src  stream.Source[string, string]
		want []string
		err  error
	}{
		{
			name: "Map transforms every token in order",
			src:  stream.Map(stream.FromSlice[string]([]string{"a", "b"}, nil), strings.ToUpper),
			want: []string{"A", "B"},
		},
		{
			name: "Map passes the source's error on after its tokens",
			src:  stream.Map(stream.FromSlice[string]([]string{"a"}, errDown), strings.ToUpper),
			want: []string{"A"},
			err:  errDown,
		},
		{
			name: "a panic in Map's function ends the stream with a PanicError",
			src: stream.Map(stream.FromSlice[string]([]string{"a", "b"}, nil), func(s string) string {
				if s == "b" {
					panic("bad token")
				}
				return s
			}),
			want: []string{"a"},
			err:  &errs.PanicError{},
		},
		{
			name: "Filter keeps only matching tokens",
			src:  stream.Filter(stream.FromSlice[string]([]string{"a", "", "b", ""}, nil), func(s string) bool { return s != "" }),
			want: []string{"a", "b"},
		},
		{
			name: "Filter passes the source's error on",
			src:  stream.Filter(stream.FromSlice[string]([]string{"a"}, errDown), func(string) bool { return false }),
			err:  errDown,
		},
		{
			name: "Map reports a source that breaks the contract",
			src:  stream.Map(streamtest.New[string](streamtest.Script[string]{NilTokens: true}).Source, strings.ToUpper),
			err:  errs.ErrContract,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				got, err := stream.Collect(t.Context(), tc.src, "req")
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("tokens (-want +got):\n%s", d)
				}
				var pe *errs.PanicError
				switch {
				case errors.As(tc.err, &pe):
					if !errors.As(err, &pe) {
						t.Errorf("err = %v, want a PanicError", err)
					}
				case !errors.Is(err, tc.err) || (tc.err == nil && err != nil):
					t.Errorf("err = %v, want %v", err, tc.err)
				}
			})
		})
	}
}

func TestStagesStopTheirSourceWhenCancelled(t *testing.T) {
	t.Parallel()
	for name, wrap := range map[string]func(stream.Source[string, string]) stream.Source[string, string]{
		"Map": func(s stream.Source[string, string]) stream.Source[string, string] {
			return stream.Map(s, strings.ToUpper)
		},
		"Filter": func(s stream.Source[string, string]) stream.Source[string, string] {
			return stream.Filter(s, func(string) bool { return true })
		},
		"Batch": func(s stream.Source[string, string]) stream.Source[string, string] {
			return stream.Map(stream.Batch(s, 1, time.Second), func(b []string) string { return b[0] })
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				p := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"a", "b", "c"}, Gap: time.Hour})
				for tok, err := range stream.All(t.Context(), wrap(p.Source), "req") {
					if err != nil || tok == "" {
						t.Fatalf("first pair %q, %v", tok, err)
					}
					break
				}
				synctest.Wait()
				if p.Running() != 0 {
					t.Errorf("the source is still running after its consumer left")
				}
			})
		})
	}
}

func TestBatch(t *testing.T) {
	t.Parallel()
	type batch struct {
		Toks []int
		At   time.Duration
	}
	for _, tc := range []struct {
		name     string
		script   streamtest.Script[int]
		n        int
		maxDelay time.Duration
		want     []batch
		err      error
	}{
		{
			name:   "full batches and a final partial one",
			script: streamtest.Script[int]{Tokens: []int{1, 2, 3, 4, 5}},
			n:      2,
			want:   []batch{{[]int{1, 2}, 0}, {[]int{3, 4}, 0}, {[]int{5}, 0}},
		},
		{
			name:     "a partial batch leaves maxDelay after its first token",
			script:   streamtest.Script[int]{Tokens: []int{1, 2, 3}, Gap: 3 * time.Second},
			n:        10,
			maxDelay: 5 * time.Second,
			want:     []batch{{[]int{1, 2}, 5 * time.Second}, {[]int{3}, 6 * time.Second}},
		},
		{
			name:   "without maxDelay a batch waits to be full",
			script: streamtest.Script[int]{Tokens: []int{1, 2, 3}, Gap: time.Hour},
			n:      2,
			want:   []batch{{[]int{1, 2}, time.Hour}, {[]int{3}, 2 * time.Hour}},
		},
		{
			name:   "tokens before an error are sent before it",
			script: streamtest.Script[int]{Tokens: []int{1, 2, 3}, Err: errDown},
			n:      2,
			want:   []batch{{[]int{1, 2}, 0}, {[]int{3}, 0}},
			err:    errDown,
		},
		{
			name:   "buffered tokens before an early error are kept",
			script: streamtest.Script[int]{Tokens: []int{1, 2, 3}, Buffer: 3, Err: errDown},
			n:      5,
			want:   []batch{{[]int{1, 2, 3}, 0}},
			err:    errDown,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				p := streamtest.New[string](tc.script)
				start := time.Now()
				var got []batch
				var err error
				for b, e := range stream.All(t.Context(), stream.Batch(p.Source, tc.n, tc.maxDelay), "req") {
					if e != nil {
						err = e
						break
					}
					got = append(got, batch{b, time.Since(start)})
				}
				p.Wait()
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("batches (-want +got):\n%s", d)
				}
				if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
					t.Errorf("err = %v, want %v", err, tc.err)
				}
			})
		})
	}
}

func TestTee(t *testing.T) {
	t.Parallel()
	t.Run("a slow consumer slows the source and loses nothing", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			toks := []int{1, 2, 3, 4, 5, 6}
			a, b := stream.Tee(t.Context(), stream.FromSlice[string](toks, errDown), "req", 1)
			var fast, slow []int
			var fastErr, slowErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				for tok := range a.Tokens {
					fast = append(fast, tok)
				}
				fastErr = <-a.Err
			}()
			for tok := range b.Tokens {
				slow = append(slow, tok)
				time.Sleep(time.Second)
			}
			slowErr = <-b.Err
			<-done
			if cmp.Diff(toks, fast) != "" || cmp.Diff(toks, slow) != "" {
				t.Errorf("fast got %v, slow got %v; want every token in both", fast, slow)
			}
			if fastErr != errDown || slowErr != errDown {
				t.Errorf("errors %v and %v, want errDown on both", fastErr, slowErr)
			}
		})
	})
	t.Run("cancelling ends both branches and the source", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			p := streamtest.New[string](streamtest.Script[int]{Tokens: []int{1, 2, 3}, Gap: time.Hour})
			ctx, cancel := context.WithCancel(t.Context())
			a, b := stream.Tee(ctx, p.Source, "req", 0)
			go func() { <-a.Tokens }()
			<-b.Tokens
			cancel()
			for _, br := range []stream.Branch[int]{a, b} {
				for range br.Tokens {
				}
				if err := <-br.Err; !errors.Is(err, context.Canceled) {
					t.Errorf("branch error %v, want context.Canceled", err)
				}
			}
			synctest.Wait()
			if p.Running() != 0 {
				t.Errorf("the source is still running")
			}
		})
	})
}

func TestStagesPanicOnMisuse(t *testing.T) {
	t.Parallel()
	src := stream.FromSlice[string]([]string{"a"}, nil)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Map without a function", func() { stream.Map[string, string, string](src, nil) }},
		{"Filter without a predicate", func() { stream.Filter(src, nil) }},
		{"Batch of zero", func() { stream.Batch(src, 0, 0) }},
		{"Batch with a negative delay", func() { stream.Batch(src, 1, -time.Second) }},
		{"Tee with a negative buffer", func() { stream.Tee(t.Context(), src, "", -1) }},
		{"Tee without a source", func() { stream.Tee[string, string](t.Context(), nil, "", 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "stream: ") {
					t.Errorf("panic %q, want one starting with \"stream: \"", s)
				}
			}()
			tc.f()
		})
	}
}

// TestStagesKeepTheContract runs every stage through the contract checker.
func TestStagesKeepTheContract(t *testing.T) {
	for name, mk := range map[string]func() stream.Source[string, string]{
		"FromSlice": func() stream.Source[string, string] { return stream.FromSlice[string]([]string{"a", "b"}, errDown) },
		"Generate": func() stream.Source[string, string] {
			return stream.Generate(func(ctx context.Context, _ string, yield func(string) bool) error {
				for _, s := range []string{"a", "b"} {
					if !yield(s) {
						return ctx.Err()
					}
				}
				return nil
			})
		},
		"Map": func() stream.Source[string, string] {
			return stream.Map(stream.FromSlice[string]([]string{"a", "b"}, nil), strings.ToUpper)
		},
		"Filter": func() stream.Source[string, string] {
			return stream.Filter(stream.FromSlice[string]([]string{"a", "b"}, nil), func(string) bool { return true })
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				if err := streamtest.Check(mk(), "req"); err != nil {
					t.Error(err)
				}
			})
		})
	}
	t.Run("Batch", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			if err := streamtest.Check(stream.Batch(stream.FromSlice[string]([]string{"a", "b", "c"}, nil), 2, time.Second), "req"); err != nil {
				t.Error(err)
			}
		})
	})
}
