package redis

import (
	"context"
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// A write in doubt that the server runs only after it was found not applied (it sat in a
// connection the server had not read yet) is fenced off: it writes nothing, and the update's
// redelivery, a write of its own, goes through once.
func TestStaleWriteFencedOff(t *testing.T) {
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
	const user = "fence"
	keys := []string{s.UserKey(user, SessionSuffix), s.UserKey(user, UpdatesSuffix)}
	digest, stale := updateDigest("web", "u1"), time.Now().UnixMilli()-1000
	once := []any{digest, stale, MaxUpdatesKept, bot.DedupeTTL.Milliseconds()}

	ok, err := s.applied(keys[1], digest, stale)(ctx)
	if err != nil || ok {
		t.Fatalf("a write never run: applied %v, %v", ok, err)
	}
	if c.ZScore(ctx, keys[1], digest+":"+strconv.FormatInt(stale, 10)).Err() != nil {
		t.Fatal("no fence in the update set")
	}
	if ttl := c.PTTL(ctx, keys[1]).Val(); ttl <= 0 {
		t.Fatalf("the update set, which holds the fence, has no TTL (%v)", ttl)
	}
	val, _ := (&bot.Session{Turn: 1, Flow: "stale"}).MarshalBinary()
	val = binary.LittleEndian.AppendUint32(val, 7)
	if res, err := s.cas(ctx, keys, "", val, once); err != nil || res != int64(0) {
		t.Fatalf("the stale write after the fence: %v %v, want 0 (nothing written)", res, err)
	}
	if n := c.Exists(ctx, keys[0]).Val(); n != 0 {
		t.Fatal("the stale write was applied")
	}
	// A second write in doubt of the same update (its first redelivery), fenced in turn.
	if ok, err := s.applied(keys[1], digest, stale+1)(ctx); err != nil || ok {
		t.Fatalf("a second write never run: applied %v, %v", ok, err)
	}
	for _, at := range []int64{stale + 1, stale} {
		if res, err := s.cas(ctx, keys, "", val, []any{digest, at, MaxUpdatesKept, bot.DedupeTTL.Milliseconds()}); err != nil || res != int64(0) {
			t.Fatalf("the stale write of %d after the fences: %v %v, want 0", at, res, err)
		}
	}
	err = s.UpdateOnce(ctx, user, "web", "u1", func(sess *bot.Session) error { sess.Turn++; return nil })
	if err != nil {
		t.Fatalf("the redelivery after the fence: %v", err)
	}
	if err := s.UpdateOnce(ctx, user, "web", "u1", func(*bot.Session) error { return nil }); err != bot.ErrDuplicate {
		t.Fatalf("a second redelivery: %v, want ErrDuplicate", err)
	}
	if ok, _ := s.applied(keys[1], digest, stale)(ctx); ok {
		t.Fatal("the fenced write reported applied after the redelivery's")
	}
}
