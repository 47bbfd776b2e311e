// Command report runs relay's benchmarks with their baselines and prints
// the ratios as markdown tables, with the goals each ratio is held to.
//
//	cd bench && go run ./cmd/report              # -count 10, about 18 minutes
//	cd bench && go run ./cmd/report -count 3 -raw out.txt
//	cd bench && go run ./cmd/report -readme README.md  # the tables of bench/README.md
//
// Every figure is the median over -count runs, and every ratio compares
// two benchmarks of the same run, so a noisy machine shifts both sides.
// The raw output (-raw) can be fed to benchstat.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	count := flag.Int("count", 10, "runs of each benchmark")
	benchtime := flag.String("benchtime", "", "go test -benchtime (default: go test's)")
	bench := flag.String("bench", ".", "go test -bench pattern")
	raw := flag.String("raw", "", "also write the raw benchmark output to this file")
	in := flag.String("in", "", "read raw benchmark output from this file instead of running")
	readme := flag.String("readme", "", "also write the tables, with how to make them again, to this file (bench/README.md)")
	oneCore := flag.Bool("onecore", true, "also run the per-token benchmarks with GOMAXPROCS=1")
	flag.Parse()

	var out []byte
	if *in != "" {
		var err error
		if out, err = os.ReadFile(*in); err != nil {
			fail(err)
		}
	} else {
		args := []string{"test", "-run", "^$", "-bench", *bench, "-benchmem", "-count", strconv.Itoa(*count)}
		if *benchtime != "" {
			args = append(args, "-benchtime", *benchtime)
		}
		var buf bytes.Buffer
		goTest(&buf, args)
		if *oneCore {
			// The per-token benchmarks again on one core: the pure cost,
			// without the cross-core wake-ups that make a two-goroutine
			// ping-pong noisy on a shared machine.
			one := []string{"test", "-run", "^$", "-bench", "^BenchmarkToken$", "-benchmem", "-cpu", "1", "-count", strconv.Itoa(*count)}
			if *benchtime != "" {
				one = append(one, "-benchtime", *benchtime)
			}
			goTest(&buf, one)
		}
		// The tail-latency simulation, in fake time: its rows go into the
		// raw output too.
		goTest(&buf, []string{"test", "-run", "^TestTailLatency$", "-v", "-count", "1"})
		out = buf.Bytes()
	}
	if *raw != "" {
		if err := os.WriteFile(*raw, out, 0o644); err != nil {
			fail(err)
		}
	}
	r := parse(out)
	r.print(os.Stdout)
	if *readme != "" {
		var b bytes.Buffer
		fmt.Fprint(&b, readmeHead)
		r.print(&b)
		if err := os.WriteFile(*readme, b.Bytes(), 0o644); err != nil {
			fail(err)
		}
	}
}

// readmeHead opens bench/README.md, above the tables.
const readmeHead = `# relay's benchmarks

relay sits on the path of every token, so its cost is measured beside the
physical limits and its peers, in the same run: a direct read of a
provider's channel, a minimal hand-written forwarder, a bare provider
call, and failsafe-go's retry and fallback. Every row below comes from
one run of the report on a shared 2-core machine; ratios compare
benchmarks of the same round (the median of the per-round ratios), so a
noisy machine shifts both sides. To make these tables again:

` + "```sh\ncd bench && go run ./cmd/report -readme README.md   # about 18 minutes\n```" + `

The raw output can be compared across runs with benchstat:
` + "`go run ./cmd/report -raw new.txt`" + `, then ` + "`benchstat old.txt new.txt`" + `.

`

func goTest(w io.Writer, args []string) {
	fmt.Fprintf(os.Stderr, "running go %s\n", strings.Join(args, " "))
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Stdout = io.MultiWriter(w, progress{})
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fail(fmt.Errorf("go test: %w", err))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}

// progress prints a dot per finished benchmark line, so a long run shows
// that it is alive.
type progress struct{}

func (progress) Write(p []byte) (int, error) {
	for range bytes.Count(p, []byte("\nBenchmark")) {
		fmt.Fprint(os.Stderr, ".")
	}
	return len(p), nil
}

