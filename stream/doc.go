// Package stream defines the stream contract that every relay stage speaks,
// [Source], and small stages that build, consume and transform sources.
//
// A Source is a function that starts one stream for one request and returns
// its token channel and its error channel. Because a failover group is itself
// a Source, groups nest inside groups and inside any pipeline built from the
// stages here:
//
//   - build: [Generate] turns a function that yields tokens into a Source
//     (recovering its panics into the stream's error); [FromSlice] streams
//     a fixed slice.
//   - transform: [Map] and [Filter] change or drop tokens; [Batch] groups
//     them so a consumer pays one channel hop per batch instead of per
//     token; [Tee] splits one stream between two consumers without losing
//     a token to the slower one.
//   - consume: [Collect] gathers a whole stream; [All] ranges over it.
//
// For example, a failover group whose words are upper-cased and sent in
// batches of up to 32 tokens or every 50ms, whichever comes first:
//
//	src := stream.Batch(stream.Map(group.Stream, strings.ToUpper), 32, 50*time.Millisecond)
//	for batch, err := range stream.All(ctx, src, req) { ... }
//
// Every stage keeps the contract: tokens in order, one outcome after them,
// and an end as soon as its context is done. Every stage and consumer also
// turns a panic in its source's call into a [*errs.PanicError], and reads a
// token channel until it closes even when the source reported success
// early, so nothing is cut short. Consumers here take the Source itself
// rather than its channels, so they own the context that stops it:
// breaking out early cancels the source and never waits for it; when the
// caller's context ends they wait up to [Grace] for the source's own
// error, which says more than the context's.
package stream
