package redishealth_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/relay-go/relay/internal/redistest"
	"go.uber.org/goleak"
)

var srv *redistest.Server

func TestMain(m *testing.M) {
	if os.Getenv("REDISHEALTH_CHILD") != "" {
		os.Exit(child())
	}
	var err error
	srv, err = redistest.Start()
	var code int
	switch {
	case errors.Is(err, exec.ErrNotFound):
		fmt.Fprintf(os.Stderr, "redishealth: %v; the tests that need one are skipped\n", err)
		srv = nil
		code = m.Run()
	case err != nil:
		fmt.Fprintln(os.Stderr, "redishealth:", err)
		os.Exit(1)
	default:
		code = func() int {
			defer srv.Stop()
			return m.Run()
		}()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// needRedis skips a test that needs a redis-server when none was found.
func needRedis(t *testing.T) {
	t.Helper()
	if srv == nil {
		t.Skip("no redis-server in PATH: install Debian's redis-server package (.ci/run does)")
	}
}

// client returns a new client of the test server, closed with the test.
func client(t *testing.T) *redis.Client {
	t.Helper()
	c := newClient(srv.Addr())
	t.Cleanup(func() { c.Close() })
	return c
}

// newClient is a client as the package asks for one: reads bounded by
// their context. Maintenance notifications (a Redis Cloud feature) are
// off: in their default mode go-redis starts goroutines that outlive the
// client, which the leak check would report.
func newClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: -1, ContextTimeoutEnabled: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}
