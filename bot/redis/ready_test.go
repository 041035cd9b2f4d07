package redis_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis"
)

// TestReady: a Redis that reached maxmemory under noeviction still answers PING and reads, so a
// ping-only readiness check calls it ready while every session write fails. Ready writes, and
// reports the refusal as OOM; once memory is there again, Ready is nil. On a cluster each master
// in turn is the full one: none may hide behind the others.
func TestReady(t *testing.T) { testReady(t, single(t)) }

func testReady(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	c := newClient(t)
	s := newStore(t, c, redis.Options{})
	ctx := context.Background()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready on a healthy Redis: %v", err)
	}
	var nodes []*goredis.Client
	switch c := c.(type) {
	case *goredis.ClusterClient:
		var mu sync.Mutex
		_ = c.ForEachMaster(ctx, func(_ context.Context, n *goredis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			nodes = append(nodes, n)
			return nil
		})
	case *goredis.Client:
		nodes = append(nodes, c)
	}
	for _, full := range nodes {
		for _, kv := range [][2]string{{"maxmemory-policy", "noeviction"}, {"maxmemory", "1"}} {
			if err := full.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() { full.ConfigSet(context.Background(), "maxmemory", "0") })
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping on a full Redis: %v (the test wants Redis answering but refusing writes)", err)
		}
		var refused *redis.WritesRefused
		err := s.Ready(ctx)
		if !errors.As(err, &refused) || refused.Reason != "OOM" {
			t.Fatalf("Ready with %s full = %v, want WritesRefused{OOM}", full.Options().Addr, err)
		}
		if len(nodes) == 1 {
			// What users meet meanwhile: no session can be saved.
			if err := s.Update(ctx, "u", func(sess *bot.Session) error { sess.Lang = "en"; return nil }); err == nil {
				t.Fatal("a session write went through on a full Redis; the test does not fill it")
			}
		}
		if err := full.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.Ready(ctx); err != nil {
			t.Fatalf("Ready once memory is free again: %v", err)
		}
	}
}
