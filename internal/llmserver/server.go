// Package llmserver is a loopback server that speaks the streaming wire
// formats of OpenAI's Chat Completions and Anthropic's Messages, as the
// official SDKs read them, and that can be told to misbehave: answer an
// HTTP error (429 with Retry-After or Retry-After-Ms, 500, 529), reset
// the connection after k content events, stall before its first content
// event while it sends keep-alives, send an error event in the stream,
// end the body without its terminal event, or send malformed JSON. The
// SDK adapters' tests and examples run the real SDK clients against it.
//
// Its answer to a request is a list of text fragments; the request's
// messages are parsed and kept, so a test can see what a resumed
// request asked for.
package llmserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Vendor is a wire format.
type Vendor int

const (
	OpenAI    Vendor = iota // POST .../chat/completions, data-only events, [DONE]
	Anthropic               // POST .../v1/messages, named events, message_stop
)

// Kind is a way of answering a request.
type Kind int

const (
	Serve       Kind = iota // the whole answer and its terminal event
	HTTPError               // Status with the vendor's error body, and RetryAfter / RetryAfterMs if set
	Reset                   // reset the connection after After content events
	StallFirst              // the opening events and Pings keep-alives, then nothing until the client goes
	InBandError             // an error event after After content events
	NoTerminal              // close cleanly after After content events, without the terminal event
	Malformed               // malformed JSON after After content events
)

// Fault is how one request is answered.
type Fault struct {
	Kind         Kind
	After        int    // content events sent before the fault
	Status       int    // HTTPError: the status code
	RetryAfter   string // HTTPError: the Retry-After header, if any
	RetryAfterMs string // HTTPError: the Retry-After-Ms header, if any
	Pings        int    // StallFirst: keep-alives sent before the stall
}

// Message is one message of a request, its text parts joined.
type Message struct{ Role, Text string }

// Request is what a client asked for.
type Request struct {
	Model    string
	Messages []Message
}

// Server is a running loopback server; make one with [Start].
type Server struct {
	// URL is the base URL for the vendor's SDK: option.WithBaseURL(URL).
	URL    string
	vendor Vendor
	answer func(Request) []string
	plan   func(call int) Fault
	srv    *httptest.Server

	mu   sync.Mutex
	reqs []Request
}

// Start serves vendor's wire format on 127.0.0.1. answer says what a
// request's answer is; plan how the call-th request (from 1) is answered
// (nil: every request is served). Close the server when done.
func Start(vendor Vendor, answer func(Request) []string, plan func(call int) Fault) *Server {
	if plan == nil {
		plan = func(int) Fault { return Fault{} }
	}
	s := &Server{vendor: vendor, answer: answer, plan: plan}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/"
	if vendor == OpenAI {
		s.URL = s.srv.URL + "/v1/"
	}
	return s
}

