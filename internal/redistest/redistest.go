// Package redistest runs a real redis-server on a loopback port, for the
// tests and benchmarks of relay's modules that share health through Redis.
// It starts Debian's redis-server binary (the one .ci/run installs) with no
// persistence, and waits for its own "Ready to accept connections" log
// line rather than polling its port.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Server is a redis-server that this process started.
type Server struct {
	bin    string
	port   int
	cmd    *exec.Cmd
	logged chan struct{} // closed when the server's log has ended
}

// Start starts a redis-server on a free loopback port. Its error wraps
// exec.ErrNotFound when there is no redis-server in PATH, so that a
// caller can skip rather than fail.
func Start() (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("no redis-server in PATH (install Debian's redis-server package, as .ci/run does): %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{bin: bin, port: port}
	if err := s.Restart(); err != nil {
		return nil, err
	}
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Process is the running server's process, to signal (SIGSTOP makes a
// server that stops answering).
func (s *Server) Process() *os.Process { return s.cmd.Process }

// Restart starts the server again on its port, after Stop, and waits
// until its log says it accepts connections.
func (s *Server) Restart() error {
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
		return fmt.Errorf("redis-server on %s exited before it accepted connections", s.Addr())
	case <-t.C:
		s.Stop()
		return fmt.Errorf("redis-server on %s did not accept connections within 10s", s.Addr())
	}
}

// Stop kills the server and waits for it and for the end of its log.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		<-s.logged
	}
}
