package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/returnbot/returnbot/bot"
)

// openRedis connects to REDIS_URL or REDIS_CLUSTER_ADDRS.
func openRedis(ctx context.Context, c config, log *slog.Logger) (bot.Store, func(), error) {
	return nil, nil, errors.New("Redis support is not built yet; unset REDIS_URL to use the in-process store")
}
