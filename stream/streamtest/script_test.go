package streamtest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestScripts(t *testing.T) {
	t.Parallel()
	errX := errors.New("x")
	for _, tc := range []struct {
		name string
		s    streamtest.Script[int]
		want []int
		err  error
		took time.Duration
	}{
		{name: "tokens with delays", s: streamtest.Script[int]{Tokens: []int{1, 2, 3}, FirstDelay: time.Second, Gap: 2 * time.Second}, want: []int{1, 2, 3}, took: 5 * time.Second},
		{name: "a final error", s: streamtest.Script[int]{Tokens: []int{1}, Err: errX}, want: []int{1}, err: errX},
		{name: "an error after the close", s: streamtest.Script[int]{Tokens: []int{1}, Err: errX, ErrAfterClose: true}, want: []int{1}, err: errX},
		{name: "a stall ends with the context", s: streamtest.Script[int]{Tokens: []int{1, 2}, Stall: true, StallAfter: 1}, want: []int{1}, err: context.DeadlineExceeded, took: time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				p := streamtest.New[string](tc.s)
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				start := time.Now()
				got, err := stream.Collect(ctx, p.Source, "r")
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("tokens (-want +got):\n%s", d)
				}
				if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
					t.Errorf("err = %v, want %v", err, tc.err)
				}
				if took := time.Since(start); took != tc.took {
					t.Errorf("took %v, want %v", took, tc.took)
				}
				p.Wait()
				if p.Calls() != 1 || p.Running() != 0 || cmp.Diff([]string{"r"}, p.Requests()) != "" {
					t.Errorf("calls %d, running %d, requests %q", p.Calls(), p.Running(), p.Requests())
				}
			})
		})
	}
}

func TestScriptsPlayInOrderAndTheLastRepeats(t *testing.T) {
	t.Parallel()
	p := streamtest.New[string](streamtest.Script[int]{Tokens: []int{1}}, streamtest.Script[int]{Tokens: []int{2}})
	var got []int
	for range 3 {
		toks, _ := stream.Collect(t.Context(), p.Source, "")
		got = append(got, toks...)
	}
	p.Wait()
	if d := cmp.Diff([]int{1, 2, 2}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestPanicAndBrokenChannels(t *testing.T) {
	t.Parallel()
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want boom", r)
			}
		}()
		streamtest.New[string](streamtest.Script[int]{Panic: "boom"}).Source(t.Context(), "")
	}()
	p := streamtest.New[string](streamtest.Script[int]{NilTokens: true, NilErrors: true})
	out, errc := p.Source(t.Context(), "")
	if out != nil || errc != nil {
		t.Errorf("want nil channels")
	}
	p.Wait()
}
