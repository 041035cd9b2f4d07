package app

import (
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis/redistest"
)

const testSecret = "5d0c8e3a9f174b26c3e8a1f04d7b9e62"

// TestRedisStartupErrors: a Redis that does not answer, a malformed URL (whose password must not
// be echoed) and two Redis settings at once stop start-up with a message that says why.
func TestRedisStartupErrors(t *testing.T) {
	defer func(d time.Duration) { redisStartupWait = d }(redisStartupWait)
	redisStartupWait = time.Second
	// The content is loaded once, first: the bound below is on what Redis makes start-up wait.
	pack, err := LoadContent("", "", bot.DefaultSessionTTL)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ url, cluster, want string }{
		{"redis://127.0.0.1:1", "", "cannot reach Redis at 127.0.0.1:1"},
		{"", "127.0.0.1:1", "cannot reach the Redis Cluster at 127.0.0.1:1"},
		{"redis://user:hunter2@[::1", "", "REDIS_URL is not a valid"},
		{"redis://127.0.0.1:1", "127.0.0.1:2", "both REDIS_URL and REDIS_CLUSTER_ADDRS"},
		// A single node given as a cluster answers at once; no waiting.
		{"", strings.TrimPrefix(redistest.Server(t), "redis://"), "answered with an error: ERR This instance has cluster support disabled"},
	} {
		start := time.Now()
		rb, err := launch(t, pack, "REDIS_URL="+c.url, "REDIS_CLUSTER_ADDRS="+c.cluster, "RETURNBOT_SECRET="+testSecret)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q %q: started or failed otherwise: %v; stderr:\n%s", c.url, c.cluster, err, rb.stderr.String())
		}
		if err != nil && strings.Contains(err.Error()+rb.stderr.String(), "hunter2") {
			t.Errorf("the error shows the password: %v\n%s", err, rb.stderr.String())
		}
		// The bound is what a Redis dial retry loop would exceed (the content is loaded already).
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("%q %q: start-up failed only after %v", c.url, c.cluster, took)
		}
	}
}

// TestServeWithRedis runs `returnbot serve` on Redis: /readyz follows Redis going away and
// coming back, and serve stops cleanly.
func TestServeWithRedis(t *testing.T) {
	srv := redistest.Start(t)
	rb := startMain(t, "REDIS_URL="+srv.URL(), "RETURNBOT_SECRET="+testSecret)
	base, stderr := rb.base, rb.stderr
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	srv.Stop()
	if code, _ := get(t, base+"/readyz"); code != 503 {
		t.Fatalf("/readyz with Redis stopped = %d, want 503", code)
	}
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := get(t, base+"/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d 10s after Redis came back", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rb.stop(t)
	if !strings.Contains(stderr.String(), "sessions are kept in Redis") {
		t.Errorf("start-up does not say where sessions are kept:\n%s", stderr.String())
	}
}
