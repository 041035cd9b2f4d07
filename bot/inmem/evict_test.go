package inmem_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
)

func write(t *testing.T, s *inmem.Store, user, node string) {
	t.Helper()
	if err := s.Update(context.Background(), user, func(sess *bot.Session) error { sess.Node = node; return nil }); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, s *inmem.Store, user string) string {
	t.Helper()
	var node string
	stop := errors.New("read only")
	if err := s.Update(context.Background(), user, func(sess *bot.Session) error { node = sess.Node; return stop }); err != stop {
		t.Fatal(err)
	}
	return node
}

// TestEvictsLeastRecentlyUsed: past the cap, a new user pushes out the session used longest
// ago (reading counts as use), and each eviction is counted.
func TestEvictsLeastRecentlyUsed(t *testing.T) {
	var evicted atomic.Int64
	s := inmem.NewWithLimits(time.Hour, inmem.Limits{Sessions: 3, Evicted: func() { evicted.Add(1) }})
	for _, u := range []string{"u1", "u2", "u3"} {
		write(t, s, u, "at-"+u)
	}
	read(t, s, "u1") // u2 is now the least recently used
	write(t, s, "u4", "at-u4")
	if n := s.Len(); n != 3 {
		t.Fatalf("%d sessions with a cap of 3", n)
	}
	if n := evicted.Load(); n != 1 {
		t.Fatalf("%d evictions counted, want 1", n)
	}
	for _, u := range []string{"u1", "u3", "u4"} {
		if got := read(t, s, u); got != "at-"+u {
			t.Errorf("%s: node %q, want it kept", u, got)
		}
	}
	if got := read(t, s, "u2"); got != "" { // reading u2 makes a new entry and evicts u1
		t.Errorf("u2 was the least recently used but kept node %q", got)
	}
	if n := evicted.Load(); n != 2 {
		t.Fatalf("%d evictions counted, want 2", n)
	}
}

// TestExpiredSessionsMakeRoomUncounted: an expired session dropped for room is not an eviction.
func TestExpiredSessionsMakeRoomUncounted(t *testing.T) {
	var evicted atomic.Int64
	now := time.Unix(1_790_000_000, 0)
	s := inmem.NewWithLimits(time.Minute, inmem.Limits{Sessions: 2, Evicted: func() { evicted.Add(1) }})
	s.SetClock(func() time.Time { return now })
	write(t, s, "u1", "a")
	write(t, s, "u2", "b")
	now = now.Add(2 * time.Minute)
	write(t, s, "u3", "c")
	if n := evicted.Load(); n != 0 {
		t.Fatalf("an expired session counted as %d evictions", n)
	}
}

// TestBusySessionIsNotEvicted: a session whose update is running is passed over, so the update
// is saved; the store is over its cap only until the next new user.
func TestBusySessionIsNotEvicted(t *testing.T) {
	s := inmem.NewWithLimits(time.Hour, inmem.Limits{Sessions: 1})
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Update(context.Background(), "slow", func(sess *bot.Session) error {
			close(inside)
			<-release
			sess.Node = "saved"
			return nil
		})
	}()
	<-inside
	write(t, s, "fast", "x") // over the cap: "slow" is busy, so nothing can go
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "slow"); got != "saved" {
		t.Fatalf("the update that ran while the store was full was lost: node %q", got)
	}
	write(t, s, "third", "y")
	if n := s.Len(); n != 1 {
		t.Fatalf("%d sessions after the updates finished, cap 1", n)
	}
}

// TestSeenIsBounded: past the limit the oldest update ids are forgotten first; recent ones still
// dedupe, through Seen and UpdateOnce alike.
func TestSeenIsBounded(t *testing.T) {
	s := inmem.NewWithLimits(time.Hour, inmem.Limits{Sessions: 10, Dedupe: 4})
	ctx := context.Background()
	for i := range 6 {
		if dup, err := s.Dedupe(ctx, "telegram", fmt.Sprint(i)); err != nil || dup {
			t.Fatalf("first sight of %d: %v, %v", i, dup, err)
		}
	}
	for i := 5; i >= 2; i-- {
		if dup, _ := s.Dedupe(ctx, "telegram", fmt.Sprint(i)); !dup {
			t.Errorf("update %d, among the last four, was forgotten", i)
		}
	}
	if dup, _ := s.Dedupe(ctx, "telegram", "0"); dup {
		t.Error("the oldest update id is still remembered past the limit")
	}
	noop := func(*bot.Session) error { return nil }
	for i := range 5 {
		if err := s.UpdateOnce(ctx, "u", "whatsapp", fmt.Sprint(i), noop); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpdateOnce(ctx, "u", "whatsapp", "4", noop); !errors.Is(err, bot.ErrDuplicate) {
		t.Errorf("the latest update saved again: %v", err)
	}
	if err := s.UpdateOnce(ctx, "u", "whatsapp", "0", noop); err != nil {
		t.Errorf("the oldest update, past the limit: %v", err)
	}
}

// BenchmarkSessionMemory reports the heap a session and an update id take in the store, for
// the default cap (DefaultMaxSessions): sessions with a full trail, answers and topics.
func BenchmarkSessionMemory(b *testing.B) {
	const n = 20_000
	full := bot.Session{
		Lang: "fa", Flow: "eligibility", Node: "residence", Mode: "", Seen: 1_790_000_000, Turn: 40,
		Answers: map[string]string{"residence": "none", "case": "rejected", "family": "alone", "name": "Mohammad Reza"},
		Topics:  []string{"eligibility", "contact", "support", "return", "privacy"},
	}
	for range bot.MaxTrail {
		full.Trail = append(full.Trail, "eligibility.residence")
	}
	var sessionBytes, seenBytes float64
	for b.Loop() {
		var before, mid, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := inmem.NewWithLimits(time.Hour, inmem.Limits{Sessions: n})
		ctx := context.Background()
		for i := range n {
			user := bot.UserKey([]byte("k"), "telegram", fmt.Sprint(i))
			if err := s.Update(ctx, user, func(sess *bot.Session) error { *sess = full; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&mid)
		for i := range n {
			user := bot.UserKey([]byte("k"), "telegram", fmt.Sprint(i))
			if err := s.UpdateOnce(ctx, user, "telegram", fmt.Sprint(1_000_000_000+i), func(*bot.Session) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		sessionBytes = float64(mid.HeapAlloc-before.HeapAlloc) / n
		seenBytes = float64(after.HeapAlloc-mid.HeapAlloc) / n
		runtime.KeepAlive(s)
	}
	b.ReportMetric(sessionBytes, "B/session")
	b.ReportMetric(seenBytes, "B/update-id")
}
