package redistest_test

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// TestRestartKeepsPort: Stop closes the port, Restart opens the same one with an empty server
// (nothing is persisted by default), Pause makes it hang and Resume brings it back.
func TestRestartKeepsPort(t *testing.T) {
	srv := redistest.Start(t)
	if !strings.HasPrefix(srv.URL(), "redis://127.0.0.1:") {
		t.Fatalf("URL %q", srv.URL())
	}
	if _, err := redistest.Do(srv.Addr(), "SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if c, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("the port still accepts connections after Stop")
	}
	srv.Restart()
	if v, err := redistest.Do(srv.Addr(), "EXISTS", "k"); err != nil || v != "0" {
		t.Fatalf("after Restart EXISTS k = %q, %v; want an empty server", v, err)
	}
	srv.Pause()
	if _, err := redistest.Do(srv.Addr(), "PING"); err == nil {
		t.Fatal("a paused server answered")
	}
	srv.Resume()
	if v, err := redistest.Do(srv.Addr(), "PING"); err != nil || v != "PONG" {
		t.Fatalf("after Resume PING = %q, %v", v, err)
	}
	srv.Pause() // Cleanup must stop a paused server too.
}

// TestServersAreSeparate: each call starts its own server.
func TestServersAreSeparate(t *testing.T) {
	a, b := redistest.Server(t), redistest.Server(t)
	if a == b {
		t.Fatalf("two servers at %s", a)
	}
}

func TestCluster(t *testing.T) {
	addrs := redistest.Cluster(t)
	if len(addrs) != 3 {
		t.Fatalf("%d nodes", len(addrs))
	}
	for _, a := range addrs {
		info, err := redistest.Do(a, "CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_size:3") {
			t.Fatalf("%s: %v\n%s", a, err, info)
		}
	}
}

// fatalTB records Fatalf and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestMissingBinaryFails: without redis-server the harness fails the test with a clear message
// instead of skipping it.
func TestMissingBinaryFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for name, start := range map[string]func(testing.TB){
		"redis-server": func(tb testing.TB) { redistest.Server(tb) },
		"redis-cli":    func(tb testing.TB) { redistest.Cluster(tb) },
	} {
		f := &fatalTB{TB: t}
		done := make(chan struct{})
		go func() { defer close(done); start(f) }()
		<-done
		if !strings.Contains(f.msg, name+" is not on PATH") || !strings.Contains(f.msg, "install") {
			t.Errorf("without %s: %q", name, f.msg)
		}
	}
}
