package redishealth_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.uber.org/goleak"
)

// redisServer is a redis-server that the tests start on a loopback port.
type redisServer struct {
	bin    string
	port   int
	cmd    *exec.Cmd
	logged chan struct{} // closed when the server's log has ended
}

var srv *redisServer

func TestMain(m *testing.M) {
	if os.Getenv("REDISHEALTH_CHILD") != "" {
		os.Exit(child())
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		fmt.Fprintln(os.Stderr, "redishealth: no redis-server in PATH; the tests that need one are skipped (install Debian's redis-server package, as .ci/run does)")
		os.Exit(m.Run())
	}
	srv = &redisServer{bin: bin, port: freePort()}
	if err := srv.start(); err != nil {
		fmt.Fprintln(os.Stderr, "redishealth:", err)
		os.Exit(1)
	}
	code := func() int {
		defer srv.stop()
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start runs redis-server in the foreground, with no persistence, and
// waits until its log says it accepts connections.
func (s *redisServer) start() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	s.cmd.Stdout = w
	err = s.cmd.Start()
	w.Close() // the server holds the only writer: its exit ends the log
	if err != nil {
		r.Close()
		return fmt.Errorf("starting redis-server: %w", err)
	}
	ready := make(chan struct{})
	s.logged = make(chan struct{})
	go func() {
		defer close(s.logged)
		defer r.Close()
		sc, said := bufio.NewScanner(r), false
		for sc.Scan() {
			if !said && strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				said = true
			}
		}
	}()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-ready:
		return nil
	case <-s.logged:
		s.cmd.Wait()
		return fmt.Errorf("redis-server on %s exited before it accepted connections", s.addr())
	case <-t.C:
		s.stop()
		return fmt.Errorf("redis-server on %s did not accept connections within 10s", s.addr())
	}
}

// stop kills the server and waits for it and for the end of its log.
func (s *redisServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		<-s.logged
	}
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
	c := newClient(srv.addr())
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