// Close shuts the server down and closes its connections.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Calls reports how many requests the server has received.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// Requests returns every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := parse(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	call := len(s.reqs)
	s.mu.Unlock()
	f := s.plan(call)
	words := s.answer(req)
	d := dialect(s.vendor)

	if f.Kind == HTTPError {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if f.RetryAfterMs != "" {
			w.Header().Set("Retry-After-Ms", f.RetryAfterMs)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		fmt.Fprint(w, d.httpError(f.Status))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	send := func(ev string) { fmt.Fprint(w, ev); fl.Flush() }
	send(d.open())
	if f.Kind == StallFirst {
		for range f.Pings {
			send(d.ping())
		}
		<-r.Context().Done()
		return
	}
	for i, word := range words {
		if i == f.After && f.Kind != Serve {
			break
		}
		send(d.text(word))
	}
	switch f.Kind {
	case Reset:
		reset(w)
	case InBandError:
		send(d.inBandError())
	case Malformed:
		send(d.malformed())
	case Serve:
		send(d.end())
	}
	// NoTerminal, and after the others: the body ends here.
}

// reset closes the connection with a TCP reset, in the middle of the
// chunked body.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// parse reads the messages of either vendor's request body: content as a
// string or as a list of parts with text.
func parse(body io.Reader) Request {
	var raw struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	b, _ := io.ReadAll(io.LimitReader(body, 1<<20))
	_ = json.Unmarshal(b, &raw)
	req := Request{Model: raw.Model}
	for _, m := range raw.Messages {
		var text string
		if json.Unmarshal(m.Content, &text) != nil {
			var parts []struct {
				Text string `json:"text"`
			}
			_ = json.Unmarshal(m.Content, &parts)
			var sb strings.Builder
			for _, p := range parts {
				sb.WriteString(p.Text)
			}
			text = sb.String()
		}
		req.Messages = append(req.Messages, Message{Role: m.Role, Text: text})
	}
	return req
}

// Continue is an answer function for tests of resume: the answer is
// words, and a request whose last message is the assistant's (a prefill)
// gets the words after the text it already has.
func Continue(words ...string) func(Request) []string {
	return func(req Request) []string {
		if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == "assistant" {
			have := req.Messages[n-1].Text
			for i := range words {
				if strings.Join(words[:i], "") == have {
					return words[i:]
				}
			}
			return nil
		}
		return words
	}
}

// The events of one wire format, each with its trailing blank line.
type wire interface {
	open() string         // before the first content event
	text(w string) string // one content event
	ping() string         // a keep-alive
	end() string          // the terminal events
	inBandError() string
	malformed() string
	httpError(status int) string
}

func dialect(v Vendor) wire {
	if v == Anthropic {
		return anthropicWire{}
	}
	return openaiWire{}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type openaiWire struct{}

func (openaiWire) chunk(delta string, finish string) string {
	f := "null"
	if finish != "" {
		f = js(finish)
	}
	return fmt.Sprintf(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":%s,"finish_reason":%s}]}`+"\n\n", delta, f)
}
func (o openaiWire) open() string { return o.chunk(`{"role":"assistant","content":""}`, "") }
func (o openaiWire) text(w string) string {
	return o.chunk(`{"content":`+js(w)+`}`, "")
}
func (openaiWire) ping() string { return ": keep-alive\n\n" }
func (o openaiWire) end() string {
	return o.chunk(`{}`, "stop") +
		`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}` + "\n\n" +
		"data: [DONE]\n\n"
}
func (openaiWire) inBandError() string {
	return `data: {"error":{"message":"The server had an error while processing your request","type":"server_error","code":null}}` + "\n\n"
}
func (openaiWire) malformed() string { return "data: {\"choices\":[{\"delta\":\n\n" }
func (openaiWire) httpError(status int) string {
	return js(map[string]any{"error": map[string]any{"message": fmt.Sprintf("status %d", status), "type": "error", "code": nil}})
}

type anthropicWire struct{}

func (anthropicWire) event(name, data string) string {
	return "event: " + name + "\ndata: " + data + "\n\n"
}
func (a anthropicWire) open() string {
	return a.event("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}`) +
		a.event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
}
func (a anthropicWire) text(w string) string {
	return a.event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+js(w)+`}}`)
}
func (a anthropicWire) ping() string { return a.event("ping", `{"type":"ping"}`) }
func (a anthropicWire) end() string {
	return a.event("content_block_stop", `{"type":"content_block_stop","index":0}`) +
		a.event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}`) +
		a.event("message_stop", `{"type":"message_stop"}`)
}
func (a anthropicWire) inBandError() string {
	return a.event("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
}
func (a anthropicWire) malformed() string {
	return a.event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`)
}
func (anthropicWire) httpError(status int) string {
	typ := map[int]string{400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
		413: "request_too_large", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}[status]
	if typ == "" {
		typ = "api_error"
	}
	return js(map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": fmt.Sprintf("status %d", status)}})
}
