// Package anthropicstream turns the official Anthropic Go SDK's streaming
// Messages into a [stream.Source], so that a Claude model can be a
// provider of a relay failover group, beside OpenAI-compatible ones
// (stream/openaistream).
//
// [New] streams the SDK's own events for the SDK's own request
// parameters; [Text] streams the answer's text for a request type of the
// caller's own, which is how one group mixes vendors. [IsContent] is the
// content predicate for failover.Content, and [Continue] the
// continuation for failover.Resume (an assistant prefill).
//
// The source fixes what a hand-made wrapper of the SDK gets wrong:
//
//   - The SDK's own retries are off (option.WithMaxRetries(0)) unless the
//     caller passes that option to [New] or [Text]: the group retries.
//   - An HTTP error, 529 overloaded included, is an [*errs.StatusError]
//     (the SDK's *anthropic.Error stays reachable through errors.As),
//     marked with [errs.RetryAfter] when the response carried a
//     Retry-After-Ms or Retry-After header.
//   - message_stop is the terminal event: a body that ends without it
//     fails with an error wrapping [errs.ErrTruncated].
//   - An error event in the stream (overloaded_error, say) is the
//     stream's error; the SDK reports it as an *anthropic.Error whose
//     status is the stream's 200, which is not a status to classify, so
//     it stays out of the *errs.StatusError.
//   - ping events are keep-alives, never content.
//
// This package is a module of its own, so that relay itself does not
// depend on the SDK.
package anthropicstream
