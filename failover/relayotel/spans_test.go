package relayotel_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/relayotel"
	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/streamtest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

var errDown = errors.New("down")

// TestSpans runs calls through groups observed by relayotel on the real
// SDK and compares the trees of spans they leave, each row in a bubble of
// its own so that its times are exact.
func TestSpans(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s *sdk)
		want []node
	}{
		{
			name: "a call served at once is a call span with one attempt span, the parent of the provider's own",
			run: func(t *testing.T, s *sdk) {
				a := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"x", "y", "z"}, FirstDelay: 250 * time.Millisecond})
				g := failover.New(providers(traced(s.tp, "provider span", a.Source)), s.option("chat"))
				collect(t, g.Stream, nil)
			},
			want: []node{{
				Name:  "relay chat",
				Attrs: map[string]string{"relay.outcome": "ok", "relay.emitted": "3", "relay.attempts": "1", "relay.provider": "a"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.ttft_ms": "250", "relay.committed": "true", "relay.emitted": "3", "relay.outcome": "ok",
					},
					Events:   []string{"relay.commit"},
					Children: []node{{Name: "provider span"}},
				}},
			}},
		},
		{
			name: "a failed attempt has the error status and its cause, and the call goes on to the next",
			run: func(t *testing.T, s *sdk) {
				g := failover.New(providers(streamtest.Fails[string, string](errDown).Source, streamtest.Tokens[string]("x").Source), s.option("chat"))
				collect(t, g.Stream, nil)
			},
			want: []node{{
				Name:  "relay chat",
				Attrs: map[string]string{"relay.outcome": "ok", "relay.emitted": "1", "relay.attempts": "2", "relay.provider": "b"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.outcome": "error",
					},
					Status: "Error: down",
					Events: []string{"exception"},
				}, {
					Name: "relay chat/b",
					Attrs: map[string]string{
						"relay.provider": "b", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "1", "relay.outcome": "ok",
					},
					Events: []string{"relay.commit"},
				}},
			}},
		},
		{
			name: "a call that no attempt served ends with the error status of its failover error",
			run: func(t *testing.T, s *sdk) {
				g := failover.New(providers(streamtest.Fails[string, string](errDown).Source), s.option("chat"))
				collect(t, g.Stream, errDown)
			},
			want: []node{{
				Name:   "relay chat",
				Attrs:  map[string]string{"relay.outcome": "error", "relay.emitted": "0", "relay.attempts": "1"},
				Status: "Error: relay: 1 attempt failed, nothing was streamed:\n  provider \"a\" attempt 1: down",
				Events: []string{"exception"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.outcome": "error",
					},
					Status: "Error: down",
					Events: []string{"exception"},
				}},
			}},
		},
		{
			name: "a hedge that wins marks the attempt it overtook as a lost hedge, not an error",
			run: func(t *testing.T, s *sdk) {
				slow := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"late"}, FirstDelay: 5 * time.Second})
				fast := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"x"}, FirstDelay: 100 * time.Millisecond})
				g := failover.New(providers(slow.Source, fast.Source), failover.Hedge(time.Second), s.option("chat"))
				collect(t, g.Stream, nil)
			},
			want: []node{{
				Name:  "relay chat",
				Attrs: map[string]string{"relay.outcome": "ok", "relay.emitted": "1", "relay.attempts": "2", "relay.provider": "b"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.outcome": "hedge_lost",
					},
					Events: []string{"relay.hedge_lost"},
				}, {
					Name: "relay chat/b",
					Attrs: map[string]string{
						"relay.provider": "b", "relay.attempt": "1", "relay.hedge": "true", "relay.resume": "0",
						"relay.ttft_ms": "100", "relay.committed": "true", "relay.emitted": "1", "relay.outcome": "ok",
					},
					Events: []string{"relay.commit"},
				}},
			}},
		},
		{
			name: "a committed stream that fails and resumes is a failed attempt and a continuation in the same call",
			run: func(t *testing.T, s *sdk) {
				a := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"x", "y"}, Err: errDown})
				g := failover.New(providers(a.Source, streamtest.Tokens[string]("z").Source), s.option("chat"),
					failover.Resume(func(req string, emitted []string) (string, error) { return req + "+", nil }))
				collect(t, g.Stream, nil)
			},
			want: []node{{
				Name: "relay chat",
				Attrs: map[string]string{
					"relay.outcome": "ok", "relay.emitted": "3", "relay.attempts": "2", "relay.provider": "b", "relay.resumes": "1",
				},
				Events: []string{"relay.resume"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "2", "relay.outcome": "error",
					},
					Status: "Error: down",
					Events: []string{"relay.commit", "exception"},
				}, {
					Name: "relay chat/b",
					Attrs: map[string]string{
						"relay.provider": "b", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "1",
						"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "3", "relay.outcome": "ok",
					},
					Events: []string{"relay.commit"},
				}},
			}},
		},
		{
			name: "a Retry-After hint and a held first token are events of their attempts",
			run: func(t *testing.T, s *sdk) {
				hinted := streamtest.Fails[string, string](errs.RetryAfter(errDown, time.Second))
				g := failover.New(providers(hinted.Source, streamtest.Tokens[string]("x", "y").Source),
					failover.Cooldown(3, time.Minute), failover.CommitAfter(2), s.option("chat"))
				collect(t, g.Stream, nil)
			},
			want: []node{{
				Name:  "relay chat",
				Attrs: map[string]string{"relay.outcome": "ok", "relay.emitted": "2", "relay.attempts": "2", "relay.provider": "b"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.outcome": "error",
					},
					Status: "Error: down",
					Events: []string{"relay.deferred", "exception"},
				}, {
					Name: "relay chat/b",
					Attrs: map[string]string{
						"relay.provider": "b", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "2", "relay.outcome": "ok",
					},
					Events: []string{"relay.held", "relay.commit"},
				}},
			}},
		},
		{
			name: "a nested group's call span is a child of the outer attempt's span",
			run: func(t *testing.T, s *sdk) {
				inner := failover.New(providers(streamtest.Fails[string, string](errDown).Source, streamtest.Tokens[string]("x").Source), s.option("inner"))
				outer := failover.New([]failover.Provider[string, string]{{Name: "tier", Source: inner.Stream}}, s.option("outer"))
				collect(t, outer.Stream, nil)
			},
			want: []node{{
				Name:  "relay outer",
				Attrs: map[string]string{"relay.outcome": "ok", "relay.emitted": "1", "relay.attempts": "1", "relay.provider": "tier"},
				Children: []node{{
					Name: "relay outer/tier",
					Attrs: map[string]string{
						"relay.provider": "tier", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "1", "relay.outcome": "ok",
					},
					Events: []string{"relay.commit"},
					Children: []node{{
						Name:  "relay inner",
						Attrs: map[string]string{"relay.outcome": "ok", "relay.emitted": "1", "relay.attempts": "2", "relay.provider": "b"},
						Children: []node{{
							Name: "relay inner/a",
							Attrs: map[string]string{
								"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
								"relay.outcome": "error",
							},
							Status: "Error: down",
							Events: []string{"exception"},
						}, {
							Name: "relay inner/b",
							Attrs: map[string]string{
								"relay.provider": "b", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
								"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "1", "relay.outcome": "ok",
							},
							Events: []string{"relay.commit"},
						}},
					}},
				}},
			}},
		},
		{
			name: "a caller that cancels a committed stream ends its attempt and call as canceled",
			run: func(t *testing.T, s *sdk) {
				a := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"x", "y", "z"}, Gap: time.Second})
				g := failover.New(providers(a.Source), s.option("chat"))
				ctx, cancel := context.WithCancel(t.Context())
				out, errc := g.Stream(ctx, "req")
				<-out
				cancel()
				for range out {
				}
				if err := <-errc; !errors.Is(err, context.Canceled) {
					t.Errorf("the stream ended with %v, want context.Canceled", err)
				}
			},
			want: []node{{
				Name:   "relay chat",
				Attrs:  map[string]string{"relay.outcome": "canceled", "relay.emitted": "1", "relay.attempts": "1", "relay.provider": "a"},
				Status: "Error: relay: provider \"a\" failed after 1 token: context canceled",
				Events: []string{"exception"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "1", "relay.outcome": "canceled",
					},
					Status: "Error: context canceled",
					Events: []string{"relay.commit", "exception"},
				}},
			}},
		},
		{
			name: "a caller that cancels before the commit ends every attempt in flight as canceled",
			run: func(t *testing.T, s *sdk) {
				slow := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"x"}, FirstDelay: time.Minute})
				g := failover.New(providers(slow.Source, slow.Source), failover.Hedge(time.Second), s.option("chat"))
				ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
				defer cancel()
				if _, err := stream.Collect(ctx, g.Stream, "req"); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("the stream ended with %v, want context.DeadlineExceeded", err)
				}
			},
			want: []node{{
				Name:   "relay chat",
				Attrs:  map[string]string{"relay.outcome": "canceled", "relay.emitted": "0", "relay.attempts": "2"},
				Status: "Error: relay: context deadline exceeded; nothing was streamed after 2 attempts:\n  provider \"a\" attempt 1: context deadline exceeded\n  provider \"b\" attempt 1: context deadline exceeded",
				Events: []string{"exception"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.outcome": "canceled",
					},
					Status: "Error: context deadline exceeded",
					Events: []string{"exception"},
				}, {
					Name: "relay chat/b",
					Attrs: map[string]string{
						"relay.provider": "b", "relay.attempt": "1", "relay.hedge": "true", "relay.resume": "0",
						"relay.outcome": "canceled",
					},
					Status: "Error: context deadline exceeded",
					Events: []string{"exception"},
				}},
			}},
		},
		{
			name: "a caller that breaks out of the pull form's loop ends the committed attempt with the call",
			run: func(t *testing.T, s *sdk) {
				a := streamtest.New[string](streamtest.Script[string]{Tokens: []string{"x", "y", "z"}, Gap: time.Second})
				g := failover.New(providers(a.Source), s.option("chat"))
				for _, err := range g.All(t.Context(), "req") {
					if err != nil {
						t.Fatal(err)
					}
					break
				}
				a.Wait()
			},
			want: []node{{
				Name:   "relay chat",
				Attrs:  map[string]string{"relay.outcome": "canceled", "relay.emitted": "1", "relay.attempts": "1", "relay.provider": "a"},
				Status: "Error: context canceled: the caller stopped reading",
				Events: []string{"exception"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "1", "relay.outcome": "canceled",
					},
					Status: "Error: context canceled: the caller stopped reading",
					Events: []string{"relay.commit", "exception"},
				}},
			}},
		},
		{
			name: "cooldowns and probes are events of the calls that cause them",
			run: func(t *testing.T, s *sdk) {
				a := streamtest.New[string](streamtest.Script[string]{Err: errDown}, streamtest.Script[string]{Tokens: []string{"x"}})
				g := failover.New(providers(a.Source, streamtest.Tokens[string]("y").Source), failover.Cooldown(1, time.Minute), s.option("chat"))
				collect(t, g.Stream, nil)
				time.Sleep(2 * time.Minute)
				collect(t, g.Stream, nil)
			},
			want: []node{{
				Name:   "relay chat",
				Attrs:  map[string]string{"relay.outcome": "ok", "relay.emitted": "1", "relay.attempts": "2", "relay.provider": "b"},
				Events: []string{"relay.cooldown"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.outcome": "error",
					},
					Status: "Error: down",
					Events: []string{"exception"},
				}, {
					Name: "relay chat/b",
					Attrs: map[string]string{
						"relay.provider": "b", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "1", "relay.outcome": "ok",
					},
					Events: []string{"relay.commit"},
				}},
			}, {
				Name:   "relay chat",
				Attrs:  map[string]string{"relay.outcome": "ok", "relay.emitted": "1", "relay.attempts": "1", "relay.provider": "a"},
				Events: []string{"relay.probe", "relay.recovered"},
				Children: []node{{
					Name: "relay chat/a",
					Attrs: map[string]string{
						"relay.provider": "a", "relay.attempt": "1", "relay.hedge": "false", "relay.resume": "0",
						"relay.ttft_ms": "0", "relay.committed": "true", "relay.emitted": "1", "relay.outcome": "ok",
					},
					Events: []string{"relay.commit"},
				}},
			}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := newSDK()
				tc.run(t, s)
				synctest.Wait()
				if diff := cmp.Diff(tc.want, s.tree(t)); diff != "" {
					t.Errorf("spans (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// collect reads a call of src to its end and checks that it ended with
// want (nil for success).
func collect(t *testing.T, src stream.Source[string, string], want error) []string {
	t.Helper()
	toks, err := stream.Collect(t.Context(), src, "req")
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("the call ended with %v, want %v", err, want)
	}
	return toks
}

// TestTracingOffStartsNoSpan: with a no-op TracerProvider, relayotel
// starts no span, and a provider's own spans keep the caller's span as
// their parent.
func TestTracingOffStartsNoSpan(t *testing.T) {
	t.Parallel()
	s := newSDK()
	g := failover.New(providers(traced(s.tp, "provider span", streamtest.Tokens[string]("x").Source)),
		relayotel.New("chat", relayotel.WithTracerProvider(tracenoop.NewTracerProvider()), relayotel.WithMeterProvider(s.mp)))
	ctx, caller := s.tp.Tracer("caller").Start(t.Context(), "caller span")
	if _, err := stream.Collect(ctx, g.Stream, "req"); err != nil {
		t.Fatal(err)
	}
	caller.End()
	want := []node{{Name: "caller span", Children: []node{{Name: "provider span"}}}}
	if diff := cmp.Diff(want, s.tree(t)); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	if got := s.metrics(t)["relay.calls ({call})"]; got["outcome=ok,provider=a"] != "1" {
		t.Errorf("relay.calls = %v, want one call served by a: metrics go on without traces", got)
	}
}
