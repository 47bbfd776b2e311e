package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/stream"
)

// Action says what a decoded event means for the stream.
type Action uint8

const (
	// Emit sends the decoded token to the consumer.
	Emit Action = iota
	// Skip sends nothing: the event carried no token (a ping, metadata
	// the caller does not need).
	Skip
	// Done ends the stream cleanly: the event was the stream's terminal
	// event, such as OpenAI's "[DONE]". Nothing after it is read.
	Done
)

// Config says how to turn one request into an HTTP request and each event
// of the response into a token.
type Config[Req, Tok any] struct {
	// Client sends the requests; nil means http.DefaultClient. Its
	// Timeout, if any, bounds the whole stream: leave it zero and let the
	// context and relay's timeouts bound it instead.
	Client *http.Client
	// NewRequest builds the HTTP request for req. It must use ctx (as
	// http.NewRequestWithContext does), so that the request and its body
	// end when ctx does.
	NewRequest func(ctx context.Context, req Req) (*http.Request, error)
	// Decode turns one event into a token, or says to skip it, or that the
	// stream is done. An error ends the stream with that error (a
	// malformed event). Event.Data is valid only until Decode returns.
	Decode func(ev Event) (Tok, Action, error)
	// ExpectDone says that the stream must end with an event that Decode
	// answers Done: a body that ends without one is a failure wrapping
	// [errs.ErrTruncated], never a clean end. Set it whenever the
	// provider has a terminal event: it is what tells a complete answer
	// from one whose connection dropped.
	ExpectDone bool
	// CheckResponse judges a response before its body is read: nil to
	// stream it, or the error that ends the attempt. nil means
	// [CheckResponse].
	CheckResponse func(*http.Response) error
	// MaxEventSize bounds one event (and one line), in bytes; a larger
	// one ends the stream with an error. Zero means 1 MiB.
	MaxEventSize int
}

