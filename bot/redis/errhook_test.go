package redis_test

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// errCounts records what CountErrors reports.
type errCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (e *errCounts) count(cmd string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == nil {
		e.n = map[string]int{}
	}
	e.n[cmd]++
}

func (e *errCounts) take() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := maps.Clone(e.n)
	e.n = nil
	return n
}

// TestCountErrors runs the hook against a real server: answers that are not failures (a miss,
// the NOSCRIPT before a script's first EVAL, a cancelled request) count nothing; an error reply
// counts under its command; once the server is stopped every command, pipeline and dial counts,
// under its name only, never a key.
func TestCountErrors(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv.URL())
	var got errCounts
	redis.CountErrors(c, got.count)
	s := newStore(t, c, redis.Options{})
	ctx := context.Background()
	user := bot.UserKey([]byte("0123456789abcdef0123456789abcdef"), "whatsapp", "447700900123")

	// A fresh server has no script loaded: the first Update's EVALSHA meets NOSCRIPT and the
	// store falls back to EVAL. That, a miss and a pipeline of misses are normal work.
	if err := s.Update(ctx, user, func(sess *bot.Session) error { sess.Lang = "en"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "rb:{"+user+"}:nothing").Err(); err != goredis.Nil {
		t.Fatalf("GET of a missing key: %v", err)
	}
	pipe := c.Pipeline()
	pipe.Get(ctx, "rb:{"+user+"}:nothing")
	pipe.Set(ctx, "rb:{"+user+"}:x", "1", 0)
	pipe.Expire(ctx, "rb:{"+user+"}:x", 1e9)
	if _, err := pipe.Exec(ctx); err != goredis.Nil {
		t.Fatalf("pipeline: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_ = c.Get(cancelled, "rb:{"+user+"}:s").Err()
	if n := got.take(); len(n) != 0 {
		t.Fatalf("normal work counted as errors: %v", n)
	}

	// An error reply is a failure of the command.
	if err := c.Incr(ctx, "rb:{"+user+"}:s").Err(); err == nil {
		t.Fatal("INCR of a session succeeded")
	}
	if n := got.take(); !maps.Equal(n, map[string]int{"incr": 1}) {
		t.Fatalf("error reply: %v, want incr once", n)
	}

	srv.Stop()
	if err := s.Update(ctx, user, func(*bot.Session) error { return nil }); err == nil {
		t.Fatal("Update succeeded with Redis stopped")
	}
	if _, err := s.Dedupe(ctx, "whatsapp", "wamid.1"); err == nil {
		t.Fatal("Seen succeeded with Redis stopped")
	}
	pipe = c.Pipeline()
	pipe.Get(ctx, "rb:{"+user+"}:s")
	if _, err := pipe.Exec(ctx); err == nil {
		t.Fatal("pipeline succeeded with Redis stopped")
	}
	n := got.take()
	// Update fails at its EVALSHA (the store wrote the session, so it does not read it first);
	// Seen is SET NX EX.
	for _, cmd := range []string{"evalsha", "set", "pipeline"} {
		if n[cmd] != 1 {
			t.Errorf("%s counted %d times, want 1 (all: %v)", cmd, n[cmd], n)
		}
	}
	if n[redis.DialCommand] < 3 {
		t.Errorf("dial counted %d times for three refused requests (all: %v)", n[redis.DialCommand], n)
	}
	for cmd := range n {
		if strings.Contains(cmd, user) || strings.Contains(cmd, "rb:") || cmd != strings.ToLower(cmd) {
			t.Errorf("label %q is not a lower-case command name", cmd)
		}
	}

	// Back up: nothing more is counted.
	srv.Restart()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Dedupe(ctx, "whatsapp", "wamid.2"); err != nil {
		t.Fatal(err)
	}
	if n := got.take(); len(n) != 0 {
		t.Errorf("after the restart: %v", n)
	}
}
