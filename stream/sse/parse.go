package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Event is one event of a text/event-stream, as the WHATWG HTML standard
// defines its dispatch.
type Event struct {
	// Type is the event's "event" field, or "message" when it has none.
	Type string
	// ID is the last event ID the stream set, if any.
	ID string
	// Data is the event's "data" fields joined with newlines. It is valid
	// only until the decoder returns: copy what you keep.
	Data []byte
	// Retry is the reconnection time the stream last set, if any. relay
	// does not reconnect: failing over is its answer to a lost stream.
	Retry time.Duration
}

// errTooLarge reports a line or an event larger than the parser's limit.
var errTooLarge = errors.New("sse: an event is larger than MaxEventSize")

// parser reads events from a text/event-stream body, reusing its buffers:
// an event costs no allocation once they have grown to the stream's
// largest (but for a new event type, or a new id).
type parser struct {
	r      *bufio.Reader
	max    int
	skipLF bool   // the last line ended with CR: a LF right after it is part of it
	begun  bool   // the first read, which drops a byte order mark, is done
	line   []byte // a line longer than what the reader buffers
	data   []byte
	typ    []byte
	hasTyp bool
	ev     Event
	lastT  string // the last event type, reused while it does not change
}

func newParser(r io.Reader, max int) *parser {
	return &parser{r: bufio.NewReaderSize(r, 4096), max: max}
}

// next returns the next dispatched event, or an error: io.EOF at the end
// of the body, io.ErrUnexpectedEOF when the body ends inside an event (a
// field line, or its end, without the blank line that dispatches it). The
// standard drops such an event quietly; here it is an error, since a
// dropped event is a silently shortened answer. A comment cut off at the
// end of the body is no event, and ends the body cleanly.
func (p *parser) next() (*Event, error) {
	if !p.begun {
		p.begun = true
		// The standard strips one leading U+FEFF; kept, it would hide
		// the first field's name and so drop the first event.
		if b, err := p.r.Peek(3); err == nil && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
			p.r.Discard(3)
		}
	}
	for {
		line, err := p.readLine()
		if err == io.EOF && (len(p.data) > 0 || p.hasTyp) {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			if ev := p.dispatch(); ev != nil {
				return ev, nil
			}
			continue
		}
		if err := p.field(line); err != nil {
			return nil, err
		}
	}
}

// readLine returns the next line without its end (CRLF, LF or CR). The
// line is valid until the next read.
func (p *parser) readLine() ([]byte, error) {
	p.line = p.line[:0]
	for {
		if p.skipLF {
			b, err := p.r.Peek(1)
			if err != nil {
				return nil, err
			}
			if b[0] == '\n' {
				p.r.Discard(1)
			}
			p.skipLF = false
		}
		n := p.r.Buffered()
		if n == 0 {
			if _, err := p.r.Peek(1); err != nil {
				if err == io.EOF && len(p.line) > 0 && p.line[0] != ':' {
					return nil, io.ErrUnexpectedEOF
				}
				return nil, err
			}
			n = p.r.Buffered()
		}
		buf, _ := p.r.Peek(n)
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			if len(p.line)+len(buf) > p.max {
				return nil, errTooLarge
			}
			p.line = append(p.line, buf...)
			p.r.Discard(len(buf))
			continue
		}
		p.skipLF = buf[i] == '\r'
		var line []byte
		if len(p.line) == 0 {
			line = buf[:i] // in place: valid until the next read
		} else {
			p.line = append(p.line, buf[:i]...)
			line = p.line
		}
		p.r.Discard(i + 1)
		return line, nil
	}
}

// field processes one line that is not blank.
func (p *parser) field(line []byte) error {
	if line[0] == ':' {
		return nil // a comment: a keep-alive
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		if len(p.data)+len(value)+1 > p.max {
			return errTooLarge
		}
		p.data = append(p.data, value...)
		p.data = append(p.data, '\n')
	case "event":
		p.typ = append(p.typ[:0], value...)
		p.hasTyp = true
	case "id":
		if bytes.IndexByte(value, 0) < 0 && string(value) != p.ev.ID {
			p.ev.ID = string(value)
		}
	case "retry":
		if ms, err := strconv.ParseUint(string(value), 10, 63); err == nil {
			p.ev.Retry = time.Duration(min(ms, math.MaxInt64/uint64(time.Millisecond))) * time.Millisecond
		}
	}
	return nil
}

// dispatch ends the event that a blank line closes: nil when it has no
// data, as the standard says.
func (p *parser) dispatch() *Event {
	defer func() {
		p.data = p.data[:0]
		p.typ = p.typ[:0]
		p.hasTyp = false
	}()
	if len(p.data) == 0 {
		return nil
	}
	switch {
	case !p.hasTyp || len(p.typ) == 0:
		p.ev.Type = "message"
	case string(p.typ) != p.lastT:
		p.lastT = string(p.typ)
		fallthrough
	default:
		p.ev.Type = p.lastT
	}
	p.ev.Data = p.data[:len(p.data)-1]
	return &p.ev
}

// describe names an event in an error message.
func describe(ev *Event) string {
	const max = 64
	d := ev.Data
	if len(d) > max {
		return fmt.Sprintf("%s event %q…", ev.Type, d[:max])
	}
	return fmt.Sprintf("%s event %q", ev.Type, d)
}
