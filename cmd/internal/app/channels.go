package app

import (
	"context"
	bataudio "github.com/returnbot/returnbot/bot/audio"
	"log/slog"
	"net/http"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/metrics"
)

// channel is one way users reach the bot (Telegram, WhatsApp, the web chat).
type channel interface {
	// Describe says in one line how the channel runs, for the start-up message.
	Describe() string
	// Routes adds the channel's HTTP handlers, if any.
	Routes(mux *http.ServeMux)
	// Run serves until ctx is cancelled, then finishes what is in flight and returns.
	Run(ctx context.Context) error
}

// channelFactory builds a channel from the environment, or returns nil when it is not configured.
type channelFactory func(env deps) (channel, error)

// deps is what a channel needs from the process.
type deps struct {
	cfg   Config
	bot   *bot.Bot
	pack  *flow.Pack
	log   *slog.Logger
	store bot.Store
	// metrics counts what channels do (replies sent, failed, throttled; delivery statuses).
	metrics *metrics.Metrics
	// handoff runs tickets, staff commands and reminders (handoff.go).
	handoff *handoff.Service
	// audio is the office's recorded answers (audio.go); channels send them on Listen.
	audio *bataudio.Library
}

// channelFactories are the channels Main builds, in this order (which is also the order of their
// routes and of the "channels:" start-up line). Each returns nil when it is not configured.
var channelFactories = []channelFactory{newTelegram, newWebchat, newWhatsApp}
