package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/redis/redistest"
)

const testSecret = "5d0c8e3a9f174b26c3e8a1f04d7b9e62"

// chatRun runs `returnbot chat` with the environment the test has set and returns the JSON lines.
func chatRun(t *testing.T, stdin string, args ...string) []chatLine {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(append([]string{"chat"}, args...), strings.NewReader(stdin), &out, &errOut); code != 0 {
		t.Fatalf("chat %v: exit %d\n%s", args, code, errOut.String())
	}
	var lines []chatLine
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var cl chatLine
		if err := json.Unmarshal([]byte(l), &cl); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		lines = append(lines, cl)
	}
	return lines
}

func where(l chatLine) string { return l.Flow + "." + l.Node }

// testChatContinues: two runs of `chat` for the same user continue one conversation, because the
// session is in Redis and the pseudonym is keyed by RETURNBOT_SECRET; another user starts afresh.
func testChatContinues(t *testing.T) {
	t.Helper()
	t.Setenv("RETURNBOT_SECRET", testSecret)
	first := chatRun(t, "hello\n2\n", "--user", "x", "--lang", "en", "--json")
	if got := where(first[len(first)-1]); got != "eligibility.start" {
		t.Fatalf("first run ended at %s, want eligibility.start", got)
	}
	// "2" is "Application rejected" to the situation question the first run stopped at.
	second := chatRun(t, "2\n", "--user", "x", "--lang", "en", "--json")
	if got := where(second[0]); got != "eligibility.othereu" {
		t.Fatalf("second run answered from %s, want eligibility.othereu: the conversation did not continue", got)
	}
	other := chatRun(t, "2\n", "--user", "y", "--lang", "en", "--json")
	if got := where(other[0]); strings.HasPrefix(got, "eligibility.") {
		t.Fatalf("another user's first message was answered from %s: sessions are mixed up", got)
	}
}

func TestChatContinuesInRedis(t *testing.T) {
	t.Setenv("REDIS_URL", redistest.Server(t))
	t.Setenv("REDIS_CLUSTER_ADDRS", "")
	testChatContinues(t)
}

func TestChatContinuesInRedisCluster(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("REDIS_CLUSTER_ADDRS", strings.Join(redistest.Cluster(t), ","))
	testChatContinues(t)
}

// TestServeRefusesRedisWithoutSecret: without RETURNBOT_SECRET the pseudonyms of users stored in
// Redis would be keyed by a random per-process secret, so serve refuses to start.
func TestServeRefusesRedisWithoutSecret(t *testing.T) {
	for _, env := range []string{"REDIS_URL", "REDIS_CLUSTER_ADDRS"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv("REDIS_URL", "")
			t.Setenv("REDIS_CLUSTER_ADDRS", "")
			t.Setenv(env, "redis://127.0.0.1:1")
			if env == "REDIS_CLUSTER_ADDRS" {
				t.Setenv(env, "127.0.0.1:1,127.0.0.1:2")
			}
			t.Setenv("RETURNBOT_SECRET", "")
			var out, errOut bytes.Buffer
			code := run([]string{"serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut)
			if code != 1 || !strings.Contains(errOut.String(), "RETURNBOT_SECRET must be set") {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
			}
			if strings.Contains(out.String(), "listening") {
				t.Fatal("serve started listening")
			}
		})
	}
}

// TestRedisStartupErrors: a Redis that does not answer, a malformed URL (whose password must not
// be echoed) and two Redis settings at once stop start-up with a message that says why.
func TestRedisStartupErrors(t *testing.T) {
	defer func(d time.Duration) { redisStartupWait = d }(redisStartupWait)
	redisStartupWait = time.Second
	t.Setenv("RETURNBOT_SECRET", testSecret)
	for _, c := range []struct{ url, cluster, want string }{
		{"redis://127.0.0.1:1", "", "cannot reach Redis at 127.0.0.1:1"},
		{"", "127.0.0.1:1", "cannot reach the Redis Cluster at 127.0.0.1:1"},
		{"redis://user:hunter2@[::1", "", "REDIS_URL is not a valid"},
		{"redis://127.0.0.1:1", "127.0.0.1:2", "both REDIS_URL and REDIS_CLUSTER_ADDRS"},
		// A single node given as a cluster answers at once; no waiting.
		{"", strings.TrimPrefix(redistest.Server(t), "redis://"), "answered with an error: ERR This instance has cluster support disabled"},
	} {
		t.Setenv("REDIS_URL", c.url)
		t.Setenv("REDIS_CLUSTER_ADDRS", c.cluster)
		var out, errOut bytes.Buffer
		start := time.Now()
		code := run([]string{"chat", "--lang", "en"}, strings.NewReader("hello\n"), &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%q %q: exit %d, stderr:\n%s", c.url, c.cluster, code, errOut.String())
		}
		if strings.Contains(errOut.String(), "hunter2") {
			t.Errorf("the error shows the password: %s", errOut.String())
		}
		// Loading the content trains the classifier first (seconds under -race on a busy machine);
		// the bound is what a Redis dial retry loop would exceed, not the content load.
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
