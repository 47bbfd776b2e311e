package stream_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

var errDown = errors.New("down")

func TestCollect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		script streamtest.Script[string]
		want   []string
		err    error
	}{
		{name: "a clean stream returns every token", script: streamtest.Script[string]{Tokens: []string{"a", "b"}}, want: []string{"a", "b"}},
		{name: "a failed stream returns its tokens and its error", script: streamtest.Script[string]{Tokens: []string{"a"}, Err: errDown}, want: []string{"a"}, err: errDown},
		{name: "an error after the token channel closes is accepted", script: streamtest.Script[string]{Tokens: []string{"a"}, Err: errDown, ErrAfterClose: true}, want: []string{"a"}, err: errDown},
		{name: "tokens buffered before an early error are kept", script: streamtest.Script[string]{Tokens: []string{"a", "b"}, Buffer: 2, Err: errDown}, want: []string{"a", "b"}, err: errDown},
		{name: "tokens buffered before an early success are kept", script: streamtest.Script[string]{Tokens: []string{"a", "b"}, Buffer: 2, NilOnSuccess: true}, want: []string{"a", "b"}},
		{name: "an error with the token channel left open ends the stream", script: streamtest.Script[string]{Err: errDown, ErrOpen: true}, err: errDown},
		{name: "a nil token channel is a contract error", script: streamtest.Script[string]{NilTokens: true}, err: errs.ErrContract},
		{name: "a nil error channel is a contract error", script: streamtest.Script[string]{NilErrors: true}, err: errs.ErrContract},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				p := streamtest.New[string](tc.script)
				got, err := stream.Collect(t.Context(), p.Source, "req")
				p.Wait()
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("tokens (-want +got):\n%s", d)
				}
				if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
					t.Errorf("err = %v, want %v", err, tc.err)
				}
			})
		})
	}
}

func TestAll(t *testing.T) {
	t.Parallel()
	t.Run("a failure is the last pair", func(t *testing.T) {
		t.Parallel()
		var toks []string
		var errsSeen []error
		for tok, err := range stream.All(t.Context(), stream.FromSlice[int]([]string{"a", "b"}, errDown), 0) {
			if err != nil {
				errsSeen = append(errsSeen, err)
				continue
			}
			toks = append(toks, tok)
		}
		if cmp.Diff([]string{"a", "b"}, toks) != "" || len(errsSeen) != 1 || errsSeen[0] != errDown {
			t.Errorf("got %q then %v", toks, errsSeen)
		}
	})
	t.Run("breaking out cancels the source and returns at once", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			p := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"a", "b", "c"}, Gap: time.Hour})
			for tok, err := range stream.All(t.Context(), p.Source, "req") {
				if err != nil || tok != "a" {
					t.Fatalf("first pair %q, %v", tok, err)
				}
				break
			}
			synctest.Wait()
			if p.Running() != 0 {
				t.Errorf("the source is still running after the loop broke")
			}
		})
	})
	t.Run("it is single-use", func(t *testing.T) {
		t.Parallel()
		seq := stream.All(t.Context(), stream.FromSlice[int]([]string{"a"}, nil), 0)
		for range seq {
		}
		n := 0
		for tok, err := range seq {
			n++
			if tok != "" || !errors.Is(err, stream.ErrReused) {
				t.Errorf("second use yielded %q, %v; want only ErrReused", tok, err)
			}
		}
		if n != 1 {
			t.Errorf("second use yielded %d pairs, want 1", n)
		}
	})
	t.Run("a done context yields only its error", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		p := streamtest.Tokens[string]("a")
		for tok, err := range stream.All(ctx, p.Source, "req") {
			if tok != "" || !errors.Is(err, context.Canceled) {
				t.Errorf("got %q, %v", tok, err)
			}
		}
		if p.Calls() != 0 {
			t.Errorf("the source was called with a done context")
		}
	})
}
