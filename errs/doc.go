// Package errs holds every error value and type that relay returns, and the
// markers a provider uses to tell relay how to treat its own errors.
//
// A call through a failover group ends in one of four ways, each with its
// own error shape:
//
//   - Nothing was committed: every eligible attempt failed before its
//     commit (its first content token, unless the group holds more). The
//     error is a [*FailoverError] that lists each [*AttemptError] in the
//     order the attempts started.
//   - An attempt committed and then failed: a [*CommittedError] names the
//     provider, how many tokens reached the caller, and the cause. No other
//     provider's output was mixed in.
//   - An attempt committed and failed, the call resumed on other providers
//     from what the caller had, and still did not complete: a
//     [*ResumeError] names each committed failure and why the call
//     stopped.
//   - Nothing could be tried: [ErrNoProvider], or the caller's context error
//     when the context was already done.
//
// Every type unwraps, so [errors.Is] and [errors.As] reach each cause: a
// provider's own error, [ErrEmpty], [ErrFirstTokenTimeout],
// [ErrIdleTimeout], a [*PanicError], or the caller's [context.Canceled] and
// [context.DeadlineExceeded] (which appear only when the caller's context
// ended, never for an attempt that relay itself stopped).
//
// Providers mark their errors with [Permanent] (every provider would fail the
// same way: stop the call) and [RetryAfter] (wait at least this long before
// trying this provider again). Relay never classifies an error by its text.
package errs
