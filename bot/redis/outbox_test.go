package redis_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/outbox"
	"github.com/returnbot/returnbot/bot/outbox/outboxtest"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// TestOutboxContract runs the outbox contract on a single node with two clients (two replicas),
// each case on a new server, then checks that every key the case left has a TTL.
func TestOutboxContract(t *testing.T) {
	outboxtest.Run(t, func(t *testing.T) (outbox.Outbox, outbox.Outbox) {
		url := redistest.Server(t)
		c := newClient(t, url)
		t.Cleanup(func() { checkTTLs(t, c, redis.DefaultPrefix) })
		return newStore(t, c, redis.Options{}).Outbox(), newStore(t, newClient(t, url), redis.Options{}).Outbox()
	})
}

// TestOutboxCluster runs the contract on a three-node Redis Cluster: the scripts touch the two
// keys of one user, which share a slot.
func TestOutboxCluster(t *testing.T) {
	addrs := redistest.Cluster(t)
	var n atomic.Int64
	outboxtest.Run(t, func(t *testing.T) (outbox.Outbox, outbox.Outbox) {
		opt := redis.Options{Prefix: fmt.Sprintf("rb:o%d:", n.Add(1))}
		c := newClusterClient(t, addrs)
		t.Cleanup(func() { checkTTLs(t, c, opt.Prefix) })
		return newStore(t, c, opt).Outbox(), newStore(t, newClusterClient(t, addrs), opt).Outbox()
	})
}

// TestForgetRemovesOutbox: Store.Erase (what /forget calls) deletes what waits in the outbox, so
// a SCAN afterwards finds no key of the user and no message text.
func TestForgetRemovesOutbox(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	o := s.Outbox()
	ctx := context.Background()
	user := bot.UserKey([]byte("0123456789abcdef0123456789abcdef"), "web", "AbCdEfGhIjKlMnOpQrStUv")
	if err := s.Update(ctx, user, func(sess *bot.Session) error { sess.Lang = "fa"; return nil }); err != nil {
		t.Fatal(err)
	}
	const text = "Counsellor: we can meet on Tuesday"
	for i := 0; i < 3; i++ {
		if _, err := o.Push(ctx, user, []byte(text), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	checkTTLs(t, c, redis.DefaultPrefix)
	if n := len(scanAll(t, c)); n != 3 {
		t.Fatalf("%d keys before the erase, want session, outbox and seq", n)
	}
	if err := s.Erase(ctx, user); err != nil {
		t.Fatal(err)
	}
	assertNoTrace(t, c, []string{user, text})
	if keys := scanAll(t, c); len(keys) != 0 {
		t.Fatalf("keys left after the erase: %v", keys)
	}
}

// BenchmarkOutboxPollEmpty is what an open page costs every 5 s when nothing waits: one script.
func BenchmarkOutboxPollEmpty(b *testing.B) {
	o := newStore(b, newClient(b, redistest.Server(b)), redis.Options{}).Outbox()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := o.Fetch(ctx, "u", 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOutboxPushFetch is one staff answer reaching the page: a push, then the poll that
// returns it and the one that acknowledges it.
func BenchmarkOutboxPushFetch(b *testing.B) {
	o := newStore(b, newClient(b, redistest.Server(b)), redis.Options{}).Outbox()
	ctx := context.Background()
	data := []byte(`[{"text":"Counsellor:\nWe can see you on Tuesday at ten.","lang":"en","dir":"ltr"}]`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seq, err := o.Push(ctx, "u", data, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if items, err := o.Fetch(ctx, "u", seq-1); err != nil || len(items) != 1 {
			b.Fatal(items, err)
		}
		if _, err := o.Fetch(ctx, "u", seq); err != nil {
			b.Fatal(err)
		}
	}
}
