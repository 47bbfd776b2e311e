package failover_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
)

// FuzzInvariants decodes its input into a scenario (a script per try of
// up to three providers, the group's options, hedging included, and how
// the caller reads) and checks, in fake time, what must hold for any of
// them:
//
//   - the caller gets a prefix of exactly one attempt's tokens, in order,
//     with no duplicate and nothing of another attempt (not even a token
//     that is not content);
//   - a nil error only when that attempt streamed all of them and ended
//     cleanly; an error whenever the model says the call cannot succeed;
//   - an error's shape fits: a FailoverError naming every attempt when
//     nothing was received, a CommittedError counting what was;
//   - nothing is left running (the bubble would deadlock).
//
// go test runs the seeds (and the corpus in testdata/fuzz); go test -fuzz
// FuzzInvariants ./failover searches for more.
func FuzzInvariants(f *testing.F) {
	for _, seed := range [][]byte{
		{},
		{0, 0, 0, 0, 0, 0, 0, 0},
		{2, 1, 3, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 3},
		{3, 2, 4, 1, 5, 1, 0, 2, 4, 3, 0, 1, 2, 6, 1, 0, 1},
		{1, 1, 0, 2, 1, 3, 1, 1, 1, 1, 1, 1, 1, 7},
		{2, 0, 2, 3, 0, 4, 0, 1, 2, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{3, 1, 4, 6, 2, 8, 3, 1, 4, 2, 5, 0, 3, 9, 1, 2, 9, 4, 1, 8, 7},
		[]byte("relay fuzz seed: a hedged call"),
		[]byte("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := decode(data)
		synctest.Test(t, func(t *testing.T) { sc.check(t) })
	})
}

// bytesIn reads a scenario's bytes; past the end it reads zeros.
type bytesIn struct {
	b []byte
	i int
}

func (in *bytesIn) next() int {
	if in.i >= len(in.b) {
		return 0
	}
	in.i++
	return int(in.b[in.i-1])
}

// mode is how one try of a provider ends.
type mode int

const (
	clean         mode = iota // all its tokens, then success
	errEnd                    // all its tokens, then an error
	stall                     // some tokens, then silence until cancelled
	panicked                  // its Source call panics
	nilChannels               // a nil token channel
	errOpen                   // an error, then the token channel left open
	outcomeFirst              // success first, then the tokens (a contract break)
	errAfterClose             // the tokens, the close, then the error
	permanent                 // all its tokens, then a Permanent error
	modes
)

type scenario struct {
	scripts     [][]script // per provider, per try
	modes       [][]mode
	opts        []failover.Option
	content     bool
	commitAfter int           // CommitAfter(n) when > 1
	idle        bool          // IdleTimeout(1s) is on
	pull        bool          // Group.All rather than Group.Stream
	stopAt      int           // the caller stops after this many tokens; -1: never
	slow        time.Duration // the caller's pause per token
	deadline    time.Duration
	desc        string
}

func decode(data []byte) scenario {
	in := &bytesIn{b: data}
	sc := scenario{stopAt: -1}
	var d strings.Builder
	n := 1 + in.next()%3
	attempts := 1 + in.next()%2
	sc.content = in.next()%2 == 1
	for p := range n {
		var ss []script
		var ms []mode
		for try := range attempts {
			m := mode(in.next() % int(modes))
			k := in.next() % 4
			var toks []string
			if sc.content && in.next()%2 == 1 {
				toks = append(toks, fmt.Sprintf("#%c%d", 'a'+p, try))
			}
			for j := range k {
				toks = append(toks, fmt.Sprintf("%c%d.%d", 'a'+p, try, j))
			}
			s := script{
				Tokens:     toks,
				FirstDelay: time.Duration(in.next()%4) * 400 * time.Millisecond,
				Gap:        []time.Duration{0, 100 * time.Millisecond, 3 * time.Second}[in.next()%3],
			}
			switch m {
			case errEnd:
				s.Err = errA
			case stall:
				s.Stall, s.StallAfter = true, in.next()%(k+1)
			case panicked:
				s.Panic = "boom"
			case nilChannels:
				s.NilTokens = true
			case errOpen:
				s.Err, s.ErrOpen = errA, true
			case outcomeFirst:
				s.OutcomeFirst = true
			case errAfterClose:
				s.Err, s.ErrAfterClose = errA, true
			case permanent:
				s.Err = errs.Permanent(errB)
			}
			ss = append(ss, s)
			ms = append(ms, m)
			fmt.Fprintf(&d, "%c%d:%d/%d ", 'a'+p, try, m, k)
		}
		sc.scripts = append(sc.scripts, ss)
		sc.modes = append(sc.modes, ms)
	}
	sc.opts = append(sc.opts, failover.Attempts(attempts))
	if sc.content {
		sc.opts = append(sc.opts, failover.Content(isContent))
	}
	if in.next()%2 == 1 {
		sc.opts = append(sc.opts, failover.FirstTokenTimeout(time.Second))
	}
	if in.next()%2 == 1 {
		sc.idle = true
		sc.opts = append(sc.opts, failover.IdleTimeout(time.Second))
	}
	switch h := in.next() % 4; h {
	case 1, 2:
		sc.opts = append(sc.opts, failover.Hedge(time.Duration(h-1)*500*time.Millisecond), failover.MaxInFlight(1+in.next()%3))
	}
	if c := in.next() % 3; c > 0 {
		sc.commitAfter = 1 + c
		sc.opts = append(sc.opts, failover.CommitAfter(sc.commitAfter))
	}
	sc.pull = in.next()%2 == 1
	if in.next()%3 == 0 {
		sc.stopAt = 1 + in.next()%3 // the caller stops after this many tokens
	}
	sc.slow = time.Duration(in.next()%3) * 700 * time.Millisecond
	sc.deadline = time.Duration(1+in.next()%3) * 20 * time.Second
	fmt.Fprintf(&d, "| opts %d commitAfter %d pull %v stop %d slow %v", len(sc.opts), sc.commitAfter, sc.pull, sc.stopAt, sc.slow)
	sc.desc = d.String()
	return sc
}

// cleanEnd reports whether a try that commits can end its stream cleanly.
func (m mode) cleanEnd() bool { return m == clean || m == outcomeFirst }

func (sc scenario) check(t *testing.T) {
	fs := fakes(sc.scripts...)
	g := failover.New(providers(fs), sc.opts...)
	ctx, cancel := context.WithTimeout(t.Context(), sc.deadline)
	defer cancel()
	ctx, rep := failover.WithReport(ctx)
	var got []string
	var err error
	stopped := false
	read := func(tok string, e error) bool {
		if e != nil {
			err = e
			return false
		}
		got = append(got, tok)
		if len(got) == sc.stopAt {
			stopped = true
			return false
		}
		time.Sleep(sc.slow)
		return true
	}
	if sc.pull {
		for tok, e := range g.All(ctx, "req") {
			if !read(tok, e) {
				break
			}
		}
	} else {
		sctx, stop := context.WithCancel(ctx)
		out, errc := g.Stream(sctx, "req")
		for tok := range out {
			if !read(tok, nil) {
				stop()
				for range out {
				}
				break
			}
		}
		err = <-errc
		stop()
		if stopped {
			err = nil // the caller cut it short: its error is the caller's own
		}
	}
	synctest.Wait()
	waitAll(fs)
	attempts := rep.Attempts()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s\n  scenario: %s\n  got %q, %v\n  attempts %+v", fmt.Sprintf(format, args...), sc.desc, got, err, attempts)
	}

	// Exactly one attempt committed when tokens arrived; its tokens, in
	// order, are what the caller got.
	var served *failover.Attempt
	for i := range attempts {
		if attempts[i].Committed {
			if served != nil {
				fail("two attempts committed")
				return
			}
			served = &attempts[i]
		}
	}
	if len(got) > 0 && served == nil {
		fail("tokens arrived but no attempt committed")
		return
	}
	if served == nil {
		var fe *errs.FailoverError
		if !stopped && (!errors.As(err, &fe) || len(fe.Attempts) != len(attempts)) {
			fail("nothing committed: want a FailoverError naming each of the %d attempts", len(attempts))
		}
		return
	}
	if len(got) == 0 {
		return // committed, but the caller took nothing
	}
	// Each token names its script: provider and try, as "#a1" or "a1.0".
	// (With hedging, a provider's tries call its Source concurrently, so
	// which script an attempt plays is known only from its tokens.)
	name := strings.TrimPrefix(got[0], "#")
	p, try := int(name[0]-'a'), int(name[1]-'0')
	want := sc.scripts[p][try].Tokens
	if string(name[0]) != served.Provider || len(got) > len(want) || strings.Join(got, ",") != strings.Join(want[:len(got)], ",") {
		fail("the tokens are not a prefix of one script's: %s try %d streams %q", string(name[0]), try+1, want)
		return
	}
	m := sc.modes[p][try]
	switch {
	case stopped:
	case err == nil && (len(got) != len(want) || !m.cleanEnd()):
		fail("a nil error for a stream that was cut short or failed (mode %d)", m)
	case err == nil:
	case !m.cleanEnd() || len(got) < len(want):
		var ce *errs.CommittedError
		if !errors.As(err, &ce) || ce.Emitted != len(got) || ce.Provider != served.Provider {
			fail("want a CommittedError of %s counting %d tokens", served.Provider, len(got))
		}
	}
	// The model, beside the checks above (a committed try that cannot end
	// cleanly must fail): one that ends cleanly must succeed with every
	// token, unless its gaps are long enough for the idle timeout to end
	// it.
	s := sc.scripts[p][try]
	mayIdle := sc.idle && s.Gap > time.Second && len(s.Tokens) > 1
	if !stopped && m.cleanEnd() && !mayIdle && (err != nil || len(got) != len(want)) {
		fail("a clean stream (mode %d) must reach the caller whole, with no error", m)
	}
}
