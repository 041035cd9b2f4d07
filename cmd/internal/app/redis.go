package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	rstore "github.com/returnbot/returnbot/bot/redis"
)

// redisStartupWait is how long start-up waits for Redis to answer: in a compose file or a pod the
// bot may start a moment before Redis does.
var redisStartupWait = 10 * time.Second

// openRedis connects to REDIS_URL or REDIS_CLUSTER_ADDRS and returns the Redis store once Redis
// answers, or an error that says what is wrong. redisError, when not nil, counts failed commands.
func openRedis(ctx context.Context, c Config, log *slog.Logger, redisError func(command string)) (bot.Store, func(), error) {
	redisLoggerOnce.Do(func() { goredis.SetLogger(redisLogger{}) })
	redisLog.Store(log)
	var client goredis.UniversalClient
	var where string
	switch {
	case c.RedisURL != "" && c.RedisClusterAddrs != "":
		return nil, nil, errors.New("both REDIS_URL and REDIS_CLUSTER_ADDRS are set; set one of them")
	case c.RedisClusterAddrs != "":
		cc, err := rstore.NewClusterClient(strings.Split(c.RedisClusterAddrs, ","))
		if err != nil {
			return nil, nil, err
		}
		client, where = cc, "the Redis Cluster at "+strings.Join(cc.Options().Addrs, ",")
	default:
		cl, err := rstore.NewClient(c.RedisURL)
		if err != nil {
			return nil, nil, err
		}
		// The address only: the URL may carry a password.
		client, where = cl, "Redis at "+cl.Options().Addr
	}
	if redisError != nil {
		// Before the first command: on a cluster only the node clients made after this see dials.
		rstore.CountErrors(client, redisError)
	}
	store, err := rstore.New(client, rstore.Options{TTL: c.SessionTTL})
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	if err := waitForRedis(ctx, store, log, where); err != nil {
		store.Close()
		return nil, nil, err
	}
	log.Info("sessions are kept in Redis", "redis", where, "session_ttl", c.SessionTTL.String())
	return store, func() { _ = store.Close() }, nil
}

// waitForRedis pings until Redis answers or redisStartupWait is over.
func waitForRedis(ctx context.Context, s *rstore.Store, log *slog.Logger, where string) error {
	ctx, cancel := context.WithTimeout(ctx, redisStartupWait)
	defer cancel()
	for warned := false; ; warned = true {
		err := s.Ping(ctx)
		if err == nil {
			return nil
		}
		var answer goredis.Error
		if errors.As(err, &answer) {
			// Redis is there but refuses (a wrong password, a single node given as a cluster):
			// waiting will not help.
			return fmt.Errorf("%s answered with an error: %v", where, err)
		}
		if !warned {
			log.Warn("Redis does not answer yet; waiting", "redis", where, "err", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cannot reach %s: %v (check REDIS_URL or REDIS_CLUSTER_ADDRS and that Redis is running)", where, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// redisLog receives go-redis's own messages (failed dials, cluster state), which it would
// otherwise print to stderr past the structured log.
var redisLog atomic.Pointer[slog.Logger]

// redisLoggerOnce installs redisLogger as go-redis's logger when the first Redis store is built:
// go-redis has one logger per process, and a process without Redis has nothing to route.
var redisLoggerOnce sync.Once

// redisLogger passes go-redis's messages to redisLog, at most one per redisLogEvery: during an
// outage go-redis reports every failed dial, and the bot already logs the outage itself.
type redisLogger struct{}

const redisLogEvery = 10 * time.Second

var redisLogLast, redisLogDropped atomic.Int64

func (redisLogger) Printf(_ context.Context, format string, v ...any) {
	log := redisLog.Load()
	if log == nil {
		return
	}
	now, last := time.Now().UnixNano(), redisLogLast.Load()
	if now-last < int64(redisLogEvery) || !redisLogLast.CompareAndSwap(last, now) {
		redisLogDropped.Add(1)
		return
	}
	log.Warn("redis client: "+fmt.Sprintf(format, v...), "dropped_since_last", redisLogDropped.Swap(0))
}
