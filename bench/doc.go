// Package bench measures relay's hot paths beside the baselines they are
// judged against, in the same run: a direct read of a provider's channel,
// a minimal hand-written forwarder, a bare provider call, and failsafe-go's
// retry and fallback. It is its own module, so that peers measured here
// never enter the root module's dependencies.
//
// Run every benchmark and print the ratios as a markdown table:
//
//	cd bench && go run ./cmd/report
//
// or compare runs with benchstat:
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 10 > new.txt
//
// # Stack frames on the hot path
//
// A goroutine starts with a small stack, and growing it copies the whole
// stack: on the relay goroutine of [failover.Group.Stream] (and on the
// caller's goroutine for the pull form) one growth costs more than the
// rest of a one-token call. BenchmarkCall's "cancel/" rows and
// BenchmarkMemory show it, and the failover package is shaped to avoid
// it:
//
//   - the first Source call runs from the top of the driver's stack (the
//     relay goroutine's pump, the pull form's loop), not under the call's
//     state machine, because a provider allocates its channels and starts
//     its goroutine there;
//   - an attempt's context is made in start rather than in newAttempt,
//     since registering a child with a cancelable parent is deep, and
//     what only some attempts need (a report entry, timeouts, events)
//     lives in functions marked //go:noinline, so that their frames are
//     on the stack only when they are used;
//   - with one slot, the phase before the commit waits in the attempt's
//     own receive straight from next, one frame above the engine's step;
//   - the committed loops (forwardFast, yieldFast) are functions of their
//     own, so their frames are gone when next ends the call, and the
//     clean end of an attempt (cancelling its context) and the Health's
//     Record run from the top of the stack, after close;
//   - a panic in the Source call is caught by a deferred recover of the
//     attempt's own rather than conc's panics.Catcher, one closure less;
//   - events are built in a frame of their own, and AdaptiveHedge's
//     estimate keeps no copy of its histogram on the stack.
package bench
