package failover

import (
	"sync"
	"sync/atomic"
	"time"
)

// Report describes one call: which provider served it and every attempt it
// made. Get one with [WithReport]. Its methods are safe to call from any
// goroutine at any time; read it after the stream has ended (its token
// channel closed, or its iterator returned) for the whole story.
type Report struct {
	claimed  atomic.Bool
	mu       sync.Mutex
	served   string
	attempts []Attempt
	cooling  []string
}

// Attempt is one try of one provider within a call.
type Attempt struct {
	Provider   string        // the provider's name
	Number     int           // this provider's try within the call's phase (see Resume), from 1
	Start      time.Time     // when its Source was called
	FirstToken time.Duration // from Start to its first content token; 0 if none arrived
	Committed  bool          // whether its stream was the one the caller received
	Resume     int           // 0 for the call's first phase; k for the k-th continuation (see Resume)
	Err        error         // why it ended; nil for a clean end, context.Canceled (wrapped) when the caller cut it short
	// Inner is the report of the call this attempt made of a nested
	// group, when its provider is a group's Stream or All: that group's
	// attempts, and who served it. Nil for any other provider.
	Inner *Report
}

// Served returns the name of the provider whose stream committed, or "" if
// none did; for a call that resumed, the last one that committed.
func (r *Report) Served() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.served
}

// Path names the providers that served, from this group down through
// the groups nested in it, joined by "/": "backup-tier/good" when this
// group's provider "backup-tier" is a group whose provider "good"
// served. It is Served for a provider that is not a group, and "" if
// none served.
func (r *Report) Path() string {
	r.mu.Lock()
	path := r.served
	var inner *Report
	for i := len(r.attempts) - 1; i >= 0; i-- {
		if a := r.attempts[i]; a.Committed {
			inner = a.Inner
			break
		}
	}
	r.mu.Unlock()
	if inner != nil {
		if p := inner.Path(); p != "" {
			path += "/" + p
		}
	}
	return path
}

// nest links the report of a nested group's call to attempt i.
func (r *Report) nest(i int32, inner *Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[i].Inner = inner
}

// Cooling returns the providers that this call tried last, after every
// other, because they were cooling down (see [Cooldown]), in the order the
// call put them in. A call skips no provider for health: it only moves
// them last.
func (r *Report) Cooling() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.cooling...)
}

func (r *Report) coolingLast(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cooling = append(r.cooling, name)
}

// Attempts returns a copy of every attempt, in the order they started.
func (r *Report) Attempts() []Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Attempt(nil), r.attempts...)
}

func (r *Report) add(a Attempt) int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, a)
	return int32(len(r.attempts) - 1)
}

func (r *Report) firstToken(i int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[i].FirstToken = time.Since(r.attempts[i].Start)
}

func (r *Report) commit(i int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[i].Committed = true
	r.served = r.attempts[i].Provider
}

func (r *Report) end(i int32, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[i].Err = err
}
