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

// openStore returns the configured store and a function that releases it.
func openStore(ctx context.Context, c config, log *slog.Logger) (bot.Store, func(), error) {
	if c.usesRedis() {
		return openRedis(ctx, c, log)
	}
	return inmem.New(c.sessionTTL), func() {}, nil
}
