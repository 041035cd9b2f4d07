package redis

// The delivery queue (deliver.Queue): replies a channel could not hand to its platform yet.
//
// Keys (every key carries a TTL):
//
//	rb:{<user>}:dq            the user's parked items (sealed by bot/deliver), oldest first
//	rb:{dq:<channel>}:due     a sorted set of the users with items, scored by when they are due
//	                          (or, while a replica sends to them, when its lease runs out)
//
// The user's list shares the user's hash tag and goes with Erase; the due set is one key per
// channel (one cluster slot), touched only while replies wait, so a script never needs keys of
// two slots. Pushes and releases are ordered so that a user with items is never left out of the
// due set (see Release).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot/deliver"
)

// DeliverySuffix names a user's delivery queue key.
const DeliverySuffix = "dq"

var (
	dqPushScript = goredis.NewScript(`redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`)
	// dqDueScript makes ARGV[1] due at ARGV[2] unless it is in the set already (due, or
	// claimed), and keeps the set at least ARGV[3] ms (never shorter than a longer push made it).
	dqDueScript = goredis.NewScript(`redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`)
	dqClaimScript = goredis.NewScript(`local u = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #u == 0 then return false end
redis.call('ZADD', KEYS[1], 'XX', ARGV[2], u[1])
return u[1]`)
	// dqHastenScript moves ARGV[1] to ARGV[3] if it is still at ARGV[2] (not claimed since).
	dqHastenScript = goredis.NewScript(`if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1') == tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
end
return 1`)
	dqPopScript = goredis.NewScript(`if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then redis.call('LPOP', KEYS[1]) end
return redis.call('LLEN', KEYS[1])`)
	dqReplaceScript = goredis.NewScript(`if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then redis.call('LSET', KEYS[1], 0, ARGV[2]) end
return 1`)
)

// DeliveryQueue is the Redis deliver.Queue of one channel, shared by every replica. Get it from
// Store.DeliveryQueue.
type DeliveryQueue struct {
	s   *Store
	due string
	ttl time.Duration // the least the due set is kept when Release puts a user back
}

// DeliveryQueue returns the delivery queue of channel ("telegram", "whatsapp") and registers its
// keys with Erase. Registering again is harmless.
func (s *Store) DeliveryQueue(channel string) deliver.Queue {
	s.AddUserKeys(DeliverySuffix)
	return &DeliveryQueue{s: s, due: s.prefix + "{dq:" + channel + "}:due", ttl: 25 * time.Hour}
}

// Durable implements deliver.Durable: the queue outlives the process.
func (q *DeliveryQueue) Durable() bool { return true }

func (q *DeliveryQueue) key(user string) string { return q.s.UserKey(user, DeliverySuffix) }

// Push implements deliver.Queue: two round trips (the list, then the due set; on a cluster they
// live in different slots).
func (q *DeliveryQueue) Push(ctx context.Context, user string, item []byte, ttl time.Duration) error {
	if err := checkUser(user); err != nil {
		return err
	}
	if err := dqPushScript.Run(ctx, q.s.c, []string{q.key(user)}, item, ms(ttl)).Err(); err != nil {
		return fmt.Errorf("redis: delivery queue push: %w", err)
	}
	if err := dqDueScript.Run(ctx, q.s.c, []string{q.due}, user, time.Now().UnixMilli(), ms(ttl)).Err(); err != nil {
		return fmt.Errorf("redis: delivery queue push: %w", err)
	}
	return nil
}

// Len implements deliver.Queue.
func (q *DeliveryQueue) Len(ctx context.Context, user string) (int, error) {
	if err := checkUser(user); err != nil {
		return 0, err
	}
	n, err := q.s.c.LLen(ctx, q.key(user)).Result()
	if err != nil {
		return 0, fmt.Errorf("redis: delivery queue length: %w", err)
	}
	return int(n), nil
}

// Claim implements deliver.Queue.
func (q *DeliveryQueue) Claim(ctx context.Context, now time.Time, lease time.Duration) (string, error) {
	u, err := dqClaimScript.Run(ctx, q.s.c, []string{q.due}, now.UnixMilli(), now.Add(lease).UnixMilli()).Text()
	if errors.Is(err, goredis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("redis: delivery queue claim: %w", err)
	}
	return u, nil
}

// Head implements deliver.Queue.
func (q *DeliveryQueue) Head(ctx context.Context, user string) ([]byte, error) {
	b, err := q.s.c.LIndex(ctx, q.key(user), 0).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redis: delivery queue head: %w", err)
	}
	return b, nil
}

// Pop implements deliver.Queue.
func (q *DeliveryQueue) Pop(ctx context.Context, user string, head []byte) (int, error) {
	n, err := dqPopScript.Run(ctx, q.s.c, []string{q.key(user)}, head).Int()
	if err != nil {
		return 0, fmt.Errorf("redis: delivery queue pop: %w", err)
	}
	return n, nil
}

// Replace implements deliver.Queue.
func (q *DeliveryQueue) Replace(ctx context.Context, user string, head, next []byte) error {
	if bytes.Equal(head, next) {
		return nil
	}
	if err := dqReplaceScript.Run(ctx, q.s.c, []string{q.key(user)}, head, next).Err(); err != nil {
		return fmt.Errorf("redis: delivery queue replace: %w", err)
	}
	return nil
}

// Schedule implements deliver.Queue.
func (q *DeliveryQueue) Schedule(ctx context.Context, user string, at time.Time) error {
	if err := q.s.c.ZAddXX(ctx, q.due, goredis.Z{Score: float64(at.UnixMilli()), Member: user}).Err(); err != nil {
		return fmt.Errorf("redis: delivery queue schedule: %w", err)
	}
	return nil
}

// Release implements deliver.Queue: it removes the user from the due set, then looks at the
// list again and puts the user back if an item arrived. A push adds to the list before the due
// set, so whichever order the two meet in, a user with items stays due.
func (q *DeliveryQueue) Release(ctx context.Context, user string) error {
	if err := q.s.c.ZRem(ctx, q.due, user).Err(); err != nil {
		return fmt.Errorf("redis: delivery queue release: %w", err)
	}
	n, err := q.Len(ctx, user)
	if err != nil || n == 0 {
		return err
	}
	if err := dqDueScript.Run(ctx, q.s.c, []string{q.due}, user, time.Now().UnixMilli(), ms(q.ttl)).Err(); err != nil {
		return fmt.Errorf("redis: delivery queue release: %w", err)
	}
	return nil
}

// Hasten implements deliver.Queue in one round trip.
func (q *DeliveryQueue) Hasten(ctx context.Context, user string, from, to time.Time) error {
	if err := dqHastenScript.Run(ctx, q.s.c, []string{q.due}, user, from.UnixMilli(), to.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("redis: delivery queue hasten: %w", err)
	}
	return nil
}

var (
	_ deliver.Queue   = (*DeliveryQueue)(nil)
	_ deliver.Durable = (*DeliveryQueue)(nil)
)
