package redis

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// go-redis sends a pipeline again when its answer did not come in time (MaxRetries), and the
// first send may have been applied: the re-sent session write of an update then finds the update
// recorded. If the user's next update was written in between (a burst of two, on two replicas),
// the session is no longer the re-sent value, yet the write is ours: it must count as applied.
// Taken for a duplicate, the update's replies were never sent and its turn never recorded, so
// the chat's next replies waited out TurnWait (TestReplicasStall, under load).
func TestResentWriteAfterAnotherIsOurs(t *testing.T) {
	c, err := NewClient(redistest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const user = "resend"
	keys := []string{s.UserKey(user, SessionSuffix), s.UserKey(user, UpdatesSuffix)}
	// A second ago: the redelivery below is a write of another time.
	once := []any{updateDigest("web", "u1"), time.Now().UnixMilli() - 1000, MaxUpdatesKept, bot.DedupeTTL.Milliseconds()}
	val, _ := (&bot.Session{Turn: 1, Flow: "first"}).MarshalBinary()
	val = binary.LittleEndian.AppendUint32(val, 7)

	if res, err := s.cas(ctx, keys, "", val, once); err != nil || res != int64(1) {
		t.Fatalf("the first send: %v %v, want 1", res, err)
	}
	// The next update of the user, handled elsewhere on the session just written.
	err = s.UpdateOnce(ctx, user, "web", "u2", func(sess *bot.Session) error {
		if sess.Turn != 1 {
			t.Fatalf("the next update read turn %d, want 1", sess.Turn)
		}
		sess.Turn++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The re-send of the first write: the same command.
	if res, err := s.cas(ctx, keys, "", val, once); err != nil || res != int64(1) {
		t.Fatalf("the re-sent first write: %v %v, want 1 (applied: it is ours)", res, err)
	}
	var stored bot.Session
	if _, err := decodeSession(c.Get(ctx, keys[0]).Val(), &stored); err != nil || stored.Turn != 2 {
		t.Fatalf("stored turn %d (%v), want 2: the re-send wrote nothing", stored.Turn, err)
	}
	// A redelivery of the first update, a write of its own, is still a duplicate.
	if err := s.UpdateOnce(ctx, user, "web", "u1", func(*bot.Session) error { return nil }); err != bot.ErrDuplicate {
		t.Fatalf("a redelivery of the first update: %v, want ErrDuplicate", err)
	}
}
