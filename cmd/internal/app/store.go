package app

import (
	"context"
	"crypto/rand"
	"log/slog"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/metrics"
)

// processSecret keys pseudonyms when no RETURNBOT_SECRET is set and nothing is persisted.
var processSecret = func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}()

// OpenStore returns the store c names (Redis, or this process's memory) and a function that
// releases it, as Main opens it but without metrics (`returnbot chat`).
func OpenStore(ctx context.Context, c Config, log *slog.Logger) (bot.Store, func(), error) {
	return openStore(ctx, c, log, nil)
}

// openStore returns the configured store and a function that releases it. m, when not nil,
// counts every Redis command that fails and every session the in-process store evicts.
func openStore(ctx context.Context, c Config, log *slog.Logger, m *metrics.Metrics) (bot.Store, func(), error) {
	var redisError func(command string)
	var evicted func()
	if m != nil {
		redisError, evicted = m.RedisError, m.SessionEvicted
	}
	if c.UsesRedis() {
		return openRedis(ctx, c, log, redisError)
	}
	return inmem.NewWithLimits(c.SessionTTL, inmem.Limits{Sessions: c.MemorySessions, Evicted: evicted}), func() {}, nil
}