// results holds every sample of every metric, by benchmark name.
type results struct {
	tail    [][]string // TestTailLatency's rows: distribution, config, p50, p99, p99.9, extra
	header  []string
	samples map[string]map[string][]float64 // by name@GOMAXPROCS
	procs   int                             // the main run's GOMAXPROCS: its first line's
}

// key names a benchmark of the main run; a name that already says
// "@procs" is kept.
func (r *results) key(name string) string {
	if strings.Contains(name, "@") {
		return name
	}
	return fmt.Sprintf("%s@%d", name, r.procs)
}

var procSuffix = regexp.MustCompile(`-(\d+)$`)

func parse(out []byte) *results {
	r := &results{samples: map[string]map[string][]float64{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		for _, key := range []string{"goos:", "goarch:", "cpu:"} {
			if strings.HasPrefix(line, key) && !slices.Contains(r.header, line) {
				r.header = append(r.header, line)
			}
		}
		if _, row, ok := strings.Cut(line, "TAIL|"); ok {
			if f := strings.Split(row, "|"); len(f) == 6 {
				r.tail = append(r.tail, f)
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		procs := 1
		if m := procSuffix.FindStringSubmatch(name); m != nil {
			procs, _ = strconv.Atoi(m[1])
			name = strings.TrimSuffix(name, m[0])
		}
		if r.procs == 0 {
			r.procs = procs // the main run comes first
		}
		name = fmt.Sprintf("%s@%d", name, procs)
		m := r.samples[name]
		if m == nil {
			m = map[string][]float64{}
			r.samples[name] = m
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				m[f[i+1]] = append(m[f[i+1]], v)
			}
		}
	}
	return r
}

// get returns the median of a metric, or -1 if it was not measured.
func (r *results) get(name, unit string) float64 {
	return median(r.samples[r.key(name)][unit])
}

// ratio is the median of the per-run ratios name/base: go test -count runs
// every benchmark of a function once per round, so the i-th samples of two
// benchmarks were measured close together, under the same load. Pairing
// them cancels most of the drift of a shared machine.
func (r *results) ratio(name, base string) float64 {
	a, b := r.samples[r.key(name)]["ns/op"], r.samples[r.key(base)]["ns/op"]
	n := min(len(a), len(b))
	if n == 0 {
		return -1
	}
	ratios := make([]float64, 0, n)
	for i := range n {
		if b[i] > 0 {
			ratios = append(ratios, a[i]/b[i])
		}
	}
	return median(ratios)
}

func median(s []float64) float64 {
	if len(s) == 0 {
		return -1
	}
	s = slices.Clone(s)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRatio(x float64) string {
	if x < 0 {
		return "—"
	}
	return fmt.Sprintf("%.2fx", x)
}

func fmtNum(x float64, unit string) string {
	if x < 0 {
		return "—"
	}
	if unit != "" {
		unit = " " + unit
	}
	if x >= 100 {
		return fmt.Sprintf("%.0f%s", x, unit)
	}
	return fmt.Sprintf("%.1f%s", x, unit)
}

// verdict says whether a measured value meets a goal of at most max.
func verdict(x, max float64) string {
	switch {
	case x < 0:
		return "not measured"
	case x <= max:
		return "met"
	default:
		return "**missed**"
	}
}

func (r *results) print(w io.Writer) {
	fmt.Fprintf(w, "Measured on %s, GOMAXPROCS=%d, %s. Times are medians of each benchmark's runs; ratios are medians of the ratios of runs made in the same round.\n\n",
		strings.Join(r.header, ", "), r.procs, runtime.Version())

	fmt.Fprintln(w, "**Per token, after the commit**, under a cancelable caller context")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| path | ns/token | ratio | ratio on 1 core | against | allocs/token | goal |\n")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	tok := func(label, name, base, goal string, max float64) {
		ratio := r.ratio("Token/"+name, "Token/"+base)
		one := r.ratio("Token/"+name+"@1", "Token/"+base+"@1")
		if r.procs == 1 {
			one = -1
		}
		g := goal
		if max > 0 {
			g = fmt.Sprintf("%s: %s", goal, verdict(ratio, max))
		}
		against := base
		if name == base {
			against = "itself"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", label, fmtNum(r.get("Token/"+name, "ns/op"), "ns"),
			fmtRatio(ratio), fmtRatio(one), against, fmtNum(r.get("Token/"+name, "allocs/op"), ""), g)
	}
	tok("direct read, plain receive (one hop)", "direct-plain", "direct-robust", "", 0)
	tok("direct read, receive watching ctx", "direct-robust", "direct-robust", "baseline of the pull form", 0)
	tok("direct read, receive watching ctx, as an `iter.Seq2`", "direct-robust-iter", "direct-robust", "", 0)
	tok("relay pull form (`Group.All`)", "relay-all", "direct-robust", "≤ 1.05x", 1.05)
	tok("relay pull form, first-token and idle timeouts", "relay-all-timeouts", "direct-robust", "", 0)
	tok("forwarder, plain receive, send watching ctx (two hops)", "forwarder-plain", "forwarder-robust", "", 0)
	tok("forwarder, receive and send watching ctx", "forwarder-robust", "forwarder-robust", "baseline of the channel form", 0)
	tok("relay channel form (`Group.Stream`)", "relay-stream", "forwarder-robust", "≤ 1.05x", 1.05)
	tok("relay channel form, first-token and idle timeouts", "relay-stream-timeouts", "forwarder-robust", "", 0)
	tok("`stream.Batch` of 16, one token's share", "batch=16", "forwarder-robust", "", 0)
	fmt.Fprintln(w)

	fmt.Fprintln(w, "**Per call that streams one token**, under `context.Background()` and under a cancelable caller context (\"cancel\"), as a server's request has")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| call | ctx | ns/call | ratio | against | allocs | allocs beyond the provider's | goal |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, c := range []struct{ prefix, label string }{{"", "background"}, {"cancel/", "cancel"}} {
		p := "Call/" + c.prefix
		bareAllocs := r.get(p+"bare", "allocs/op")
		call := func(label, name, base, goal string, max float64, baseAllocs float64) {
			ratio := r.ratio(p+name, p+base)
			allocs := r.get(p+name, "allocs/op")
			extra := "—"
			if allocs >= 0 && baseAllocs >= 0 {
				extra = fmt.Sprintf("%.0f", allocs-baseAllocs)
			}
			g := goal
			if max > 0 {
				g = fmt.Sprintf("%s: %s", goal, verdict(ratio, max))
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", label, c.label, fmtNum(r.get(p+name, "ns/op"), "ns"),
				fmtRatio(ratio), base, fmtNum(allocs, ""), extra, g)
		}
		call("bare provider call (goroutine, two channels, one token)", "bare", "bare", "baseline", 0, bareAllocs)
		call("relay channel form, one provider", "relay-stream", "bare", "≤ 8 allocs beyond", 0, bareAllocs)
		call("relay pull form, one provider", "relay-all", "bare", "", 0, bareAllocs)
		call("relay channel form, eight providers, the first serves", "relay-stream-8", "bare", "", 0, bareAllocs)
		call("the same with `Cooldown` (health kept in process; no provider deferred)", "relay-stream-8-cooldown", "relay-stream-8", "≤ 1.05x", 1.05, r.get(p+"relay-stream-8", "allocs/op"))
		call("the same with `LeastBusy`", "relay-stream-8-leastbusy", "relay-stream-8", "≤ 1.05x", 1.05, r.get(p+"relay-stream-8", "allocs/op"))
		call("the same with `MaxConcurrent` on every provider", "relay-stream-8-maxconcurrent", "relay-stream-8", "≤ 1.05x", 1.05, r.get(p+"relay-stream-8", "allocs/op"))
		failAllocs := r.get(p+"bare-failover-once", "allocs/op")
		call("by hand: a provider that fails at once, then the bare call", "bare-failover-once", "bare", "", 0, failAllocs)
		call("relay channel form, failing over once", "relay-stream-failover-once", "bare-failover-once", "", 0, failAllocs)
		call("relay pull form, failing over once", "relay-all-failover-once", "bare-failover-once", "", 0, failAllocs)
		call("failsafe-go retry + fallback, plain function", "failsafe-func", "bare", "", 0, -1)
		call("failsafe-go retry + fallback, around the bare call", "failsafe-bare", "bare", "", 0, bareAllocs)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "**Floors under a call** (what any wrapper of its shape costs)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| call | ctx | ns/call | ratio to bare | relay's ratio to this floor | goal |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, c := range []struct{ prefix, label string }{{"", "background"}, {"cancel/", "cancel"}} {
		p := "CallFloor/" + c.prefix
		floor := func(label, name, relay, goal string, max float64) {
			rel := "—"
			g := goal
			if relay != "" {
				ratio := r.ratio(p+relay, p+name)
				rel = fmtRatio(ratio) + " (" + relay + ")"
				if max > 0 {
					g = fmt.Sprintf("%s: %s", goal, verdict(ratio, max))
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", label, c.label, fmtNum(r.get(p+name, "ns/op"), "ns"),
				fmtRatio(r.ratio(p+name, p+"bare")), rel, g)
		}
		var allGoal, streamGoal string
		var allMax, streamMax float64
		if c.prefix != "" {
			allGoal, allMax, streamGoal, streamMax = "≤ 1.2x", 1.2, "≤ 1.2x", 1.2
		}
		floor("bare provider call", "bare", "", "", 0)
		floor("bare call under its own cancelable context, plain receives", "bare-ctx", "relay-all", "", 0)
		floor("the same, each receive watching the context (the pull form's floor)", "bare-ctx-robust", "relay-all", allGoal, allMax)
		floor("hand-written forwarding goroutine", "wrapped", "", "", 0)
		floor("hand-written forwarding goroutine with a per-attempt context (the channel form's floor)", "wrapped-ctx", "relay-stream", streamGoal, streamMax)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "**Scaling** (ns/token with N streams at once, each read by its own goroutine)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| streams | direct, robust | relay pull | ratio | forwarder, robust | relay channel | ratio |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, n := range []int{1, 100, 10000} {
		p := fmt.Sprintf("Scale/streams=%d/", n)
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s |\n", n,
			fmtNum(r.get(p+"direct-robust", "ns/op"), "ns"), fmtNum(r.get(p+"relay-all", "ns/op"), "ns"),
			fmtRatio(r.ratio(p+"relay-all", p+"direct-robust")),
			fmtNum(r.get(p+"forwarder-robust", "ns/op"), "ns"), fmtNum(r.get(p+"relay-stream", "ns/op"), "ns"),
			fmtRatio(r.ratio(p+"relay-stream", p+"forwarder-robust")))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "**Memory per idle in-flight stream** (10,000 streams open, each past its first token)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| form | bytes per stream | beyond the provider's own | goal |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	mem := func(label, name string, max float64) {
		extra := r.get("Memory/"+name, "extra-B/stream")
		g := "—"
		if max > 0 {
			g = fmt.Sprintf("≤ %.0f B: %s", max, verdict(extra, max))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", label, fmtNum(r.get("Memory/"+name, "B/stream"), "B"), fmtNum(extra, "B"), g)
	}
	mem("channel form", "relay-stream", 6144)
	mem("channel form, with timeouts", "relay-stream-timeouts", 6144)
	mem("pull form", "relay-all", 1024)
	mem("pull form, with timeouts", "relay-all-timeouts", 1024)
	fmt.Fprintln(w)

	r.printTail(w)

	fmt.Fprintln(w, "**Health across calls** (a call that streams one token through eight providers, the first of which serves)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| health | ns/call | ratio to no health | allocs |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, h := range []struct{ name, label string }{
		{"none", "none"},
		{"in-process", "`Cooldown`, in process"},
		{"redis", "`Cooldown`, shared through redis-server on loopback (`redishealth`)"},
		{"redis-cached", "the same with `CacheFor: 1s`"},
	} {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", h.label, fmtNum(r.get("Health/"+h.name, "ns/op"), "ns"),
			fmtRatio(r.ratio("Health/"+h.name, "Health/none")), fmtNum(r.get("Health/"+h.name, "allocs/op"), ""))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "**Observers and OpenTelemetry** (a call that streams one token, under a cancelable caller context)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| observer | ns/call | ratio to none | allocs | goal |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	for _, o := range []struct{ name, label, goal string }{
		{"none", "none", ""},
		{"observe", "an `Observe` that does nothing", ""},
		{"noop", "`relayotel` on OpenTelemetry's no-op providers", "≤ 1.05x"},
		{"sdk", "`relayotel` on the SDK, recording every span and measurement", ""},
	} {
		ratio := r.ratio("Otel/cancel/"+o.name, "Otel/cancel/none")
		g := o.goal
		if g != "" {
			g += ": " + verdict(ratio, 1.05)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", o.label, fmtNum(r.get("Otel/cancel/"+o.name, "ns/op"), "ns"),
			fmtRatio(ratio), fmtNum(r.get("Otel/cancel/"+o.name, "allocs/op"), ""), g)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "**Load over loopback HTTP** (n streams open at once through one group of three SSE servers over HTTP/2 without TLS, about 17% of answers faulty: 503 with Retry-After, resets before and after the first event, malformed events; every stream checked for mixed, duplicated or lost tokens)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| streams | tokens/s | memory per open stream (client and server) | p99 time to first token |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, n := range []int{1000, 10000} {
		p := fmt.Sprintf("Load/streams=%d", n)
		fmt.Fprintf(w, "| %d | %s | %s | %s |\n", n, fmtNum(r.get(p, "tokens/s"), ""), fmtNum(r.get(p, "B/stream"), "B"), fmtNum(r.get(p, "p99-ttft-ms"), "ms"))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "**Stream stages** (per token, each on its own goroutine)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| stage | ns/token | ratio to the robust forwarder | allocs/token |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	fwd := r.get("Token/forwarder-robust", "ns/op")
	for _, s := range []string{"generate", "map", "filter", "tee"} {
		// The stages run in another benchmark function, so their ratio is
		// of medians, not of paired runs.
		ns := r.get("Stage/"+s, "ns/op")
		ratio := -1.0
		if ns >= 0 && fwd > 0 {
			ratio = ns / fwd
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", s, fmtNum(ns, "ns"), fmtRatio(ratio), fmtNum(r.get("Stage/"+s, "allocs/op"), ""))
	}
}

// printTail prints the tail-latency table: each configuration's time to
// first token and extra attempts, and its p99 and p99.9 cut against the
// same distribution without hedging.
func (r *results) printTail(w io.Writer) {
	fmt.Fprintln(w, "**Tail latency with hedging** (10,000 calls in fake time, three providers, each attempt drawing its time to first token; `go test -run TestTailLatency -v`)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| distribution | hedging | p50 | p99 | p99.9 | p99 cut | p99.9 cut | extra attempts |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- |")
	base := map[string][]string{}
	for _, row := range r.tail {
		if row[1] == "no hedging" {
			base[row[0]] = row
		}
		cut := func(i int) string {
			b, ok := base[row[0]]
			x, err1 := time.ParseDuration(row[i])
			y, err2 := time.ParseDuration(b[min(i, len(b)-1)])
			if !ok || err1 != nil || err2 != nil || x <= 0 {
				return "—"
			}
			return fmt.Sprintf("%.1fx", float64(y)/float64(x))
		}
		extra, _ := strconv.ParseFloat(row[5], 64)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %.1f%% |\n", row[0], row[1],
			roundDur(row[2]), roundDur(row[3]), roundDur(row[4]), cut(3), cut(4), extra*100)
	}
	fmt.Fprintln(w)
}

// roundDur prints a duration to three significant digits.
func roundDur(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	for _, unit := range []time.Duration{time.Second, time.Millisecond, time.Microsecond} {
		if d >= unit {
			return fmt.Sprintf("%.3g%s", float64(d)/float64(unit), map[time.Duration]string{time.Second: "s", time.Millisecond: "ms", time.Microsecond: "µs"}[unit])
		}
	}
	return d.String()
}
