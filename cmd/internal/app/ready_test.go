package app

import (
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// TestServeReadyzRedisFull: a Redis at maxmemory under noeviction answers PING but refuses every
// write. /readyz says so (503, "refuses writes"), the log says so once however often /readyz is
// asked within the interval, and both recover when memory is free again.
func TestServeReadyzRedisFull(t *testing.T) {
	srv := redistest.Start(t, "--maxmemory-policy", "noeviction")
	rb := startMain(t, "REDIS_URL="+srv.URL(), "RETURNBOT_SECRET="+testSecret)
	base, stderr := rb.base, rb.stderr
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	if _, err := redistest.Do(srv.Addr(), "CONFIG", "SET", "maxmemory", "1"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		code, body := get(t, base+"/readyz")
		if code != 503 || !strings.Contains(body, "refuses writes (OOM)") {
			t.Fatalf("/readyz %d with Redis full = %d %q, want 503 refuses writes (OOM)", i, code, body)
		}
	}
	if _, err := redistest.Do(srv.Addr(), "CONFIG", "SET", "maxmemory", "0"); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz after memory was freed = %d %q", code, body)
	}
	rb.stop(t)
	logs := stderr.String()
	if n := strings.Count(logs, "the store refuses writes"); n != 1 || !strings.Contains(logs, `"reason":"OOM"`) {
		t.Errorf("%d log lines about refused writes for 5 probes within a minute, want 1 with reason OOM:\n%s", n, logs)
	}
	if n := strings.Count(logs, "the store takes writes again"); n != 1 {
		t.Errorf("%d log lines about the recovery, want 1:\n%s", n, logs)
	}
}
