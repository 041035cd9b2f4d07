package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"
)

// TurnSuffix names the user's turn log key: <prefix>{<user>}:turn, the last turn whose replies
// went out (deliver.Turns). It lives in the user's hash tag, expires with the session TTL and goes
// with Erase. Not "t": that is the handoff's latest-ticket key (handoff.go).
const TurnSuffix = "turn"

// markScript raises the turn log to ARGV[1] unless it is already there, and renews its TTL: a
// replica that gave up waiting must not move the log back (MarkDelivered puts back with it what
// its SET overwrote).
const markScript = `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`

var markSHA = func() string {
	h := sha1.Sum([]byte(markScript))
	return hex.EncodeToString(h[:])
}()

// DeliveredTurn implements deliver.Turns.
func (s *Store) DeliveredTurn(ctx context.Context, user string) (uint64, error) {
	if user == "" {
		return 0, errNoUser
	}
	cmd := goredis.NewStringCmd(ctx, "get", s.UserKey(user, TurnSuffix))
	err := s.batch.do(ctx, cmd)
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis: reading the turn log: %w", err)
	}
	v := cmd.Val()
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redis: turn log holds %d bytes that are not a number", len(v))
	}
	return n, nil
}

// MarkDelivered implements deliver.Turns in one command, SET with GET: turns are marked in
// order nearly always, so the record is written first and checked after. When it held a later
// turn (a replica that gave up waiting for this one went on), the script puts that back; until
// then a reader sees the record a turn or so behind and waits a little longer, never sends early.
func (s *Store) MarkDelivered(ctx context.Context, user string, turn uint64) error {
	if user == "" {
		return errNoUser
	}
	key := s.UserKey(user, TurnSuffix)
	n := strconv.FormatUint(turn, 10)
	set := goredis.NewStringCmd(ctx, "set", key, n, "px", s.ttlArg, "get")
	err := s.batch.do(ctx, set)
	if errors.Is(err, goredis.Nil) {
		return nil // there was none
	}
	if err != nil {
		return fmt.Errorf("redis: writing the turn log: %w", err)
	}
	old, perr := strconv.ParseUint(set.Val(), 10, 64)
	if perr != nil || old <= turn {
		return nil
	}
	if err := s.batch.eval(ctx, markSHA, markScript, []string{key}, set.Val(), s.ttlArg).Err(); err != nil {
		return fmt.Errorf("redis: writing the turn log: %w", err)
	}
	return nil
}
