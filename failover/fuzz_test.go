package failover_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/stream/streamtest"
)

// FuzzInvariants decodes its input into a scenario (a script per try of
// up to three providers, the group's options with hedging, health,
// resume and CommitAfter drawn together, how many concurrent calls share
// the group, and how each caller reads) and checks, in fake time, what
// must hold for any of them:
//
//   - each caller gets, in order, a prefix of one committed attempt's
//     tokens, then (after a resume) of the next committed attempt's, with
//     no duplicate and nothing of an attempt that did not commit (not even
//     a token that is not content);
//   - a nil error only when the last of them streamed all its tokens and
//     ended cleanly; an error whenever the model says the call cannot
//     succeed;
//   - an error's shape fits: a FailoverError naming every attempt when
//     nothing was received, a CommittedError counting what was;
//   - every attempt that did not end cleanly has a cause, in the report,
//     the FailoverError and the AttemptFailed events;
//   - a hedge never starts a provider that its call found cooling down;
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

// fuzzProvider plays one provider's scripts, one per Source call (the
// last repeats), with every token marked by the serial number of the
// Source call that sent it, so that the tokens of two attempts never
// look alike. It records, per request, which attempts its Source served.
type fuzzProvider struct {
	p       int
	scripts []script
	serial  *atomic.Int32
	mu      sync.Mutex
	calls   int
	fakes   []*streamtest.Provider[string, string]
	infos   map[string][]failover.AttemptInfo
}

func (fp *fuzzProvider) Source(ctx context.Context, req string) (<-chan string, <-chan error) {
	n := fp.serial.Add(1)
	fp.mu.Lock()
	s := fp.scripts[min(fp.calls, len(fp.scripts)-1)]
	fp.calls++
	s.Tokens = slices.Clone(s.Tokens)
	for i := range s.Tokens {
		s.Tokens[i] += fmt.Sprintf("@%d", n)
	}
	f := streamtest.New[string](s)
	fp.fakes = append(fp.fakes, f)
	if info, ok := failover.AttemptOf(ctx); ok {
		fp.infos[req] = append(fp.infos[req], info)
	}
	fp.mu.Unlock()
	return f.Source(ctx, req)
}

func (fp *fuzzProvider) wait() {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	for _, f := range fp.fakes {
		f.Wait()
	}
}

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
	calls       int  // concurrent calls sharing the group
	resume      bool // Resume is on
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
	// Drawn last, so that inputs from before they were drawn keep their
	// meaning: one call, no health, no resume.
	sc.calls = 1 + in.next()%3
	if in.next()%2 == 1 {
		sc.opts = append(sc.opts, failover.Cooldown(1, 2*time.Second))
	}
	if in.next()%2 == 1 {
		sc.resume = true
		sc.opts = append(sc.opts, failover.Resume(func(req string, _ []string) (string, error) { return req + "+", nil }), failover.MaxResumes(1+in.next()%2))
	}
	fmt.Fprintf(&d, "| opts %d commitAfter %d pull %v stop %d slow %v calls %d resume %v", len(sc.opts), sc.commitAfter, sc.pull, sc.stopAt, sc.slow, sc.calls, sc.resume)
	sc.desc = d.String()
	return sc
}

// cleanEnd reports whether a try that commits can end its stream cleanly.
func (m mode) cleanEnd() bool { return m == clean || m == outcomeFirst }

func (sc scenario) check(t *testing.T) {
	serial := new(atomic.Int32)
	var fps []*fuzzProvider
	var ps []failover.Provider[string, string]
	for p, ss := range sc.scripts {
		fp := &fuzzProvider{p: p, scripts: ss, serial: serial, infos: map[string][]failover.AttemptInfo{}}
		fps = append(fps, fp)
		ps = append(ps, failover.Provider[string, string]{Name: string(rune('a' + p)), Source: fp.Source})
	}
	var mu sync.Mutex
	var nilCauses int
	opts := append(slices.Clip(sc.opts), failover.Observe(func(e failover.Event) {
		if e.Kind == failover.AttemptFailed && e.Err == nil {
			mu.Lock()
			nilCauses++
			mu.Unlock()
		}
	}))
	g := failover.New(ps, opts...)
	results := make([]result, sc.calls)
	var wg sync.WaitGroup
	for k := range results {
		wg.Go(func() { results[k] = sc.call(t, g, fmt.Sprintf("req%d", k)) })
	}
	wg.Wait()
	// The streams are over: the reports are whole once the calls'
	// goroutines have ended their attempts.
	synctest.Wait()
	for _, fp := range fps {
		fp.wait()
	}
	for _, res := range results {
		sc.verify(t, fps, res)
	}
	if nilCauses > 0 {
		t.Errorf("%d AttemptFailed events without a cause\n  scenario: %s", nilCauses, sc.desc)
	}
}

// run is one run of tokens of the same Source call in what a caller got.
type tokenRun struct {
	p, try int // the script: provider and try
	serial string
	toks   []string
}

// runs splits what a caller got into runs of one Source call's tokens,
// or reports a token that breaks a run apart.
func runs(got []string) ([]tokenRun, bool) {
	var out []tokenRun
	seen := map[string]bool{}
	for _, tok := range got {
		name, serial, _ := strings.Cut(strings.TrimPrefix(tok, "#"), "@")
		if len(out) == 0 || out[len(out)-1].serial != serial {
			if seen[serial] {
				return nil, false // a Source call's tokens came back after another's
			}
			seen[serial] = true
			out = append(out, tokenRun{p: int(name[0] - 'a'), try: int(name[1] - '0'), serial: serial})
		}
		out[len(out)-1].toks = append(out[len(out)-1].toks, tok)
	}
	return out, true
}

