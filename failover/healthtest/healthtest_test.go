package healthtest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/healthtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTheInProcessHealthPasses(t *testing.T) {
	healthtest.Check(t, func(*testing.T) failover.Health { return failover.NewHealth() })
}

// forgetful is a Health that drops Retry-After hints and gives every
// caller the probe: two promises broken.
type forgetful struct{ failover.Health }

func (forgetful) Defer(context.Context, string, time.Time) {}

func (f forgetful) Check(ctx context.Context, p failover.Policy, names []string, now time.Time, into []failover.Status) {
	f.Health.Check(ctx, p, names, now, into)
	for i := range into {
		if into[i].Cooling && !into[i].Probe {
			into[i].Cooling, into[i].Probe = false, true
		}
	}
}

// TestTheKitCatchesABrokenHealth runs the kit on a broken Health in a
// child process, where its failures cannot fail this test, and checks
// that it names each broken promise.
func TestTheKitCatchesABrokenHealth(t *testing.T) {
	if os.Getenv("HEALTHTEST_BROKEN") == "1" {
		healthtest.Check(t, func(*testing.T) failover.Health { return forgetful{failover.NewHealth()} })
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTheKitCatchesABrokenHealth$", "-test.v")
	cmd.Env = append(os.Environ(), "HEALTHTEST_BROKEN=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the kit passed a Health that drops hints and hands out many probes:\n%s", out)
	}
	for _, promise := range []string{
		"--- FAIL: TestTheKitCatchesABrokenHealth/a_Retry-After_hint_holds_for_every_caller_and_expires",
		"--- FAIL: TestTheKitCatchesABrokenHealth/exactly_one_probe_runs_among_concurrent_callers",
		"--- PASS: TestTheKitCatchesABrokenHealth/neutral_outcomes_do_not_count",
	} {
		if !strings.Contains(string(out), promise) {
			t.Errorf("the kit's output lacks %q:\n%s", promise, out)
		}
	}
}
