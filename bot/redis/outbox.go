package redis

// The web chat outbox (outbox.Outbox) next to the sessions.
//
// Keys (every key carries a TTL):
//
//	rb:{<user>}:wo    the user's waiting items, a list of "<seq>:<data>", oldest first
//	rb:{<user>}:wos   the latest seq handed out, so seqs keep growing after the list empties
//
// Both keys share the user's hash tag (one slot, so one script reaches both on a cluster) and
// are registered with AddUserKeys, so Erase ("forget me") deletes them.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot/outbox"
)

// Outbox key suffixes.
const (
	outboxSuffix    = "wo"
	outboxSeqSuffix = "wos"
)

// outboxPushScript appends ARGV[2] to the list KEYS[1] under the next seq (ARGV[1], the push time
// in microseconds, or one more than the seq in KEYS[2] when that is not smaller), keeps the
// newest ARGV[4] items and sets both keys' TTL to ARGV[3] ms. It returns the seq. Seqs are below
// 2^53, so Lua's doubles hold them exactly; %.0f prints them without an exponent.
var outboxPushScript = goredis.NewScript(`local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local seq = tonumber(ARGV[1])
if seq <= last then seq = last + 1 end
local s = string.format('%.0f', seq)
redis.call('SET', KEYS[2], s, 'PX', ARGV[3])
redis.call('RPUSH', KEYS[1], s .. ':' .. ARGV[2])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[4]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return s`)

// outboxFetchScript drops the items of KEYS[1] whose seq is at most ARGV[1] (they are at the head,
// in order) and returns the rest.
var outboxFetchScript = goredis.NewScript(`local ack = tonumber(ARGV[1])
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then break end
  local i = string.find(head, ':', 1, true)
  if i and tonumber(string.sub(head, 1, i - 1)) > ack then break end
  redis.call('LPOP', KEYS[1])
end
return redis.call('LRANGE', KEYS[1], 0, -1)`)

// Outbox is the Redis outbox.Outbox, shared by every replica. Get it from Store.Outbox.
type Outbox struct {
	s   *Store
	now func() time.Time
}

// Outbox returns an outbox.Outbox on the store's Redis and registers its keys with Erase, so
// that "forget me" deletes what waits for the user. Registering again is harmless.
func (s *Store) Outbox() outbox.Outbox {
	s.AddUserKeys(outboxSuffix, outboxSeqSuffix)
	return &Outbox{s: s, now: time.Now}
}

// Push implements outbox.Outbox.
func (o *Outbox) Push(ctx context.Context, user string, data []byte, ttl time.Duration) (int64, error) {
	if err := checkUser(user); err != nil {
		return 0, err
	}
	keys := []string{o.s.UserKey(user, outboxSuffix), o.s.UserKey(user, outboxSeqSuffix)}
	res, err := outboxPushScript.Run(ctx, o.s.c, keys, o.now().UnixMicro(), data, ms(ttl), outbox.MaxItems).Text()
	if err != nil {
		return 0, fmt.Errorf("redis: outbox push: %w", err)
	}
	seq, err := strconv.ParseInt(res, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redis: outbox push answered %q", res)
	}
	return seq, nil
}

// Fetch implements outbox.Outbox.
func (o *Outbox) Fetch(ctx context.Context, user string, ack int64) ([]outbox.Item, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	raw, err := outboxFetchScript.Run(ctx, o.s.c, []string{o.s.UserKey(user, outboxSuffix)}, ack).StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: outbox fetch: %w", err)
	}
	items := make([]outbox.Item, 0, len(raw))
	for _, r := range raw {
		s, data, ok := strings.Cut(r, ":")
		seq, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil {
			return nil, errors.New("redis: malformed outbox item")
		}
		items = append(items, outbox.Item{Seq: seq, Data: []byte(data)})
	}
	return items, nil
}

// Erase implements outbox.Outbox: the same keys Store.Erase deletes, for callers that erase the
// outbox alone.
func (o *Outbox) Erase(ctx context.Context, user string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	if err := o.s.c.Del(ctx, o.s.UserKey(user, outboxSuffix), o.s.UserKey(user, outboxSeqSuffix)).Err(); err != nil {
		return fmt.Errorf("redis: erasing an outbox: %w", err)
	}
	return nil
}

var _ outbox.Outbox = (*Outbox)(nil)
