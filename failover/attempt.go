package failover

import (
	"context"
	"time"

	"github.com/sourcegraph/conc/panics"
)

// attempt is one try of one provider: its own context, its channels, and
// what relay has learned of its outcome.
type attempt[Tok any] struct {
	name   string
	num    int
	ctx    context.Context
	cancel context.CancelCauseFunc
	out    <-chan Tok   // nil once closed or drained
	errc   <-chan error // nil once the outcome is known
	w      *watch       // nil without timeouts

	known   bool  // the outcome arrived on errc
	outcome error // the provider's error; nil for success
	seen    bool  // a first token arrived
	held    []Tok // tokens that are not content, before the commit

	start time.Time // set only with a report
	rep   int       // index in the report

	pc panics.Catcher // catches a panic in the Source call
}

// waiting and busy bracket each wait for the provider, for the idle watch.
func (a *attempt[Tok]) waiting() {
	if a.w != nil {
		a.w.seq.Add(1)
	}
}

func (a *attempt[Tok]) busy() {
	if a.w != nil {
		a.w.seq.Add(1)
	}
}

func (a *attempt[Tok]) setOutcome(err error, ok bool) {
	a.known = true
	a.errc = nil
	if ok {
		a.outcome = err
	}
}
