package redis_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/deliver/delivertest"
	"github.com/returnbot/returnbot/bot/redis"
)

// TestDeliveryQueue runs the deliver.Queue contract on a single node: two stores, as two
// replicas.
func TestDeliveryQueue(t *testing.T) { testDeliveryQueue(t, single(t)) }

func testDeliveryQueue(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	var n atomic.Int64
	delivertest.Run(t, func(t *testing.T) (deliver.Queue, deliver.Queue) {
		opt := redis.Options{Prefix: fmt.Sprintf("rb:q%d:", n.Add(1))}
		return newStore(t, newClient(t), opt).DeliveryQueue("telegram"), newStore(t, newClient(t), opt).DeliveryQueue("telegram")
	})
	// Both keys carry a TTL, and Erase takes the user's list.
	c := newClient(t)
	s := newStore(t, c, redis.Options{Prefix: "rb:t:"})
	q := s.DeliveryQueue("telegram")
	ctx := context.Background()
	if err := q.Push(ctx, "u", []byte("sealed"), 25*time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rb:t:{u}:dq", "rb:t:{dq:telegram}:due"} {
		if ttl := c.PTTL(ctx, k).Val(); ttl <= 24*time.Hour || ttl > 25*time.Hour {
			t.Errorf("%s: TTL %v, want about 25h", k, ttl)
		}
	}
	if err := s.Erase(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if n, _ := q.Len(ctx, "u"); n != 0 {
		t.Errorf("after Erase %d items wait", n)
	}
}
