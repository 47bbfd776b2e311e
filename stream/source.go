package stream

import "context"

// Source starts one stream for req and returns its token channel and its
// error channel.
//
// A Source that follows the contract:
//
//  1. returns two non-nil channels and is their only sender; the error
//     channel has room for one value;
//  2. sends tokens in order, each send a select with ctx.Done();
//  3. ends, for any reason, by first putting its outcome on the error channel
//     (sending its one error, or closing it for success, or both) and then
//     closing the token channel, so that once the token channel is closed
//     one receive from the error channel returns at once: the error, or nil;
//  4. ends promptly once ctx is done, whether or not anyone is still reading.
//
// A consumer reads tokens until the token channel closes, then receives once
// from the error channel. It may watch the error channel earlier only to
// notice a failure early: a non-nil error there means the stream is ending,
// though tokens already buffered may still follow. A consumer that stops
// early cancels ctx: that is the only way to abandon a stream.
type Source[Req, Tok any] func(ctx context.Context, req Req) (<-chan Tok, <-chan error)
