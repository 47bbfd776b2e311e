package stream_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/stream"
)

func TestGenerate(t *testing.T) {
	t.Parallel()
	t.Run("a panic ends the stream with a PanicError", func(t *testing.T) {
		t.Parallel()
		src := stream.Generate(func(ctx context.Context, req string, yield func(string) bool) error {
			yield(req)
			panic(errDown)
		})
		got, err := stream.Collect(t.Context(), src, "x")
		var pe *errs.PanicError
		if !errors.As(err, &pe) || !errors.Is(err, errDown) || cmp.Diff([]string{"x"}, got) != "" {
			t.Errorf("got %q, %v; want [x] and a PanicError wrapping errDown", got, err)
		}
	})
	t.Run("a generator cut short by cancellation ends with the context error", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			src := stream.Generate(func(ctx context.Context, _ string, yield func(string) bool) error {
				for yield("tick") {
				}
				if yield("again") {
					t.Errorf("yield returned true after it had returned false")
				}
				return nil
			})
			out, errc := src(ctx, "")
			<-out
			cancel()
			for range out {
			}
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		})
	})
	t.Run("FromSlice shares its slice safely between calls", func(t *testing.T) {
		t.Parallel()
		src := stream.FromSlice[string]([]string{"a", "b"}, nil)
		for range 3 {
			got, err := stream.Collect(t.Context(), src, "")
			if err != nil || cmp.Diff([]string{"a", "b"}, got) != "" {
				t.Fatalf("got %q, %v", got, err)
			}
		}
	})
	t.Run("Generate panics on a nil function", func(t *testing.T) {
		t.Parallel()
		defer func() {
			if r := recover(); r != "stream: Generate needs a non-nil function" {
				t.Errorf("panic %v", r)
			}
		}()
		stream.Generate[string, string](nil)
	})
}
