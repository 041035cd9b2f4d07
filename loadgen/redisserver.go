package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// RedisServer is a private redis-server for one run: a free loopback port, nothing kept on disk,
// stopped (and its directory removed) by Stop.
type RedisServer struct {
	// URL is the server's redis:// URL.
	URL string
	// Version is what redis-server --version says, for the report.
	Version string
	cmd     *exec.Cmd
	done    chan struct{}
	dir     string
}

// StartRedis starts redis-server from PATH and waits until it answers PING.
func StartRedis(ctx context.Context) (*RedisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("loadgen: redis-server is not on PATH; install it (apt-get install redis-server) or give --redis / REDIS_URL")
	}
	dir, err := os.MkdirTemp("", "returnbot-loadgen-redis-")
	if err != nil {
		return nil, err
	}
	s := &RedisServer{dir: dir}
	if out, err := exec.CommandContext(ctx, bin, "--version").Output(); err == nil {
		s.Version = strings.TrimSpace(string(out))
	}
	// The port is free when chosen but another process may take it first: try a few.
	for range 5 {
		if err = s.spawn(ctx, bin); err == nil {
			return s, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

func (s *RedisServer) spawn(ctx context.Context, bin string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logPath := filepath.Join(s.dir, "redis.log")
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--logfile", logPath, "--loglevel", "warning")
	cmd.Dir = s.dir
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	s.URL = "redis://127.0.0.1:" + strconv.Itoa(port)
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("loadgen: redis-server exited at start-up: %s", strings.TrimSpace(string(log)))
		default:
		}
		if c.Ping(ctx).Err() == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.kill()
			return errors.New("loadgen: redis-server did not answer PING within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop shuts the server down (SIGTERM, SIGKILL after five seconds) and removes its directory.
func (s *RedisServer) Stop() {
	s.kill()
	os.RemoveAll(s.dir)
}

func (s *RedisServer) kill() {
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		s.cmd = nil
	}
}
