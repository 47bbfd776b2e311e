package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const sample = `goos: linux
goarch: amd64
cpu: Test CPU
BenchmarkToken/direct-robust-2   1000   300.0 ns/op   0 B/op   0 allocs/op
BenchmarkToken/direct-robust-2   1000   200.0 ns/op   0 B/op   0 allocs/op
BenchmarkToken/direct-robust-2   1000   100.0 ns/op   0 B/op   0 allocs/op
BenchmarkToken/relay-all-2       1000   330.0 ns/op   0 B/op   0 allocs/op
BenchmarkToken/relay-all-2       1000   220.0 ns/op   0 B/op   0 allocs/op
BenchmarkToken/relay-all-2       1000   100.0 ns/op   0 B/op   0 allocs/op
BenchmarkMemory/relay-all-2      1   0 ns/op   9000 B/stream   180.0 extra-B/stream
BenchmarkCallFloor/cancel/bare-2            1000   500.0 ns/op
BenchmarkCallFloor/cancel/wrapped-ctx-2     1000   2000 ns/op
BenchmarkCallFloor/cancel/relay-stream-2    1000   2300 ns/op
BenchmarkCallFloor/cancel/bare-ctx-2        1000   800.0 ns/op
BenchmarkCallFloor/cancel/bare-ctx-robust-2 1000   960.0 ns/op
BenchmarkCallFloor/cancel/relay-all-2       1000   1200 ns/op
    tail_test.go:181: TAIL|mixture|no hedging|20ms|1.3s|1.9s|0.0000
    tail_test.go:186: TAIL|mixture|Hedge(35ms)|20ms|65ms|900ms|0.0590
BenchmarkToken/direct-robust      1000   100.0 ns/op   0 B/op   0 allocs/op
BenchmarkToken/relay-all         1000   102.0 ns/op   0 B/op   0 allocs/op
PASS
`

func TestParseTakesMediansAndDropsTheProcSuffix(t *testing.T) {
	r := parse([]byte(sample))
	if got := r.get("Token/direct-robust", "ns/op"); got != 200 {
		t.Errorf("median of 300, 200, 100 = %v, want 200", got)
	}
	if got := r.get("Token/relay-all", "ns/op"); got != 220 {
		t.Errorf("median of 330, 220, 100 = %v, want 220", got)
	}
	// Paired by round: 330/300, 220/200, 100/100.
	if got := r.ratio("Token/relay-all", "Token/direct-robust"); got != 1.1 {
		t.Errorf("median of the paired ratios = %v, want 1.1", got)
	}
	if got := r.get("Memory/relay-all", "extra-B/stream"); got != 180 {
		t.Errorf("custom metric = %v, want 180", got)
	}
	if got := r.get("Token/missing", "ns/op"); got != -1 {
		t.Errorf("a missing benchmark = %v, want -1", got)
	}
}

func TestPrintJudgesTheGoals(t *testing.T) {
	var b strings.Builder
	parse([]byte(sample)).print(&b)
	out := b.String()
	for _, want := range []string{
		"cpu: Test CPU",
		"| relay pull form (`Group.All`) | 220 ns | 1.10x | 1.02x | direct-robust | 0.0 | ≤ 1.05x: **missed** |",
		"| pull form | 9000 B | 180 B | ≤ 1024 B: met |",
		"| mixture | Hedge(35ms) | 20ms | 65ms | 900ms | 20.0x | 2.1x | 5.9% |",
		"| hand-written forwarding goroutine with a per-attempt context (the channel form's floor) | cancel | 2000 ns | 4.00x | 1.15x (relay-stream) | ≤ 1.2x: met |",
		"| bare call under its own cancelable context, plain receives | cancel | 800 ns | 1.60x | 1.50x (relay-all) |  |",
		"| the same, each receive watching the context (the pull form's floor) | cancel | 960 ns | 1.92x | 1.25x (relay-all) | ≤ 1.2x: **missed** |",
		"| relay channel form (`Group.Stream`) | — | — | — | forwarder-robust | — | ≤ 1.05x: not measured |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q; it is:\n%s", want, out)
		}
	}
}
