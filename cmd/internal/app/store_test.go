package app

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/metrics"
)

// TestMemorySessionsCap: RETURNBOT_MEMORY_SESSIONS caps the in-process store serve opens, and
// its evictions reach returnbot_sessions_evicted_total.
func TestMemorySessionsCap(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("REDIS_CLUSTER_ADDRS", "")
	t.Setenv("RETURNBOT_MEMORY_SESSIONS", "2")
	m := metrics.New()
	store, closeStore, err := openStore(context.Background(), ReadConfig(os.Getenv), slog.New(slog.DiscardHandler), m)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	for _, u := range []string{"u1", "u2", "u3"} {
		if err := store.Update(context.Background(), u, func(s *bot.Session) error { s.Node = "x"; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.(*inmem.Store).Len(); n != 2 {
		t.Fatalf("%d sessions kept with RETURNBOT_MEMORY_SESSIONS=2", n)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if !strings.Contains(string(body), "returnbot_sessions_evicted_total 1\n") {
		t.Fatalf("metrics lack returnbot_sessions_evicted_total 1:\n%s", body)
	}
}
