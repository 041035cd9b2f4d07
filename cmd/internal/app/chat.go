package app

import (
	"context"
	"log/slog"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/metrics"
)

// Chat builds what `returnbot chat` talks to: the store, the bot and the same handoff service as
// serve (the office calendar, the day buttons, visit codes and reminders), without channels or an
// HTTP server, so a content editor sees what users see. Nobody answers a chat in a terminal, so
// "chat now" offers the phone and a visit, as serve does with no staff set up. close releases the
// store.
func Chat(ctx context.Context, cfg Config, pack *flow.Pack, log *slog.Logger) (b *bot.Bot, close func(), err error) {
	met := metrics.New()
	store, closeStore, err := openStore(ctx, cfg, log, met)
	if err != nil {
		return nil, nil, err
	}
	b = bot.New(pack.Engine, store, log)
	d := deps{cfg: cfg, bot: b, pack: pack, log: log, store: store, metrics: met}
	if _, err := newHandoff(d); err != nil {
		closeStore()
		return nil, nil, err
	}
	pack.Engine.SetStaffAvailable(func() bool { return false })
	return b, closeStore, nil
}