// result is what one caller got.
type result struct {
	req     string
	got     []string
	err     error
	stopped bool
	rep     *failover.Report
}

// call makes one call with req, reading as the scenario says.
func (sc scenario) call(t *testing.T, g *failover.Group[string, string], req string) result {
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
		for tok, e := range g.All(ctx, req) {
			if !read(tok, e) {
				break
			}
		}
	} else {
		sctx, stop := context.WithCancel(ctx)
		out, errc := g.Stream(sctx, req)
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
	return result{req: req, got: got, err: err, stopped: stopped, rep: rep}
}

// verify checks what one caller got.
func (sc scenario) verify(t *testing.T, fps []*fuzzProvider, res result) {
	req, got, err, stopped, rep := res.req, res.got, res.err, res.stopped, res.rep
	attempts := rep.Attempts()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: %s\n  scenario: %s\n  got %q, %v\n  attempts %+v", req, fmt.Sprintf(format, args...), sc.desc, got, err, attempts)
	}

	// Causes: only a committed attempt ends without one.
	for _, a := range attempts {
		if a.Err == nil && !a.Committed {
			fail("attempt %s#%d (phase %d) ended without a cause and without a commit", a.Provider, a.Number, a.Resume)
		}
	}
	var fe *errs.FailoverError
	if errors.As(err, &fe) {
		for _, ae := range fe.Attempts {
			if ae.Err == nil {
				fail("the FailoverError lists %s#%d without a cause", ae.Provider, ae.Attempt)
			}
		}
	}
	// The probe rule: a hedge never starts a provider the call found
	// cooling (a probe the call holds is not cooling).
	cooling := rep.Cooling()
	for _, fp := range fps {
		fp.mu.Lock()
		infos := slices.Clone(fp.infos[req])
		fp.mu.Unlock()
		for _, info := range infos {
			if info.Hedge && slices.Contains(cooling, info.Provider) {
				fail("a hedge started %s, which the call found cooling down", info.Provider)
			}
		}
	}

	// The tokens: runs of committed attempts, in the order they committed.
	var committed []failover.Attempt
	for _, a := range attempts {
		if a.Committed {
			committed = append(committed, a)
		}
	}
	if len(committed) > 1 && !sc.resume {
		fail("%d attempts committed without Resume", len(committed))
		return
	}
	rs, ok := runs(got)
	if !ok {
		fail("the tokens of one Source call are split by another's")
		return
	}
	if len(rs) > 0 && len(committed) == 0 {
		fail("tokens arrived but no attempt committed")
		return
	}
	if len(committed) == 0 {
		if !stopped && (fe == nil || len(fe.Attempts) != len(attempts)) {
			fail("nothing committed: want a FailoverError naming each of the %d attempts", len(attempts))
		}
		return
	}
	k := 0 // the committed attempt the next run must come from
	for _, run := range rs {
		for k < len(committed) && committed[k].Provider != string(rune('a'+run.p)) {
			k++
		}
		if k == len(committed) {
			fail("a run of %s's tokens does not match the committed attempts in order", string(rune('a'+run.p)))
			return
		}
		k++
		want := sc.scripts[run.p][run.try].Tokens
		if len(run.toks) > len(want) {
			fail("%s try %d sent more than its script", string(rune('a'+run.p)), run.try+1)
			return
		}
		for i, tok := range run.toks {
			if tok != want[i]+"@"+run.serial {
				fail("the tokens are not a prefix of one script's: %s try %d streams %q", string(rune('a'+run.p)), run.try+1, want)
				return
			}
		}
	}
	if len(rs) == 0 {
		return // committed, but the caller took nothing
	}
	last := rs[len(rs)-1]
	want := sc.scripts[last.p][last.try].Tokens
	m := sc.modes[last.p][last.try]
	whole := len(last.toks) == len(want)
	switch {
	case stopped:
	case err == nil && (!whole || !m.cleanEnd()):
		fail("a nil error for a stream that was cut short or failed (mode %d)", m)
	case err == nil:
	case !sc.resume && (!m.cleanEnd() || !whole):
		var ce *errs.CommittedError
		if !errors.As(err, &ce) || ce.Emitted != len(got) || ce.Provider != committed[0].Provider {
			fail("want a CommittedError of %s counting %d tokens", committed[0].Provider, len(got))
		}
	}
	// The model, beside the checks above (a committed try that cannot end
	// cleanly must fail): one that ends cleanly must succeed with every
	// token, unless its gaps are long enough for the idle timeout to end
	// it, or the caller's deadline came first. Only the last stream of a
	// resumed call is held to it.
	s := sc.scripts[last.p][last.try]
	mayIdle := sc.idle && s.Gap > time.Second && len(s.Tokens) > 1
	late := errors.Is(err, context.DeadlineExceeded)
	if !stopped && m.cleanEnd() && !mayIdle && !late && committed[len(committed)-1].Provider == string(rune('a'+last.p)) && (err != nil || !whole) {
		fail("a clean stream (mode %d) must reach the caller whole, with no error", m)
	}
}
