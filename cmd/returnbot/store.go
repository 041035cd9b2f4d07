package main

import (
	"context"
	"crypto/rand"
	"log/slog"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
)

// processSecret keys pseudonyms when no RETURNBOT_SECRET is set and nothing is persisted.
var processSecret = func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}()

// openStore returns the configured store and a function that releases it. redisError, when not
// nil, is told the name of every Redis command that fails (serve passes the metrics').
func openStore(ctx context.Context, c config, log *slog.Logger, redisError func(command string)) (bot.Store, func(), error) {
	if c.usesRedis() {
		return openRedis(ctx, c, log, redisError)
	}
	return inmem.New(c.sessionTTL), func() {}, nil
}
