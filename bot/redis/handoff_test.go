package redis_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// TestHandoffContract runs the handoff.Store contract on a single node, each case on a new
// server, then checks that every key the case left has a TTL.
func TestHandoffContract(t *testing.T) {
	handofftest.Run(t, func(t *testing.T) handoff.Store {
		c := newClient(t, redistest.Server(t))
		t.Cleanup(func() { checkTTLs(t, c, redis.DefaultPrefix) })
		return newStore(t, c, redis.Options{}).HandoffStore()
	})
}

// TestHandoffCluster runs the contract on a three-node Redis Cluster (one, keys kept apart by
// prefix): no command may cross slots.
func TestHandoffCluster(t *testing.T) {
	addrs := redistest.Cluster(t)
	var n atomic.Int64
	handofftest.Run(t, func(t *testing.T) handoff.Store {
		prefix := fmt.Sprintf("rb:h%d:", n.Add(1))
		c := newClusterClient(t, addrs)
		t.Cleanup(func() { checkTTLs(t, c, prefix) })
		return newStore(t, c, redis.Options{Prefix: prefix}).HandoffStore()
	})
	t.Run("ForgetRemovesHandoffData", func(t *testing.T) { testForgetRemovesHandoffData(t, newClusterClient(t, addrs)) })
}

// checkTTLs fails when a key under prefix has no TTL.
func checkTTLs(t *testing.T, c goredis.UniversalClient, prefix string) {
	t.Helper()
	ctx := context.Background()
	for _, k := range scanAll(t, c) {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if ttl := c.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %q has no TTL (PTTL %v)", k, ttl)
		}
	}
}

// TestHandoffStoreOnce returns one handoff store per session store and registers the erase hook
// once.
func TestHandoffStoreOnce(t *testing.T) {
	s := newStore(t, newClient(t, redistest.Server(t)), redis.Options{})
	if s.HandoffStore() != s.HandoffStore() {
		t.Fatal("HandoffStore returned two stores")
	}
}

// TestForgetRemovesHandoffData: Store.Erase (what /forget calls) removes the user's tickets,
// claims, queue entries, route and reminder, not only the session.
func TestForgetRemovesHandoffData(t *testing.T) {
	testForgetRemovesHandoffData(t, newClient(t, redistest.Server(t)))
}

func testForgetRemovesHandoffData(t *testing.T, c goredis.UniversalClient) {
	s := newStore(t, c, redis.Options{})
	h := s.HandoffStore()
	ctx := context.Background()
	user := bot.UserKey([]byte("0123456789abcdef0123456789abcdef"), "telegram", "5550001234")
	if err := s.Update(ctx, user, func(sess *bot.Session) error { sess.Lang = "fa"; return nil }); err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{"QWE-234", "RTY-567"} {
		tk := &handoff.Ticket{Code: code, User: user, Channel: "telegram", Status: handoff.StatusOpen,
			Created: time.Now().Add(time.Duration(i) * time.Second)}
		if i == 1 { // a planned visit: in its day's index (rb:vd:<day>) too
			tk.Kind, tk.Day = bot.HandoffVisit, "2027-03-30"
		}
		if err := h.SaveTicket(ctx, tk, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.Claim(ctx, code, "Kari", time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := h.LinkPost(ctx, user, code, fmt.Sprintf("-1001234:%d", 70+i), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.SetRoute(ctx, user, []byte("sealed"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := h.Remind(ctx, user, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := h.AddAudit(ctx, handoff.Audit{Staff: "staff:x", Action: "take", Code: "QWE-234", Time: time.Now()}, time.Hour); err != nil {
		t.Fatal(err)
	}
	checkTTLs(t, c, redis.DefaultPrefix)
	if n := c.ZCard(ctx, redis.DefaultPrefix+"vd:2027-03-30").Val(); n != 1 {
		t.Fatalf("the visit's day index holds %d codes, want 1", n)
	}
	if err := s.Erase(ctx, user); err != nil {
		t.Fatal(err)
	}
	assertNoTrace(t, c, []string{user, "QWE-234", "RTY-567", "-1001234:70", "-1001234:71"})
}

// assertNoTrace fails when a key other than the audit trail, or its value, names one of secrets.
// Empty sorted sets and lists disappear in Redis, so a dropped member leaves nothing behind.
func assertNoTrace(t *testing.T, c goredis.UniversalClient, secrets []string) {
	t.Helper()
	ctx := context.Background()
	for _, k := range scanAll(t, c) {
		if strings.HasSuffix(k, ":audit") {
			continue
		}
		val, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range secrets {
			if strings.Contains(k, x) || strings.Contains(val, x) {
				t.Errorf("key %q or its value still holds %q", k, x)
			}
		}
	}
}
