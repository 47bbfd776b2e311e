package sse

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

type got struct {
	Type, ID, Data string
	Retry          time.Duration
}

// parseAll reads every event of body, one byte at a time when slow.
func parseAll(body string, slow bool, max int) ([]got, error) {
	var r io.Reader = strings.NewReader(body)
	if slow {
		r = iotest.OneByteReader(r)
	}
	p := newParser(r, max)
	var out []got
	for {
		ev, err := p.next()
		if err != nil {
			return out, err
		}
		out = append(out, got{ev.Type, ev.ID, string(ev.Data), ev.Retry})
	}
}

func TestParserFollowsTheStandard(t *testing.T) {
	t.Parallel()
	msg := func(data string) got { return got{Type: "message", Data: data} }
	for _, tc := range []struct {
		name string
		body string
		want []got
	}{
		{"one event", "data: a\n\n", []got{msg("a")}},
		{"data lines join with newlines", "data: a\ndata: b\n\n", []got{msg("a\nb")}},
		{"CRLF line ends", "data: a\r\ndata: b\r\n\r\n", []got{msg("a\nb")}},
		{"CR line ends", "data: a\rdata: b\r\rdata: c\r\r", []got{msg("a\nb"), msg("c")}},
		{"mixed line ends", "data: a\r\n\ndata: b\r\r\n\n", []got{msg("a"), msg("b")}},
		{"comments are keep-alives", ": ping\n\n:\ndata: x\n: more\n\n", []got{msg("x")}},
		{"an event type applies to its event only", "event: delta\ndata: x\n\ndata: y\n\n", []got{{Type: "delta", Data: "x"}, msg("y")}},
		{"an id lasts until the next", "id: 7\ndata: x\n\ndata: y\n\nid\ndata: z\n\n", []got{{Type: "message", ID: "7", Data: "x"}, {Type: "message", ID: "7", Data: "y"}, msg("z")}},
		{"an id with NUL is ignored", "id: 1\x002\ndata: x\n\n", []got{msg("x")}},
		{"retry in milliseconds; others ignored", "retry: 1500\ndata: x\n\nretry: soon\ndata: y\n\n", []got{{Type: "message", Data: "x", Retry: 1500 * time.Millisecond}, {Type: "message", Data: "y", Retry: 1500 * time.Millisecond}}},
		{"a retry too long for a duration is the longest", "retry: 9223372036854775807\ndata: x\n\n", []got{{Type: "message", Data: "x", Retry: math.MaxInt64 / time.Millisecond * time.Millisecond}}},
		{"one leading space is dropped, no more", "data:x\n\ndata:  y\n\n", []got{msg("x"), msg(" y")}},
		{"a field without a colon has an empty value", "data\n\ndata\ndata\n\n", []got{msg(""), msg("\n")}},
		{"unknown fields are ignored", "foo: bar\ndata: x\nbaz\n\n", []got{msg("x")}},
		{"an event without data is not dispatched", "event: ping\n\n\n\ndata: x\n\n", []got{msg("x")}},
		{"an event not ended by a blank line is cut short at the end", "data: x\n\ndata: y\n", []got{msg("x")}},
		{"a BOM-free colon in the value stays", "data: a: b\n\n", []got{msg("a: b")}},
		{"a leading byte order mark is dropped", "\uFEFFdata: a\n\ndata: b\n\n", []got{msg("a"), msg("b")}},
		{"only one leading byte order mark is dropped", "\uFEFF\uFEFFdata: a\n\ndata: b\n\n", []got{msg("b")}},
		{"a keep-alive cut off at the end is no event", "data: a\n\n: keep-al", []got{msg("a")}},
		{"a field line without its end is cut short at the end", "data: a\n\ndata: b", []got{msg("a")}},
		{"an event type alone is cut short at the end", "data: a\n\nevent: delta\n", []got{msg("a")}},
		{"a line longer than the reader's buffer", "data: " + strings.Repeat("x", 10000) + "\n\n", []got{msg(strings.Repeat("x", 10000))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, slow := range []bool{false, true} {
				events, err := parseAll(tc.body, slow, 1<<20)
				want := io.EOF
				if strings.HasSuffix(tc.name, "at the end") {
					want = io.ErrUnexpectedEOF
				}
				if err != want {
					t.Errorf("slow=%v: err = %v, want %v", slow, err, want)
				}
				if d := cmp.Diff(tc.want, events); d != "" {
					t.Errorf("slow=%v: events (-want +got):\n%s", slow, d)
				}
			}
		})
	}
}

func TestParserBoundsEvents(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"data: " + strings.Repeat("x", 200) + "\n\n",
		strings.Repeat("data: xxxxxxxxxx\n", 30) + "\n",
	} {
		if _, err := parseAll(body, false, 100); !errors.Is(err, errTooLarge) {
			t.Errorf("err = %v, want errTooLarge", err)
		}
	}
}

// TestParserAllocatesNothingPerEvent pins the parser's cost: once its
// buffers have grown, an event of a known type costs no allocation.
func TestParserAllocatesNothingPerEvent(t *testing.T) {
	body := bytes.Repeat([]byte("event: delta\ndata: {\"text\":\"hello\"}\n\n"), 2000)
	p := newParser(bytes.NewReader(body), 1<<20)
	p.next()
	if n := testing.AllocsPerRun(1000, func() { p.next() }); n != 0 {
		t.Errorf("%v allocations per event, want 0", n)
	}
}
