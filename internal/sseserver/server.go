// Package sseserver is a loopback server of server-sent events that can be
// told to misbehave, for relay's tests, its demo and its load benchmark:
// it refuses, answers an HTTP error with Retry-After, resets the
// connection or stalls after k events (or before its first byte), sends a
// malformed event, closes without its terminal event, or writes to a slow
// client. It counts the connections it has open, so a test can prove that
// every one was closed.
//
// Its events are JSON strings, `data: "token"`, and its terminal event is
// `data: [DONE]`; [Decode] reads them.
package sseserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relay-go/relay/stream"
	"github.com/relay-go/relay/stream/sse"
)

// Kind is a way of answering a request.
type Kind int

const (
	Serve Kind = iota // every event, then the terminal event
	// Refuse reads the request, then resets the connection without a
	// response: what a client sees of an overloaded proxy. (A refused
	// TCP connection is a closed port, which needs no server.)
	Refuse
	HTTPError  // answer Status, with RetryAfter if set
	Reset      // reset the connection after After events
	StallFirst // send nothing, not even headers, until the client goes
	Stall      // stall after After events until the client goes
	Malformed  // send a malformed event after After events
	NoDone     // close cleanly after After events, without the terminal event
)

func (k Kind) String() string {
	return [...]string{"Serve", "Refuse", "HTTPError", "Reset", "StallFirst", "Stall", "Malformed", "NoDone"}[k]
}

// Fault is how one request is answered.
type Fault struct {
	Kind       Kind
	After      int           // events sent before the fault
	Status     int           // HTTPError: the status code
	RetryAfter string        // HTTPError: the Retry-After header, if any
	Gap        time.Duration // between two events
	FirstDelay time.Duration // before the first event
	// Hold, when not nil, holds the stream after its first event until
	// it is closed: for measuring many streams open at once.
	Hold <-chan struct{}
}

// Server is a running loopback server. Its zero value is not usable: make
// one with [Start].
type Server struct {
	URL    string
	srv    *httptest.Server
	tokens func(req string) []string
	plan   func(call int, req string) Fault

	calls   atomic.Int64
	mu      sync.Mutex
	open    int           // connections open, hijacked ones included
	changed chan struct{} // closed and replaced whenever open changes
}

// Start serves HTTP/1.1 on a loopback port. tokens says what a request's
// answer is; plan says how the call-th request (from 1) is answered.
func Start(tokens func(req string) []string, plan func(call int, req string) Fault) *Server {
	return start(tokens, plan, false)
}

// StartH2C is Start, serving HTTP/2 without TLS as well: many streams
// share a connection, so that thousands of them fit in a process's file
// descriptors. Its clients need a transport that speaks it ([H2C]).
func StartH2C(tokens func(req string) []string, plan func(call int, req string) Fault) *Server {
	return start(tokens, plan, true)
}

// H2C returns a transport that speaks HTTP/2 without TLS.
func H2C() *http.Transport {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Transport{Protocols: &p}
}

func start(tokens func(req string) []string, plan func(call int, req string) Fault, h2c bool) *Server {
	s := &Server{tokens: tokens, plan: plan, changed: make(chan struct{})}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if h2c {
		var p http.Protocols
		p.SetHTTP1(true)
		p.SetUnencryptedHTTP2(true)
		s.srv.Config.Protocols = &p
	}
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.count(1)
		case http.StateClosed:
			s.count(-1)
		}
	}
	s.srv.Start()
	s.URL = s.srv.URL
	return s
}

func (s *Server) count(d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open += d
	close(s.changed)
	s.changed = make(chan struct{})
}

// Calls reports how many requests the server has received.
func (s *Server) Calls() int { return int(s.calls.Load()) }

// Open reports how many connections are open.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// WaitClosed waits until every connection the server accepted is closed,
// or ctx ends; it reports how many were still open.
func (s *Server) WaitClosed(ctx context.Context) int {
	for {
		s.mu.Lock()
		n, changed := s.open, s.changed
		s.mu.Unlock()
		if n == 0 {
			return 0
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return s.Open()
		}
	}
}

// Close shuts the server down and closes its connections.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	call := int(s.calls.Add(1))
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := string(body)
	f := s.plan(call, req)
	toks := s.tokens(req)
	switch f.Kind {
	case Refuse, Reset:
		s.hijacked(w, r, f, toks)
		return
	case HTTPError:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		http.Error(w, fmt.Sprintf(`{"error":"call %d: %d"}`, call, f.Status), f.Status)
		return
	case StallFirst:
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	fl.Flush()
	if !pause(r.Context(), f.FirstDelay) {
		return
	}
	for i, tok := range toks {
		if i == f.After {
			switch f.Kind {
			case Stall:
				<-r.Context().Done()
				return
			case Malformed:
				fmt.Fprint(w, "data: {not json\n\n")
				fl.Flush()
				return
			case NoDone:
				return
			}
		}
		if i == 1 && f.Hold != nil {
			select {
			case <-f.Hold:
			case <-r.Context().Done():
				return
			}
		}
		if i > 0 && !pause(r.Context(), f.Gap) {
			return
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", quote(tok)); err != nil {
			return
		}
		fl.Flush()
	}
	if f.Kind == Stall && f.After >= len(toks) {
		<-r.Context().Done()
		return
	}
	if f.Kind == NoDone {
		return
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// hijacked answers a request on the raw connection: nothing at all
// (Refuse), or events and then a reset (Reset).
func (s *Server) hijacked(w http.ResponseWriter, r *http.Request, f Fault, toks []string) {
	if r.ProtoMajor == 2 {
		// HTTP/2 has no raw connection to hand over: reset the stream.
		if f.Kind == Reset {
			w.Header().Set("Content-Type", "text/event-stream")
			for i, tok := range toks {
				if i == f.After {
					break
				}
				fmt.Fprintf(w, "data: %s\n\n", quote(tok))
			}
			w.(http.Flusher).Flush()
		}
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer func() {
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // close with a reset, not a clean end
		}
		conn.Close()
		s.count(-1) // a hijacked connection gets no StateClosed
	}()
	if f.Kind == Refuse {
		return
	}
	fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	for i, tok := range toks {
		if i == f.After {
			break
		}
		chunk(buf, fmt.Sprintf("data: %s\n\n", quote(tok)))
	}
	buf.Flush()
}

func chunk(w *bufio.ReadWriter, s string) {
	fmt.Fprintf(w, "%x\r\n%s\r\n", len(s), s)
}

func quote(tok string) string {
	b, _ := json.Marshal(tok)
	return string(b)
}

// pause waits d, and reports false if the client went away first.
func pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Decode reads the server's events for [sse.Config].Decode.
func Decode(ev sse.Event) (string, sse.Action, error) {
	if string(ev.Data) == "[DONE]" {
		return "", sse.Done, nil
	}
	var tok string
	if err := json.Unmarshal(ev.Data, &tok); err != nil {
		return "", 0, err
	}
	return tok, sse.Emit, nil
}

// Source returns an SSE source over the server, using client, that posts
// the request as the body and expects the terminal event.
func (s *Server) Source(client *http.Client) stream.Source[string, string] {
	return sse.Source(sse.Config[string, string]{
		Client: client,
		NewRequest: func(ctx context.Context, req string) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, "POST", s.URL, strings.NewReader(req))
		},
		Decode:     Decode,
		ExpectDone: true,
	})
}
