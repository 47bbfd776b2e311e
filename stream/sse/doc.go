// Package sse turns an HTTP response of server-sent events
// (text/event-stream, the way language-model APIs stream their answers)
// into a [stream.Source], so that it can be a provider of a failover group
// or any stage of a pipeline.
//
// The caller says how to build the request ([Config].NewRequest) and how
// to decode each event into a token, or to skip it, or to end the stream
// ([Config].Decode). The package does the rest: the HTTP status (see
// [CheckResponse], with Retry-After honoured through [errs.RetryAfter]),
// the event-stream format as the WHATWG HTML standard defines it, the end
// of the stream, and the context. A body that ends before the stream's
// terminal event is an error wrapping [errs.ErrTruncated] when
// [Config].ExpectDone is set, never a silently cut-short answer.
//
// An OpenAI-style chat completion stream, for example (Example
// (ChatCompletions) runs this decoder):
//
//	src := sse.Source(sse.Config[string, string]{
//		NewRequest: func(ctx context.Context, prompt string) (*http.Request, error) {
//			body := fmt.Sprintf(`{"model":"m","stream":true,"messages":[{"role":"user","content":%q}]}`, prompt)
//			return http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
//		},
//		Decode: func(ev sse.Event) (string, sse.Action, error) {
//			if string(ev.Data) == "[DONE]" {
//				return "", sse.Done, nil
//			}
//			var chunk struct {
//				Choices []struct{ Delta struct{ Content string } }
//				Error   json.RawMessage // an error in the stream: no choices, and no [DONE]
//			}
//			if err := json.Unmarshal(ev.Data, &chunk); err != nil {
//				return "", 0, err
//			}
//			if len(chunk.Error) > 0 && string(chunk.Error) != "null" {
//				return "", 0, fmt.Errorf("the stream sent an error: %s", chunk.Error)
//			}
//			if len(chunk.Choices) == 0 || chunk.Choices[0].Delta.Content == "" {
//				return "", sse.Skip, nil // a role chunk, usage: not content
//			}
//			return chunk.Choices[0].Delta.Content, sse.Emit, nil
//		},
//		ExpectDone: true,
//	})
//
// An event whose JSON holds an error object is the server's error after
// the stream started: skipping it, as a chunk without choices, would end
// the answer cut short with no error at all.
//
// The official SDKs of OpenAI and Anthropic have their own adapters,
// stream/openaistream and stream/anthropicstream, modules of their own so
// that relay itself depends on neither.
//
// The parser is written here rather than taken from a library: the
// well-kept event-stream packages for Go (tmaxmax/go-sse, r3labs/sse,
// launchdarkly/eventsource) are clients with reconnection policies of
// their own, which a failover group must not have under it, and they
// allocate strings per event, where this one reuses its buffers.
package sse
