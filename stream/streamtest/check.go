package streamtest

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/relay-go/relay/stream"
	"github.com/sourcegraph/conc/panics"
)

// Wait is how long [Check] waits for a source to do what the contract
// asks of it promptly: end once its context is done, have its outcome
// ready when its token channel closes, stop its goroutines. Inside a
// testing/synctest bubble the wait is in fake time and costs nothing.
const Wait = time.Second

// Silence is how long [Check] waits for the next token, or the end, of a
// stream it reads to its end before it gives up on the source.
const Silence = 10 * time.Second

// Check runs src through the stream contract with req, as
// testing/fstest.TestFS runs a file system through its own, and returns
// an error that lists every rule it broke, or nil. It calls src three
// times:
//
//   - reading the stream to its end: the source must return two non-nil
//     channels, an error channel with room for one value, send no token
//     after its outcome, and have its outcome ready the moment its token
//     channel closes;
//   - reading one token, then cancelling the context and reading nothing
//     more: the source must end within [Wait] (its outcome on the error
//     channel, then its token channel closed) although nobody reads;
//   - with a context already cancelled: it must end within [Wait] too.
//
// After each run it checks that the goroutines the source started have
// ended within [Wait]. The check counts every goroutine of the process,
// so do not run it beside tests that start goroutines of their own
// (t.Parallel), or run it in a testing/synctest bubble, which also
// reports a goroutine left blocked.
//
// A source over net/http may leave a connection in its client's pool:
// that is the pool working, not a leak. Check tells an idle pooled
// HTTP/1 connection (the transport's read loop waiting for the next
// response, its write loop, and, for a server in the same process, the
// server's goroutine waiting for the next request) from one whose
// response body was never closed, which it reports. Those goroutines
// outlive the check: close them when the test ends
// (Transport.CloseIdleConnections, httptest.Server.Close), before
// goleak looks. HTTP/2 connections are not told apart: give their
// clients DisableKeepAlives, or close idle connections after each call. src must stream at least one token
// for req for the second run to mean anything. A panic in src is
// reported, not raised; Check panics if src is nil.
func Check[Req, Tok any](src stream.Source[Req, Tok], req Req) error {
	if src == nil {
		panic("stream: streamtest.Check needs a non-nil source")
	}
	var broken []string
	for _, run := range []struct {
		name      string
		cancelled bool // src is called with a context already cancelled
		f         func(cancel context.CancelFunc, out <-chan Tok, errc <-chan error) []string
	}{
		{"read to its end", false, checkRead[Tok]},
		{"cancelled after its first token, with nobody reading", false, checkAbandon[Tok]},
		{"called with a context already cancelled", true, checkCancelled[Tok]},
	} {
		before := goroutines()
		var problems []string
		if rec := panics.Try(func() { problems = try(src, req, run.cancelled, run.f) }); rec != nil {
			problems = append(problems, fmt.Sprintf("it panicked: %v", rec.Value))
		}
		if leaked := leftBehind(before); leaked != "" {
			problems = append(problems, "goroutines it started still run "+Wait.String()+" after its end:\n"+leaked)
		}
		for _, p := range problems {
			broken = append(broken, run.name+": "+p)
		}
	}
	if len(broken) == 0 {
		return nil
	}
	return fmt.Errorf("streamtest: the source broke the stream contract:\n  %s", strings.Join(broken, "\n  "))
}

// try calls src with a context of its own and, if the channels it
// returned are sound, runs f on them.
func try[Req, Tok any](src stream.Source[Req, Tok], req Req, cancelled bool, f func(context.CancelFunc, <-chan Tok, <-chan error) []string) []string {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if cancelled {
		cancel()
	}
	out, errc := src(ctx, req)
	var p []string
	if out == nil {
		p = append(p, "it returned a nil token channel")
	}
	if errc == nil {
		p = append(p, "it returned a nil error channel")
	} else if cap(errc) < 1 {
		p = append(p, "its error channel has no room for its one value")
	}
	if len(p) > 0 {
		return p
	}
	return f(cancel, out, errc)
}

func checkRead[Tok any](_ context.CancelFunc, out <-chan Tok, errc <-chan error) []string {
	t := time.NewTimer(Silence)
	defer t.Stop()
	// The error channel is watched from the start, as a consumer may to
	// notice a failure early. Once the outcome is there, only the tokens
	// then buffered may still come: one more was sent after the outcome.
	watch, seen, buffered, late := errc, false, 0, 0
	for {
		// The outcome first, when it is there: a select between a ready
		// outcome and a ready late token picks at random.
		if watch != nil {
			select {
			case <-watch:
				watch, seen, buffered = nil, true, len(out)
			default:
			}
		}
		select {
		case _, ok := <-out:
			if ok {
				if seen {
					if buffered > 0 {
						buffered--
					} else {
						late++
					}
				}
				t.Reset(Silence)
				continue
			}
		case <-watch:
			watch, seen, buffered = nil, true, len(out)
			continue
		case <-t.C:
			return []string{fmt.Sprintf("it sent nothing for %v and did not end", Silence)}
		}
		break
	}
	var p []string
	if late > 0 {
		p = append(p, fmt.Sprintf("it sent %d token(s) after its outcome was on its error channel (the outcome comes last, just before the token channel closes)", late))
	}
	if !seen {
		select {
		case <-errc:
		default:
			p = append(p, "its token channel closed before its outcome was on its error channel")
		}
	}
	return p
}

