package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/bot/whatsapp/windowtest"
)

// windowTTL is what serve gives: the service window and an hour.
const windowTTL = whatsapp.ServiceWindow + time.Hour

// TestWindowContract runs the Window contract (the one MemoryWindow passes) on a real server
// with two clients, as two replicas have; erasing is the store's Erase, what "forget me" calls.
// Every key a case leaves has a TTL.
func TestWindowContract(t *testing.T) {
	windowtest.Run(t, func(t *testing.T) windowtest.Backend {
		url := redistest.Server(t)
		c := newClient(t, url)
		t.Cleanup(func() { checkTTLs(t, c, redis.DefaultPrefix) })
		a := newStore(t, c, redis.Options{})
		b := newStore(t, newClient(t, url), redis.Options{})
		return windowtest.Backend{A: a.Window(windowTTL), B: b.Window(windowTTL), Erase: a.Erase}
	})
}

// TestWindowKey: the record is one key under the user's hash tag, rb:{<user>}:wa, that lives the
// given TTL from the latest write; an older time neither changes it nor renews the TTL; it
// expires.
func TestWindowKey(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	w := s.Window(windowTTL)
	ctx := context.Background()
	user := bot.UserKey([]byte("0123456789abcdef0123456789abcdef"), whatsapp.Channel, "447700900123")
	at := time.Now().Truncate(time.Millisecond)
	if err := w.Touch(ctx, user, at); err != nil {
		t.Fatal(err)
	}
	key := "rb:{" + user + "}:wa"
	if keys := scanAll(t, c); len(keys) != 1 || keys[0] != key {
		t.Fatalf("keys %v, want [%s]", keys, key)
	}
	if ttl := c.PTTL(ctx, key).Val(); ttl <= windowTTL-time.Minute || ttl > windowTTL {
		t.Fatalf("TTL %v, want about %v", ttl, windowTTL)
	}
	if err := c.PExpire(ctx, key, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Touch(ctx, user, at.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, key).Val(); ttl > time.Hour {
		t.Errorf("an older time renewed the TTL to %v", ttl)
	}
	if got, ok, err := w.Last(ctx, user); err != nil || !ok || !got.Equal(at) {
		t.Fatalf("Last = %v %v %v, want %v", got, ok, err, at)
	}

	short := s.Window(150 * time.Millisecond)
	if err := short.Touch(ctx, "other", at); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if _, ok, err := short.Last(ctx, "other"); ok || err != nil {
		t.Fatalf("record still there after its TTL (err %v)", err)
	}
	if _, _, err := w.Last(ctx, ""); err == nil {
		t.Error("Last accepted an empty user")
	}
	if err := w.Touch(ctx, "", at); err == nil {
		t.Error("Touch accepted an empty user")
	}
}

// TestForgetRemovesWindow: a WhatsApp user's /forget, through the bot as it runs, deletes the
// window record with the session; nothing of the user is left.
func TestForgetRemovesWindow(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	w := s.Window(windowTTL)
	b := bot.New(loadPack(t).Engine, s, quietLog())
	ctx := context.Background()
	user := bot.UserKey([]byte("0123456789abcdef0123456789abcdef"), whatsapp.Channel, "447700900123")
	if err := w.Touch(ctx, user, time.Now()); err != nil {
		t.Fatal(err)
	}
	talk(t, b, whatsapp.Channel, user, "en", "hello", "/forget")
	if _, ok, _ := w.Last(ctx, user); !ok {
		t.Fatal("the record went before the user confirmed")
	}
	talk(t, b, whatsapp.Channel, user, "en", "1")
	if _, ok, err := w.Last(ctx, user); ok || err != nil {
		t.Fatalf("the record outlived /forget (err %v)", err)
	}
	assertNoTrace(t, c, []string{user})
}
