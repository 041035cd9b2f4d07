// Package redistest runs private redis-server processes for tests: a single node that a test can
// stop, restart on the same port and freeze, and a three-node Redis Cluster. Every server listens
// on a free loopback port, keeps nothing on disk (--save "" --appendonly no, in t.TempDir()) and is
// stopped by t.Cleanup, so tests never share data with each other or with a developer's Redis.
//
// redis-server (and redis-cli for clusters) must be on PATH. When they are not, the test fails with
// a message saying so: these tests exist to exercise a real server and are never skipped.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to accept commands.
const startTimeout = 10 * time.Second

// Instance is one private redis-server. Its port stays the same across Stop and Start, so clients
// configured with URL or Addr reconnect to the restarted server by themselves.
type Instance struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	args []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when cmd has exited
	paused bool
}

// Server starts a private redis-server for the test and returns its URL (redis://127.0.0.1:port).
// It is always a new, empty server: REDIS_URL is ignored, so tests can flush, count keys and
// measure memory without disturbing anything else.
func Server(t testing.TB) string {
	t.Helper()
	return Start(t).URL()
}

// Start starts a private redis-server and returns a handle to stop, restart or freeze it.
// extraArgs are appended to the command line (for example "--appendonly", "yes" to keep data
// across Stop and Start).
func Start(t testing.TB, extraArgs ...string) *Instance {
	t.Helper()
	return start(t, false, extraArgs)
}

func start(t testing.TB, cluster bool, extraArgs []string) *Instance {
	t.Helper()
	bin := lookPath(t, "redis-server")
	i := &Instance{t: t, bin: bin, dir: t.TempDir(), args: extraArgs}
	t.Cleanup(i.cleanup)
	var err error
	// The port is free when chosen but another process may take it before redis-server binds it.
	for attempt := 0; attempt < 5; attempt++ {
		i.port, err = freePort(cluster)
		if err != nil {
			continue
		}
		if err = i.spawn(); err == nil {
			return i
		}
	}
	t.Fatalf("redistest: cannot start redis-server: %v", err)
	return nil
}

// Addr is the server's host:port.
func (i *Instance) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(i.port)) }

// URL is the server's redis:// URL, as REDIS_URL would hold it.
func (i *Instance) URL() string { return "redis://" + i.Addr() }

// Stop shuts the server down (SIGTERM, then SIGKILL after five seconds) and waits until it has
// exited, so the port refuses connections when Stop returns.
func (i *Instance) Stop() {
	i.t.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stopLocked()
}

// Kill ends the server with SIGKILL, as a crash or an OOM kill would: no shutdown save, only
// what the append-only file already holds survives (start it with "--appendonly", "yes").
func (i *Instance) Kill() {
	i.t.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.cmd == nil {
		return
	}
	if i.paused {
		_ = i.cmd.Process.Signal(syscall.SIGCONT)
		i.paused = false
	}
	i.killLocked()
}

// KillFrozen ends a paused server with SIGKILL without letting it run first: commands it had
// received but not run are lost, as when a hung server is killed.
func (i *Instance) KillFrozen() {
	i.t.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.cmd == nil {
		return
	}
	i.killLocked()
	i.paused = false
}

func (i *Instance) killLocked() {
	_ = i.cmd.Process.Kill()
	<-i.done
	i.cmd, i.done = nil, nil
}

// Restart starts the server again on the same port after Stop.
func (i *Instance) Restart() {
	i.t.Helper()
	i.mu.Lock()
	running := i.cmd != nil
	i.mu.Unlock()
	if running {
		i.t.Fatal("redistest: Restart of a server that is running; call Stop first")
	}
	if err := i.spawn(); err != nil {
		i.t.Fatalf("redistest: cannot restart redis-server on port %d: %v", i.port, err)
	}
}

// Pause freezes the server (SIGSTOP): connections are accepted by the kernel but never answered,
// like a server that hangs. Resume undoes it.
func (i *Instance) Pause() { i.signal(syscall.SIGSTOP, true) }

// Resume lets a paused server run again (SIGCONT).
func (i *Instance) Resume() { i.signal(syscall.SIGCONT, false) }

func (i *Instance) signal(sig syscall.Signal, paused bool) {
	i.t.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.cmd == nil {
		i.t.Fatalf("redistest: %v to a server that is not running", sig)
	}
	if err := i.cmd.Process.Signal(sig); err != nil {
		i.t.Fatalf("redistest: %v: %v", sig, err)
	}
	i.paused = paused
}

func (i *Instance) cleanup() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stopLocked()
}

func (i *Instance) stopLocked() {
	if i.cmd == nil {
		return
	}
	p := i.cmd.Process
	if i.paused {
		// A stopped process only acts on SIGTERM once it runs again.
		_ = p.Signal(syscall.SIGCONT)
		i.paused = false
	}
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-i.done:
	case <-time.After(5 * time.Second):
		_ = p.Kill()
		<-i.done
	}
	i.cmd, i.done = nil, nil
}

// spawn starts redis-server on i.port and waits until it answers PING.
func (i *Instance) spawn() error {
	args := []string{
		"--port", strconv.Itoa(i.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", i.dir,
		"--daemonize", "no",
		"--logfile", "",
		"--loglevel", "warning",
	}
	args = append(args, i.args...)
	logPath := filepath.Join(i.dir, "redis.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(i.bin, args...)
	cmd.Dir = i.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server on port %d exited at start-up:\n%s", i.port, tail(logPath))
		default:
		}
		if reply, err := Do(i.Addr(), "PING"); err == nil && reply == "PONG" {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server on port %d did not answer PING within %v:\n%s", i.port, startTimeout, tail(logPath))
		}
		time.Sleep(5 * time.Millisecond)
	}
	i.mu.Lock()
	i.cmd, i.done = cmd, done
	i.mu.Unlock()
	return nil
}

// Cluster starts three redis-server processes with cluster mode on, joins them into one Redis
// Cluster with redis-cli --cluster create (no replicas: every node is a master with a third of
// the slots), waits until every node reports cluster_state:ok, and returns the nodes' addresses.
func Cluster(t testing.TB) []string {
	t.Helper()
	cli := lookPath(t, "redis-cli")
	nodes := make([]*Instance, 3)
	addrs := make([]string, len(nodes))
	for n := range nodes {
		nodes[n] = start(t, true, []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000",
		})
		addrs[n] = nodes[n].Addr()
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(startTimeout)
	for _, a := range addrs {
		for {
			info, err := Do(a, "CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, "cluster_known_nodes:3") && strings.Contains(info, "cluster_slots_ok:16384") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redistest: cluster node %s not ready within %v: %v\n%s", a, startTimeout, err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return addrs
}

func lookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("redistest: %s is not on PATH (%v). These tests need a real Redis: install it "+
			"(for example: apt-get install redis-server, or brew install redis) and run the tests again.", name, err)
	}
	return p
}

// freePort returns a loopback port nobody listens on. For cluster nodes the cluster bus port
// (port+10000) must be free as well.
func freePort(cluster bool) (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !cluster {
			l.Close()
			return port, nil
		}
		if port+10000 > 65535 {
			l.Close()
			continue
		}
		bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		l.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, errors.New("no free port pair for a cluster node")
}

// tail returns the end of a log file, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Do sends one command to addr on a new connection and returns a simple, integer or bulk string
// reply. It is for harness work (start-up checks, CLUSTER INFO) where pulling in a client and its
// retries and logging would only get in the way.
func Do(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("unexpected reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}
