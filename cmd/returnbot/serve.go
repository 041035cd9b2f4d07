package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

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
}

// channelFactories are the channels Main builds, in this order (which is also the order of their
// routes and of the "channels:" start-up line). Each returns nil when it is not configured.
var channelFactories = []channelFactory{newTelegram, newWebchat, newWhatsApp}

// shutdownGrace bounds how long in-flight work may take after SIGTERM.
const shutdownGrace = 10 * time.Second

// serveCmd runs the bot until SIGINT or SIGTERM: ConfigFromEnv, Main.Run, the signal, Main.Close.
func serveCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	cfg, cfgErr := ConfigFromEnv(os.Getenv)
	fl.StringVar(&cfg.Addr, "addr", cfg.Addr, "HTTP listen address (RETURNBOT_ADDR)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if cfgErr != nil {
		fmt.Fprintln(stderr, "returnbot:", cfgErr)
		return 1
	}
	cfg.Flows, cfg.Locales = cf.flows, cf.locales
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Config: cfg, Stdout: stdout, Stderr: stderr}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "returnbot:", err)
		return 1
	}
	code := 0
	select {
	case <-ctx.Done():
	case err := <-m.Err():
		m.Log().Error("stopping after a fatal error", "err", err)
		code = 1
		stop()
	}
	_ = m.Close()
	return code
}

// newLogger logs JSON at the level named by RETURNBOT_LOG_LEVEL (debug, info, warn, error).
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// staffChatConfigured reports whether staff can answer chats: today only through the Telegram
// staff group, which needs the bot token and the group's id.
func staffChatConfigured(cfg Config) bool {
	return strings.TrimSpace(cfg.env("TELEGRAM_TOKEN")) != "" && strings.TrimSpace(cfg.env("TELEGRAM_STAFF_CHAT_ID")) != ""
}