// Source returns a [stream.Source] that streams the events of an HTTP
// response as tokens. Each call sends one request on a goroutine of its
// own (the call itself never blocks), checks the response, and reads its
// body as a text/event-stream (multi-line data, comments as keep-alives,
// event, id and retry fields, CRLF, LF or CR line ends), handing each
// event to Decode.
//
// The stream ends cleanly at a Done event, or at the end of the body when
// ExpectDone is false. It fails with the response's *errs.StatusError
// (see [CheckResponse]), with the network's error wrapped, with Decode's
// error, with [errs.ErrTruncated] for a body that ended before its Done
// event when ExpectDone is true, or with ctx's error. A body that ends
// inside an event (a field line without the blank line that would
// dispatch it) fails with [errs.ErrTruncated] whatever ExpectDone says:
// the format drops such an event, and a dropped event is a shortened
// answer. A keep-alive comment cut off at the end is no event. A leading
// byte order mark is skipped, as the format asks. When ctx ends, the
// request is cancelled and the response body closed at once, whether or
// not anyone is reading the token channel.
//
// Per event the parser allocates nothing once its buffers have grown to
// the stream's largest event (beyond what Decode allocates), and each
// token is one channel send. Source panics, with a message starting
// "stream:", if NewRequest or Decode is nil or MaxEventSize < 0.
func Source[Req, Tok any](cfg Config[Req, Tok]) stream.Source[Req, Tok] {
	switch {
	case cfg.NewRequest == nil || cfg.Decode == nil:
		panic("stream: sse.Source needs NewRequest and Decode")
	case cfg.MaxEventSize < 0:
		panic(fmt.Sprintf("stream: sse.Source(MaxEventSize=%d): the size must not be negative", cfg.MaxEventSize))
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.CheckResponse == nil {
		cfg.CheckResponse = CheckResponse
	}
	if cfg.MaxEventSize == 0 {
		cfg.MaxEventSize = 1 << 20
	}
	return func(ctx context.Context, req Req) (<-chan Tok, <-chan error) {
		out := make(chan Tok)
		errc := make(chan error, 1)
		go func() {
			if err := cfg.stream(ctx, req, out); err != nil {
				errc <- err
			}
			close(errc)
			close(out)
		}()
		return out, errc
	}
}

// stream runs one request to its end and returns its error.
func (cfg *Config[Req, Tok]) stream(ctx context.Context, req Req, out chan<- Tok) error {
	hreq, err := cfg.NewRequest(ctx, req)
	if err != nil {
		return fmt.Errorf("sse: building the request: %w", err)
	}
	if hreq.Context() != ctx {
		hreq = hreq.WithContext(ctx)
	}
	resp, err := cfg.Client.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("sse: %w", err)
	}
	defer resp.Body.Close()
	if err := cfg.CheckResponse(resp); err != nil {
		return err
	}
	p := newParser(resp.Body, cfg.MaxEventSize)
	n := 0
	for {
		ev, err := p.next()
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case err == io.EOF && cfg.ExpectDone:
				return fmt.Errorf("sse: %w: the body ended after %d events without the terminal event", errs.ErrTruncated, n)
			case err == io.EOF:
				return nil
			case errors.Is(err, io.ErrUnexpectedEOF):
				return fmt.Errorf("sse: %w: the body ended inside an event: %w", errs.ErrTruncated, err)
			}
			return fmt.Errorf("sse: reading the body: %w", err)
		}
		n++
		tok, act, err := cfg.Decode(*ev)
		if err != nil {
			return fmt.Errorf("sse: decoding the %s: %w", describe(ev), err)
		}
		switch act {
		case Done:
			return nil
		case Skip:
			continue
		}
		select {
		case out <- tok:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// CheckResponse is the default response check. A 2xx response whose
// Content-Type is text/event-stream is streamed. Anything else ends the
// attempt with an *errs.StatusError that holds the status and the first
// 512 bytes of the body; when the response carries a wait (see
// [RetryAfterHeader]), as 429 and 503 responses often do, the error is
// marked with [errs.RetryAfter], which a failover group honours. A 2xx
// response of another content type is an error as well, with its status,
// since it will not stream.
//
// What the statuses mean for failover is the group's classification to
// decide; with the default one every error here retries the provider, then
// moves on. failover.HTTPClass maps 400, 413 and 422 to Stop (every
// provider would refuse the same request) and 401, 403 and 404 to
// NextProvider (this provider will not serve it), which fits most APIs.
func CheckResponse(resp *http.Response) error {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode/100 == 2 && ct == "text/event-stream" {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	err := &errs.StatusError{Code: resp.StatusCode, Status: resp.Status, Body: string(body)}
	if resp.StatusCode/100 == 2 {
		err.Body = fmt.Sprintf("content type %q is not text/event-stream", resp.Header.Get("Content-Type"))
	}
	if d, ok := RetryAfterHeader(resp.Header, time.Now()); ok {
		return errs.RetryAfter(err, d)
	}
	return err
}

// RetryAfterHeader returns the wait that a response's headers ask for
// before the next request, and whether they ask for one: Retry-After-Ms
// (milliseconds, which OpenAI and Azure OpenAI send beside Retry-After)
// when it is present and valid, as the official OpenAI SDKs prefer it,
// else Retry-After (see [ParseRetryAfter]).
func RetryAfterHeader(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := parseRetryAfterMs(h.Get("Retry-After-Ms")); ok {
		return d, true
	}
	return ParseRetryAfter(h.Get("Retry-After"), now)
}

// parseRetryAfterMs parses a Retry-After-Ms value: a number of
// milliseconds, fractions allowed, not negative.
func parseRetryAfterMs(v string) (time.Duration, bool) {
	ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || ms < 0 || math.IsNaN(ms) {
		return 0, false
	}
	if ms >= float64(math.MaxInt64/int64(time.Millisecond)) {
		return math.MaxInt64, true
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}

// ParseRetryAfter parses a Retry-After header value, in seconds or as an
// HTTP date, into the wait it asks for from now. It reports false for an
// empty or malformed value; a date in the past asks for no wait. A number
// of seconds too large for a time.Duration saturates.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseUint(v, 10, 63); err == nil {
		if s > uint64(1<<63-1)/uint64(time.Second) {
			return 1<<63 - 1, true
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
