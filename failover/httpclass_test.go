package failover_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
)

func status(code int) *errs.StatusError { return &errs.StatusError{Code: code} }

func TestHTTPClassReadsTheStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want failover.Class
	}{
		{"a 408 retries", status(408), failover.Retry},
		{"a 429 retries", status(429), failover.Retry},
		{"a 429 with a Retry-After hint retries", errs.RetryAfter(status(429), 0), failover.Retry},
		{"a 500 retries", status(500), failover.Retry},
		{"a 503 retries", status(503), failover.Retry},
		{"a 529 overloaded retries", status(529), failover.Retry},
		{"a 401 moves on", status(401), failover.NextProvider},
		{"a 403 moves on", status(403), failover.NextProvider},
		{"a 404 moves on", status(404), failover.NextProvider},
		{"a 400 stops", status(400), failover.Stop},
		{"a 413 stops", status(413), failover.Stop},
		{"a 422 stops", status(422), failover.Stop},
		{"a wrapped 401 moves on", fmt.Errorf("openai: %w", status(401)), failover.NextProvider},
		{"a 401 joined with the SDK's error moves on", fmt.Errorf("x: %w: %w", errors.New("sdk"), status(401)), failover.NextProvider},
		{"another 4xx falls back on the default", status(409), failover.Retry},
		{"an error without a status falls back on the default", errors.New("reset"), failover.Retry},
		{"a permanent error stops", errs.Permanent(errors.New("bad")), failover.Stop},
		{"a permanent 429 stops", errs.Permanent(status(429)), failover.Stop},
		{"a nested group's attempts are not its status", &errs.FailoverError{Attempts: []*errs.AttemptError{{Provider: "a", Attempt: 1, Err: status(401)}}}, failover.Retry},
		{"a nested group's Err is its status", &errs.FailoverError{Err: status(400)}, failover.Stop},
		{"nil falls back on the default", nil, failover.Retry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := failover.HTTPClass(tc.err); got != tc.want {
				t.Errorf("HTTPClass(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestHTTPClassSteersAGroup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		first  error
		want   []string
		called int // calls of the first provider
	}{
		{"a 401 goes to the next provider without a second try", status(401), []string{"backup"}, 1},
		{"a 503 tries the provider again first", status(503), []string{"backup"}, 2},
		{"a 400 ends the call", status(400), nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first := streamtest.Fails[string, string](tc.first)
			g := failover.New([]failover.Provider[string, string]{
				{Name: "first", Source: first.Source},
				{Name: "backup", Source: stream.FromSlice[string]([]string{"backup"}, nil)},
			}, failover.Classify(failover.HTTPClass), failover.Attempts(2))
			toks, _ := stream.Collect(context.Background(), g.Stream, "q")
			first.Wait()
			if fmt.Sprint(toks) != fmt.Sprint(tc.want) || first.Calls() != tc.called {
				t.Errorf("got %v after %d calls of the first provider, want %v after %d", toks, first.Calls(), tc.want, tc.called)
			}
		})
	}
}

func TestHTTPClassAllocatesNothing(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", errs.RetryAfter(status(429), 0))
	if n := testing.AllocsPerRun(100, func() { failover.HTTPClass(err) }); n != 0 {
		t.Errorf("HTTPClass allocates %v times per call, want 0", n)
	}
}

// HTTPClass reads the status of a provider's HTTP error: here a bad key
// (401) moves on to the next provider at once, without the second try
// that a 503 would get.
func ExampleHTTPClass() {
	badKey := streamtest.Fails[string, string](&errs.StatusError{Code: 401, Status: "401 Unauthorized"})
	g := failover.New([]failover.Provider[string, string]{
		{Name: "primary", Source: badKey.Source},
		{Name: "backup", Source: stream.FromSlice[string]([]string{"Hello"}, nil)},
	}, failover.Classify(failover.HTTPClass), failover.Attempts(2))
	toks, err := stream.Collect(context.Background(), g.Stream, "q")
	badKey.Wait()
	fmt.Println(toks, err, badKey.Calls())
	fmt.Println(failover.HTTPClass(&errs.StatusError{Code: 529}), failover.HTTPClass(&errs.StatusError{Code: 422}))
	// Output:
	// [Hello] <nil> 1
	// Retry Stop
}