func checkAbandon[Tok any](cancel context.CancelFunc, out <-chan Tok, errc <-chan error) []string {
	t := time.NewTimer(Wait)
	defer t.Stop()
	select {
	case <-out:
	case <-t.C:
		// No first token in time: judge the end on cancellation anyway.
	}
	cancel()
	return ended(out, errc)
}

func checkCancelled[Tok any](_ context.CancelFunc, out <-chan Tok, errc <-chan error) []string {
	return ended(out, errc)
}

// ended checks that a cancelled stream puts its outcome on errc within
// Wait, without anyone reading its tokens, and then closes its token
// channel.
func ended[Tok any](out <-chan Tok, errc <-chan error) []string {
	t := time.NewTimer(Wait)
	defer t.Stop()
	select {
	case <-errc:
	case <-t.C:
		return []string{fmt.Sprintf("it did not end within %v of its context ending while nobody read its tokens", Wait)}
	}
	t.Reset(Wait)
	for {
		select {
		case _, ok := <-out:
			if !ok {
				return nil
			}
		case <-t.C:
			return []string{fmt.Sprintf("its token channel was still open %v after its outcome", Wait)}
		}
	}
}

// goroutines returns the stacks of every goroutine, by id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		head, _, _ := bytes.Cut(g, []byte(" ["))
		out[string(head)] = string(g)
	}
	return out
}

// leftBehind waits up to Wait for the goroutines that are not in before
// to end, and describes those that remain, but for the goroutines of idle
// pooled HTTP connections (see [Check]).
func leftBehind(before map[string]string) string {
	deadline := time.Now().Add(Wait)
	for {
		now := goroutines()
		idle := idleConns(now)
		var left []string
		for id, stack := range now {
			if _, old := before[id]; !old && !strings.Contains(stack, "streamtest.leftBehind") && !idlePooled(stack, idle) {
				left = append(left, "    "+strings.ReplaceAll(strings.TrimSpace(stack), "\n", "\n    "))
			}
		}
		if len(left) == 0 {
			return ""
		}
		if !time.Now().Before(deadline) {
			return strings.Join(left, "\n")
		}
		time.Sleep(time.Millisecond)
	}
}

// The frames of net/http's connection goroutines, as runtime.Stack
// prints them: a function and its arguments, the first of which is the
// connection's address.
const (
	clientRead  = "net/http.(*persistConn).readLoop("
	clientWrite = "net/http.(*persistConn).writeLoop("
	serverConn  = "net/http.(*conn).serve("
	peek        = "bufio.(*Reader).Peek("
)

// idleConns returns the addresses of the client connections whose read
// loop waits, in a Peek at the top of its loop, for the next response: a
// connection in the pool. A connection whose response body is still open
// waits elsewhere (a select), and is not idle.
func idleConns(stacks map[string]string) map[string]bool {
	idle := map[string]bool{}
	for _, stack := range stacks {
		if arg, ok := calledFrom(stack, peek, clientRead); ok {
			idle[arg] = true
		}
	}
	return idle
}

// idlePooled reports whether stack is a goroutine of an idle pooled HTTP
// connection: the read loop of one in idle, its write loop, or the
// server's side of a loopback connection waiting for its next request.
func idlePooled(stack string, idle map[string]bool) bool {
	if arg, ok := calledFrom(stack, peek, clientRead); ok {
		return idle[arg]
	}
	if arg, ok := frameArg(stack, clientWrite); ok {
		return idle[arg]
	}
	if _, ok := calledFrom(stack, peek, serverConn); ok {
		return true
	}
	_, ok := calledFrom(stack, "net/http.(*conn).readRequest(", serverConn)
	return ok
}

// calledFrom reports whether, in stack, the function inner was called by
// outer directly, and returns outer's first argument.
func calledFrom(stack, inner, outer string) (string, bool) {
	var prev string
	for line := range strings.Lines(stack) {
		if strings.HasPrefix(line, "\t") {
			continue // the file and line of the frame above
		}
		if strings.HasPrefix(line, outer) {
			if strings.HasPrefix(prev, inner) {
				return firstArg(line[len(outer):]), true
			}
			return "", false
		}
		prev = line
	}
	return "", false
}

// frameArg returns the first argument of fn's frame in stack.
func frameArg(stack, fn string) (string, bool) {
	for line := range strings.Lines(stack) {
		if strings.HasPrefix(line, fn) {
			return firstArg(line[len(fn):]), true
		}
	}
	return "", false
}

func firstArg(args string) string {
	end := strings.IndexAny(args, ",)")
	if end < 0 {
		return args
	}
	return args[:end]
}
