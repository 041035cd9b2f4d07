package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/audio/audiotest"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// TestMediaIDContract runs the IDStore contract (the one audio.MemoryIDs passes) on a real
// server with two clients, as two replicas have; every key left has a TTL.
func TestMediaIDContract(t *testing.T) {
	audiotest.RunIDStore(t, func(t *testing.T) (audio.IDStore, audio.IDStore) {
		url := redistest.Server(t)
		c := newClient(t, url)
		t.Cleanup(func() { checkTTLs(t, c, redis.DefaultPrefix) })
		return newStore(t, c, redis.Options{}), newStore(t, newClient(t, url), redis.Options{})
	})
}

// TestMediaIDKey: an id is one key, rb:media:<platform>:<hash>, that lives the TTL given (the
// platform's limit less a margin); no TTL is refused rather than kept forever.
func TestMediaIDKey(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	ctx := context.Background()
	const ttl = 25 * 24 * time.Hour
	if err := s.SetMediaID(ctx, "media:wa:0011", "1234567890", ttl); err != nil {
		t.Fatal(err)
	}
	keys, _ := c.Keys(ctx, "*").Result()
	if len(keys) != 1 || keys[0] != redis.DefaultPrefix+"media:wa:0011" {
		t.Fatalf("keys %v", keys)
	}
	if left := c.PTTL(ctx, keys[0]).Val(); left <= ttl-time.Minute || left > ttl {
		t.Errorf("TTL %s, want %s", left, ttl)
	}
	if err := s.SetMediaID(ctx, "media:wa:0012", "1", 0); err == nil {
		t.Error("an id without a TTL was kept")
	}
}
