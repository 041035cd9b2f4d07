package redis_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/staff"
	"github.com/returnbot/returnbot/bot/staff/stafftest"
)

// TestStaffContract runs the staff.Store contract on one real redis-server (each case under its
// own prefix), then checks that every key a case left has a TTL.
func TestStaffContract(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	var n atomic.Int64
	stafftest.Run(t, func(t *testing.T) staff.Store {
		prefix := fmt.Sprintf("rb:s%d:", n.Add(1))
		t.Cleanup(func() { checkTTLs(t, c, prefix) })
		return newStore(t, c, redis.Options{Prefix: prefix}).StaffStore()
	})
}

// TestStaffCluster runs the contract on a three-node Redis Cluster: no command may cross slots.
func TestStaffCluster(t *testing.T) {
	addrs := redistest.Cluster(t)
	var n atomic.Int64
	stafftest.Run(t, func(t *testing.T) staff.Store {
		prefix := fmt.Sprintf("rb:c%d:", n.Add(1))
		c := newClusterClient(t, addrs)
		t.Cleanup(func() { checkTTLs(t, c, prefix) })
		return newStore(t, c, redis.Options{Prefix: prefix}).StaffStore()
	})
}

// TestStaffForgetWithSession: the session store's Erase (what /forget runs) removes the
// workspace's conversation and notes of the user too.
func TestStaffForgetWithSession(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	st := s.StaffStore()
	ctx := context.Background()
	if err := s.Update(ctx, "u1", func(sess *bot.Session) error { sess.Lang = "fa"; return nil }); err != nil {
		t.Fatal(err)
	}
	_ = st.AddMessage(ctx, "u1", staff.Message{Code: "ACD-346", Text: "salam"}, time.Hour)
	_ = st.AddNote(ctx, "u1", staff.Message{Code: "ACD-346", Text: "note"}, time.Hour)
	if err := s.Erase(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if m, _ := st.Messages(ctx, "u1", "ACD-346"); len(m) != 0 {
		t.Fatal("conversation survived Erase")
	}
	if m, _ := st.Notes(ctx, "u1", "ACD-346"); len(m) != 0 {
		t.Fatal("notes survived Erase")
	}
	if keys := scanAll(t, c); len(keys) != 0 {
		t.Fatalf("keys left after Erase: %v", keys)
	}
}
