package redis

import (
	"context"
	"fmt"
	"math"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
)

// The handoff's admission limits (tickets opened, staff code look-ups): token buckets that refuse
// rather than make the caller wait, unlike Reserve. Each bucket is kept at
// <prefix>rl:{handoff}:<key> as the time in microseconds of the server's clock when it is full
// again (GCRA), with a TTL of that time. The hash tag puts every such bucket in one cluster slot,
// so that one script can take a user's and the overall bucket together; they are few and small.
const handoffAdmitTag = "{handoff}:"

// handoffAdmitScript takes one token of every bucket KEYS when each has one (returns 1), else none
// (returns 0). ARGV: interval µs and burst per key.
const handoffAdmitScript = `if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next = {}
for i, key in ipairs(KEYS) do
  local interval, burst = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])
  local tat = math.max(tonumber(redis.call('GET', key) or '0') or 0, now)
  if tat - now > (burst - 1) * interval then return 0 end
  next[i] = tat + interval
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%d', next[i]), 'PX', math.floor((next[i] - now) / 1000) + 1)
end
return 1`

// refundScript gives back one token of KEYS[1] (interval µs ARGV[1]).
const refundScript = `if redis.replicate_commands then redis.replicate_commands() end
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if cur == 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = cur - tonumber(ARGV[1])
if tat <= now then redis.call('DEL', KEYS[1]) return 1 end
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
return 1`

var (
	admit  = goredis.NewScript(handoffAdmitScript)
	refund = goredis.NewScript(refundScript)
)

func (h *Handoff) bucketKey(key string) string { return h.s.Key("rl:" + handoffAdmitTag + key) }

// bucketInterval is a bucket's token interval in µs; 0 means no limit.
func bucketInterval(b bot.Bucket) int64 {
	if b.PerSecond <= 0 || math.IsNaN(b.PerSecond) || math.IsInf(b.PerSecond, 0) {
		return 0
	}
	return max(int64(1e6/b.PerSecond), 1)
}

// Admit implements handoff.Store in one script.
func (h *Handoff) Admit(ctx context.Context, buckets ...bot.Bucket) (bool, error) {
	var keys []string
	var args []any
	for _, b := range buckets {
		if iv := bucketInterval(b); iv > 0 {
			keys = append(keys, h.bucketKey(b.Key))
			args = append(args, iv, max(b.Burst, 1))
		}
	}
	if len(keys) == 0 {
		return true, nil
	}
	n, err := admit.Run(ctx, h.c, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("redis: admission limit: %w", err)
	}
	return n == 1, nil
}

// Refund implements handoff.Store.
func (h *Handoff) Refund(ctx context.Context, b bot.Bucket) error {
	iv := bucketInterval(b)
	if iv == 0 {
		return nil
	}
	if err := refund.Run(ctx, h.c, []string{h.bucketKey(b.Key)}, iv).Err(); err != nil {
		return fmt.Errorf("redis: admission limit: %w", err)
	}
	return nil
}
