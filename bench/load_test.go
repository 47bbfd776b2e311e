package bench

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relay-go/relay/errs"
	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/internal/sseserver"
)

const loadTokens = 20 // tokens per answer

// loadAnswer is server name's answer to request req: tokens that name
// both, so that a mixed, duplicated or lost token shows.
func loadAnswer(name string) func(req string) []string {
	return func(req string) []string {
		out := make([]string, loadTokens)
		for i := range out {
			out[i] = fmt.Sprintf("%s/%s/%d", name, req, i)
		}
		return out
	}
}

// loadFault draws, from the request and the server, how the server
// answers: most serve, some answer 503 with Retry-After, reset the
// connection before or after their first event, or send a malformed one.
func loadFault(name string, hold <-chan struct{}) func(int, string) sseserver.Fault {
	return func(_ int, req string) sseserver.Fault {
		h := fnv.New32a()
		h.Write([]byte(name + req))
		f := sseserver.Fault{Hold: hold}
		switch x := h.Sum32() % 100; {
		case x < 8:
			f.Kind, f.Status, f.RetryAfter = sseserver.HTTPError, 503, "1"
		case x < 12:
			f.Kind = sseserver.Reset
		case x < 15:
			f.Kind, f.After = sseserver.Reset, 5
		case x < 17:
			f.Kind, f.After = sseserver.Malformed, 3
		}
		return f
	}
}

// BenchmarkLoad holds n streams open at once through one group over three
// loopback SSE servers (HTTP/2 without TLS, so that n connections are not
// n file descriptors) whose faults are drawn at random, and reports the
// tokens per second, the memory per open stream (client and server sides,
// both in this process) and the p99 time to first token. It fails if a
// single stream was mixed, duplicated or lost. Each iteration is one round
// of n streams; -short runs 1,000 streams only.
func BenchmarkLoad(b *testing.B) {
	sizes := []int{1000, 10_000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		b.Run("streams="+strconv.Itoa(n), func(b *testing.B) { load(b, n) })
	}
}

func load(b *testing.B, n int) {
	b.ReportAllocs()
	var servers []*sseserver.Server
	var ps []failover.Provider[string, string]
	tr := sseserver.H2C()
	client := &http.Client{Transport: tr}
	var hold chan struct{}
	var holdMu sync.Mutex
	current := func() <-chan struct{} {
		holdMu.Lock()
		defer holdMu.Unlock()
		return hold
	}
	for _, name := range []string{"a", "b", "c"} {
		s := sseserver.StartH2C(loadAnswer(name), func(call int, req string) sseserver.Fault {
			return loadFault(name, current())(call, req)
		})
		servers = append(servers, s)
		ps = append(ps, failover.Provider[string, string]{Name: name, Source: s.Source(client)})
	}
	defer func() {
		tr.CloseIdleConnections()
		for _, s := range servers {
			s.Close()
		}
	}()
	g := failover.New(ps, failover.FirstTokenTimeout(5*time.Second), failover.IdleTimeout(5*time.Second))

	var tokens, bytesPerStream, p99, failed float64
	rounds := 0
	for b.Loop() {
		holdMu.Lock()
		hold = make(chan struct{})
		holdMu.Unlock()
		ttft := make([]time.Duration, n)
		var firsts sync.WaitGroup
		firsts.Add(n)
		var done sync.WaitGroup
		var mu sync.Mutex
		bad := map[string]int{}
		got, unserved := 0, 0
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		for i := range n {
			done.Go(func() {
				req := fmt.Sprintf("r%d", i)
				var toks []string
				first := true
				var err error
				for tok, e := range g.All(b.Context(), req) {
					if e != nil {
						err = e
						break
					}
					if first {
						ttft[i], first = time.Since(start), false
						firsts.Done()
					}
					toks = append(toks, tok)
				}
				if first {
					firsts.Done()
				}
				problem := check(req, toks, err)
				mu.Lock()
				got += len(toks)
				if len(toks) == 0 {
					unserved++
				}
				if problem != "" {
					bad[problem]++
				}
				mu.Unlock()
			})
		}
		firsts.Wait() // every stream has its first token, or has failed
		var during runtime.MemStats
		runtime.ReadMemStats(&during)
		holdMu.Lock()
		close(hold)
		holdMu.Unlock()
		done.Wait()
		elapsed := time.Since(start)
		if len(bad) > 0 {
			b.Fatalf("%d streams: %v", n, bad)
		}
		rounds++
		failed += float64(unserved)
		tokens += float64(got) / elapsed.Seconds()
		bytesPerStream += float64(int64(during.HeapInuse+during.StackInuse)-int64(before.HeapInuse+before.StackInuse)) / float64(n)
		slices.Sort(ttft)
		p99 += float64(ttft[n*99/100]) / float64(time.Millisecond)
	}
	b.ReportMetric(tokens/float64(rounds), "tokens/s")
	b.ReportMetric(bytesPerStream/float64(rounds), "B/stream")
	b.ReportMetric(p99/float64(rounds), "p99-ttft-ms")
	b.ReportMetric(failed/float64(rounds), "unserved/op")
}

// check says what is wrong with one stream's tokens, or "".
func check(req string, toks []string, err error) string {
	if len(toks) == 0 {
		if err == nil {
			return "no token and no error"
		}
		return "" // every server failed this request: allowed, counted as unserved
	}
	server := strings.SplitN(toks[0], "/", 2)[0]
	for i, tok := range toks {
		if tok != fmt.Sprintf("%s/%s/%d", server, req, i) {
			return "mixed or duplicated"
		}
	}
	var ce *errs.CommittedError
	switch {
	case err == nil && len(toks) != loadTokens:
		return "lost: cut short without an error"
	case err != nil && !(errors.As(err, &ce) && ce.Emitted == len(toks)):
		return "an error that does not count what was delivered"
	}
	return ""
}
