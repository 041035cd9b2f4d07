package app

import (
	"bufio"
	"fmt"
	"github.com/returnbot/returnbot/internal/syncbuf"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the tests that need a process of their own (several replicas, Redis killed under
// them, SIGTERM, a process's open files) run this test binary as `returnbot serve`
// (RETURNBOT_RUN_MAIN=1): ConfigFromEnv and Serve, as cmd/returnbot's serve command runs them.
func TestMain(m *testing.M) {
	if os.Getenv("RETURNBOT_RUN_MAIN") == "1" {
		cfg, err := ConfigFromEnv(os.Getenv)
		if err != nil {
			fmt.Fprintln(os.Stderr, "returnbot:", err)
			os.Exit(1)
		}
		os.Exit(Serve(cfg, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// startServe runs `returnbot serve` as a process with env and returns its base URL and the
// process; tests that do not need a process of their own use startMain.
func startServe(t testing.TB, env ...string) (string, *exec.Cmd, *syncbuf.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "RETURNBOT_RUN_MAIN=1", "RETURNBOT_ADDR=127.0.0.1:0", "REDIS_URL=", "REDIS_CLUSTER_ADDRS=",
		"TELEGRAM_TOKEN=", "WHATSAPP_TOKEN=")
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncbuf.Buffer{} // written by exec's copier while the test may read it
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Loading the content (training the classifier) takes seconds, tens of them when three
	// replicas start at once on a busy machine under -race.
	deadline := time.After(90 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited before listening; stderr:\n%s", stderr.String())
			}
			if i := strings.Index(l, "http://"); i >= 0 && strings.Contains(l, "listening") {
				url := strings.Fields(l[i:])[0]
				go func() {
					for range lines {
					}
				}()
				return url, cmd, stderr
			}
		case <-deadline:
			t.Fatalf("serve did not start; stderr:\n%s", stderr.String())
		}
	}
}

// stopServe sends SIGTERM and waits for a clean exit.
func stopServe(t *testing.T, cmd *exec.Cmd, stderr interface{ String() string }) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15s of SIGTERM")
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeProbesAndGracefulStop(t *testing.T) {
	base, cmd, stderr := startServe(t)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "go_goroutines"} {
		if code, body := get(t, base+path); code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d %q", path, code, body)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15s of SIGTERM")
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if line != "" && !strings.HasPrefix(line, "{") {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

func TestServeRefusesBrokenContent(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/main.yaml", []byte("id: main\nstart: menu\nnodes:\n  menu:\n    say: [x]\n    bogus: 1\n"), 0o644)
	rb, err := launchMain(t, "RETURNBOT_FLOWS="+dir)
	if err == nil {
		t.Fatal("serve started with a broken flow file")
	}
	if !strings.Contains(err.Error(), "main.yaml:6: unknown field \"bogus\"") {
		t.Fatalf("the error does not name file:line and reason: %v\n%s", err, rb.stderr.String())
	}
}
