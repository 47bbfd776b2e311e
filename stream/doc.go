// Package stream defines the stream contract that every relay stage speaks,
// [Source], and small stages that build, consume and transform sources.
//
// A Source is a function that starts one stream for one request and returns
// its token channel and its error channel. Because a failover group is itself
// a Source, groups nest inside groups and inside any pipeline built from the
// stages here:
//
//	src := stream.FromSlice[string]([]string{"a", "b"}, nil) // build
//	toks, err := stream.Collect(ctx, src, "req")              // consume
//	for tok, err := range stream.All(ctx, src, "req") { ... } // consume, pull form
//
// Consumers here ([Collect], [All]) take the Source itself rather than its
// channels, so they own the context that stops it: returning early cancels
// the source and never waits for a source that ignores its context.
package stream
