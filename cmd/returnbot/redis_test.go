package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

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
