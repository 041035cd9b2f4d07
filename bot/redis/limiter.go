package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
)

// ReserveHorizon is how far ahead Reserve hands out tokens. Within it every call takes a token
// and waits grow with each call; past it (a sender or client that keeps going while told to wait)
// a call takes no token and is told to wait until its turn would come. It bounds how long a
// flood keeps a bucket empty after it stops.
const ReserveHorizon = time.Minute

// reserveScript is GCRA with reservations over the buckets KEYS, chained: a bucket is asked at
// the time the buckets before it let the message go. Each key holds its bucket's theoretical
// arrival time (TAT) in microseconds of the server's clock: a token taken at time a moves it to
// max(TAT, a) + interval, and the message may go once TAT - burst*interval is reached. Tokens are
// recorded at the time the message really goes (the last bucket's), so that a bucket held up by
// a later one does not hand its next tokens out too early. Past the horizon nothing is taken.
// ARGV: horizon µs, then interval µs and burst per key. Returns the wait in µs.
//
// TIME needs effect replication, the default from Redis 7; replicate_commands turns it on in
// Redis 5 and 6.
const reserveScript = `if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local at = now
local old = {}
for i, key in ipairs(KEYS) do
  local interval, burst = tonumber(ARGV[2*i]), tonumber(ARGV[2*i+1])
  local tat = math.max(tonumber(redis.call('GET', key) or '0') or 0, at)
  old[i] = tat
  at = math.max(at, tat + interval - burst * interval)
end
local wait = at - now
if wait > tonumber(ARGV[1]) then return wait end
for i, key in ipairs(KEYS) do
  local tat = math.max(old[i], at) + tonumber(ARGV[2*i])
  redis.call('SET', key, string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
end
return wait`

var reserveSHA = func() string {
	h := sha1.Sum([]byte(reserveScript))
	return hex.EncodeToString(h[:])
}()

// pacedTag is the hash tag of ReserveAll's keys: a script may only touch keys of one cluster
// slot. Every message takes a token of the global bucket anyway, so keeping the chats' buckets
// on its node adds no hop.
const pacedTag = "{paced}:"

// Reserve implements bot.Limiter with one bucket, kept at <prefix>rl:<key> with a TTL of the
// time until the bucket is full again, so every replica draws from the same buckets.
func (s *Store) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	return s.reserve(ctx, "", []bot.Bucket{{Key: key, PerSecond: perSecond, Burst: burst}})
}

// ReserveAll implements deliver.ChainLimiter in one round trip. Its buckets live at
// <prefix>rl:{paced}:<key>, apart from Reserve's.
func (s *Store) ReserveAll(ctx context.Context, buckets ...bot.Bucket) (time.Duration, error) {
	return s.reserve(ctx, pacedTag, buckets)
}

func (s *Store) reserve(ctx context.Context, tag string, buckets []bot.Bucket) (time.Duration, error) {
	keys := make([]string, 0, len(buckets))
	args := make([]any, 1, 1+2*len(buckets))
	args[0] = ReserveHorizon.Microseconds()
	for _, b := range buckets {
		if b.PerSecond <= 0 || math.IsNaN(b.PerSecond) || math.IsInf(b.PerSecond, 0) {
			continue // no limit
		}
		interval := max(int64(1e6/b.PerSecond), 1)
		keys = append(keys, s.prefix+"rl:"+tag+b.Key)
		args = append(args, interval, max(b.Burst, 1))
	}
	if len(keys) == 0 {
		return 0, nil
	}
	res, err := s.batch.eval(ctx, reserveSHA, reserveScript, keys, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis: rate limit: %w", err)
	}
	return time.Duration(max(res, 0)) * time.Microsecond, nil
}

var _ deliver.ChainLimiter = (*Store)(nil)

// leaseScript is reserveScript's GCRA for n tokens of one bucket KEYS[1] at once: the TAT moves
// n intervals on, and token i (from 0) may go at now + max(0, first + i*interval), where first
// (returned, in µs, negative while the bucket has room) is when the first token's TAT less the
// burst is reached. Past the horizon nothing is taken. ARGV: horizon µs, interval µs, burst, n.
// Returns {first, tokens taken}.
const leaseScript = `if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, burst, n = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') or 0, now)
local first = tat - (burst - 1) * interval - now
if first > tonumber(ARGV[1]) then return {first, 0} end
tat = tat + n * interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
return {first, n}`

var leaseSHA = func() string {
	h := sha1.Sum([]byte(leaseScript))
	return hex.EncodeToString(h[:])
}()

// Lease implements deliver.Leaser in one round trip. The bucket is ReserveAll's (under
// <prefix>rl:{paced}:<key>), so leases and single reservations of one key draw from one bucket.
func (s *Store) Lease(ctx context.Context, b bot.Bucket, n int) (time.Duration, int, error) {
	if b.PerSecond <= 0 || math.IsNaN(b.PerSecond) || math.IsInf(b.PerSecond, 0) || n < 1 {
		return 0, n, nil // no limit
	}
	res, err := s.batch.eval(ctx, leaseSHA, leaseScript, []string{s.prefix + "rl:" + pacedTag + b.Key},
		ReserveHorizon.Microseconds(), max(int64(1e6/b.PerSecond), 1), max(b.Burst, 1), n).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("redis: rate limit: %w", err)
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("redis: rate limit: %d values from the lease script", len(res))
	}
	return time.Duration(res[0]) * time.Microsecond, int(res[1]), nil
}

var _ deliver.Leaser = (*Store)(nil)

// admitScript is GCRA admission over the buckets KEYS, all or none: a bucket has a token while
// its TAT (as in reserveScript) lies at most burst-1 intervals ahead of now. When every bucket
// has one, each TAT moves one interval on and 0 is returned; otherwise nothing is written and
// the wait until the last bucket has a token is returned, in µs. ARGV: interval µs and burst
// per key.
const admitScript = `if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval, burst = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])
  local tat = math.max(tonumber(redis.call('GET', key) or '0') or 0, now)
  tats[i] = tat
  wait = math.max(wait, tat + interval - burst * interval - now)
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local tat = tats[i] + tonumber(ARGV[2*i-1])
  redis.call('SET', key, string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
end
return 0`

var admitSHA = func() string {
	h := sha1.Sum([]byte(admitScript))
	return hex.EncodeToString(h[:])
}()

// admitTag is the hash tag of Admit's keys, for the same reason as pacedTag: one script, one
// slot. Admission runs once per web chat request, a small share of a node's capacity.
const admitTag = "{admit}:"

// Admit implements bot.Admitter in one round trip. Its buckets live at <prefix>rl:{admit}:<key>
// with a TTL of the time until the bucket is full again.
func (s *Store) Admit(ctx context.Context, buckets ...bot.Bucket) (time.Duration, error) {
	keys := make([]string, 0, len(buckets))
	args := make([]any, 0, 2*len(buckets))
	for _, b := range buckets {
		if b.PerSecond <= 0 || math.IsNaN(b.PerSecond) || math.IsInf(b.PerSecond, 0) {
			continue // no limit
		}
		keys = append(keys, s.prefix+"rl:"+admitTag+b.Key)
		args = append(args, max(int64(1e6/b.PerSecond), 1), max(b.Burst, 1))
	}
	if len(keys) == 0 {
		return 0, nil
	}
	res, err := s.batch.eval(ctx, admitSHA, admitScript, keys, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis: rate limit: %w", err)
	}
	return time.Duration(max(res, 0)) * time.Microsecond, nil
}

var _ bot.Admitter = (*Store)(nil)
