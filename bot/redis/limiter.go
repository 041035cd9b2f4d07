package redis

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"
)

// ReserveHorizon is how far ahead Reserve hands out tokens. Within it every call takes a token
// and waits grow with each call; past it (a sender or client that keeps going while told to wait)
// a call takes no token and is told to wait until its turn would come. It bounds how long a
// flood keeps a bucket empty after it stops.
const ReserveHorizon = time.Minute

// Reserve implements bot.Limiter with redis_rate's GCRA script, so every replica draws from the
// same buckets, kept at <prefix>rl:<key> with a TTL of the time until the bucket is full again.
//
// redis_rate answers "allowed now or not" and takes nothing when it refuses, but Reserve must take
// a token and say how long to wait for it. So the bucket is asked with room for burst plus the
// tokens that refill within ReserveHorizon: a call is allowed while its token is at most the
// horizon away, and its wait is how far that token lies beyond the real burst.
func (s *Store) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	if perSecond <= 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
		return 0, nil
	}
	burst = max(burst, 1)
	interval := max(time.Duration(float64(time.Second)/perSecond), time.Microsecond)
	ahead := max(int(math.Ceil(float64(ReserveHorizon)/float64(interval))), 1)
	res, err := s.limiter.Allow(ctx, s.prefix+"rl:"+key, redis_rate.Limit{Rate: 1, Period: interval, Burst: burst + ahead})
	if err != nil {
		return 0, fmt.Errorf("redis: rate limit: %w", err)
	}
	if res.Allowed == 0 {
		// No token taken: the caller's token would be RetryAfter beyond the horizon.
		return res.RetryAfter + time.Duration(ahead)*interval, nil
	}
	// ResetAfter is how far the bucket's schedule now reaches; the first burst tokens of it are free.
	return max(res.ResetAfter-time.Duration(burst)*interval, 0), nil
}

// rateClient hands redis_rate a client that drops the "rate:" it puts before every key, so rate
// limits live under the store's prefix (rb:rl:...) like every other key of the bot.
type rateClient struct{ goredis.UniversalClient }

const ratePrefix = "rate:"

func unprefix(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.TrimPrefix(k, ratePrefix)
	}
	return out
}

func (c rateClient) Eval(ctx context.Context, script string, keys []string, args ...any) *goredis.Cmd {
	return c.UniversalClient.Eval(ctx, script, unprefix(keys), args...)
}

func (c rateClient) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *goredis.Cmd {
	return c.UniversalClient.EvalSha(ctx, sha1, unprefix(keys), args...)
}

func (c rateClient) EvalRO(ctx context.Context, script string, keys []string, args ...any) *goredis.Cmd {
	return c.UniversalClient.EvalRO(ctx, script, unprefix(keys), args...)
}

func (c rateClient) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *goredis.Cmd {
	return c.UniversalClient.EvalShaRO(ctx, sha1, unprefix(keys), args...)
}

func (c rateClient) Del(ctx context.Context, keys ...string) *goredis.IntCmd {
	return c.UniversalClient.Del(ctx, unprefix(keys)...)
}
