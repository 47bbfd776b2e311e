// Package openaistream turns the official OpenAI Go SDK's streaming Chat
// Completions into a [stream.Source], so that an OpenAI model, or any
// server that speaks the same API (set the client's base URL), can be a
// provider of a relay failover group.
//
// [New] streams the SDK's own chunks for the SDK's own request
// parameters; [Text] streams the answer's text for a request type of the
// caller's own, which is how one group mixes vendors (stream/anthropicstream
// has the same). [IsContent] is the content predicate for
// failover.Content, and [Continue] the continuation for failover.Resume.
//
// The source fixes what a hand-made wrapper of the SDK gets wrong:
//
//   - The SDK's own retries are off (option.WithMaxRetries(0)) unless the
//     caller passes that option to [New] or [Text]: the group retries,
//     and the SDK's retries would hide a 429's or a 503's wait and show up
//     as a first-token timeout.
//   - An HTTP error is an [*errs.StatusError] (the SDK's *openai.Error
//     stays reachable through errors.As), marked with [errs.RetryAfter]
//     when the response carried Retry-After-Ms, Retry-After in seconds or
//     an HTTP date, so failover.HTTPClass and the group's hint handling
//     see it.
//   - A stream is complete only when each choice it started has its
//     finish_reason (the last chunk of a choice, just before the usage
//     chunk and [DONE]): a body that ends without one fails with an error
//     wrapping [errs.ErrTruncated], never a cut-short answer with a nil
//     error. The SDK itself takes a body that just ends for a whole one.
//   - An error event inside the stream (a chunk with an error object) is
//     the stream's error, as is malformed JSON.
//
// With a group over a request type of the caller's own, Chat, whose
// methods build each SDK's request (stream/anthropicstream's Example
// (MixedVendors) runs this whole):
//
//	g := failover.New([]failover.Provider[Chat, string]{
//		{Name: "openai", Source: openaistream.Text(openaiClient, Chat.openaiParams)},
//		{Name: "anthropic", Source: anthropicstream.Text(anthropicClient, Chat.anthropicParams)},
//	}, failover.Classify(failover.HTTPClass), failover.Resume(continueFrom))
//
// This package is a module of its own, so that relay itself does not
// depend on the SDK.
package openaistream
