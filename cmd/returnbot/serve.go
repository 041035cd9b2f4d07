package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
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
	cfg   config
	bot   *bot.Bot
	pack  *flow.Pack
	log   *slog.Logger
	store bot.Store
	// metrics counts what channels do (replies sent, failed, throttled; delivery statuses).
	metrics *metrics.Metrics
	// handoff runs tickets, staff commands and reminders (handoff.go).
	handoff *handoff.Service
}

// channelFactories is filled by the files that wire each channel.
var channelFactories []channelFactory

// shutdownGrace bounds how long in-flight work may take after SIGTERM.
const shutdownGrace = 10 * time.Second

func serveCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	cfg := configFromEnv()
	fl.StringVar(&cfg.addr, "addr", cfg.addr, "HTTP listen address (RETURNBOT_ADDR)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	log := newLogger(stderr, os.Getenv("RETURNBOT_LOG_LEVEL"))
	if err := cfg.check(); err != nil {
		fmt.Fprintln(stderr, "returnbot:", err)
		return 1
	}
	lim := serveLimits
	var err error
	if lim.MaxConns, err = maxConnsFromEnv(cfg.env, lim.MaxConns); err != nil {
		fmt.Fprintln(stderr, "returnbot:", err)
		return 1
	}
	pack, err := cf.load()
	if err != nil {
		fmt.Fprintln(stderr, "returnbot: the content has errors:")
		fmt.Fprintln(stderr, err)
		return 1
	}
	if n := len(pack.Report.Missing); n > 0 {
		log.Warn("some texts are not translated; the default language fills in", "missing", n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := metrics.New()
	store, closeStore, err := openStore(ctx, cfg, log, m)
	if err != nil {
		fmt.Fprintln(stderr, "returnbot:", err)
		return 1
	}
	defer closeStore()
	if !cfg.usesRedis() {
		log.Warn("REDIS_URL is not set: sessions live in this process only and are lost on restart; use Redis in production")
	}
	b := bot.New(pack.Engine, store, log)
	b.Observe(m)
	d := deps{cfg: cfg, bot: b, pack: pack, log: log, store: store, metrics: m}
	if d.handoff, err = newHandoff(d); err != nil {
		fmt.Fprintln(stderr, "returnbot:", err)
		return 1
	}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	ready := &readiness{store: store, log: log} // ready.go
	mux.Handle("GET /readyz", ready)
	var channels []channel
	for _, f := range channelFactories {
		ch, err := f(d)
		if err != nil {
			fmt.Fprintln(stderr, "returnbot:", err)
			return 1
		}
		if ch != nil {
			ch.Routes(mux)
			channels = append(channels, ch)
		}
	}

	ws, err := mountStaff(d, mux) // staff.go: the workspace under /staff
	if err != nil {
		fmt.Fprintln(stderr, "returnbot:", err)
		return 1
	}
	if !staffChatConfigured(cfg) {
		// Without a staff chat, only a staff account in the workspace could answer a chat; with
		// neither, the handoff offers the phone and a visit instead of promising a counsellor
		// who never comes (issue 19, item 6).
		pack.Engine.SetStaffAvailable(ws.staff.Load)
		if !ws.staff.Load() {
			log.Warn("no staff chat is set up (TELEGRAM_TOKEN and TELEGRAM_STAFF_CHAT_ID) and no staff account exists: \"chat now\" is not offered; users are offered the phone and a visit")
		}
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		fmt.Fprintln(stderr, "returnbot:", err)
		return 1
	}
	srv, capped := newHTTPServer(mux, ln, lim, log)
	fmt.Fprintf(stdout, "returnbot listening on http://%s (%d flows, %d languages)\n", ln.Addr(), len(pack.Content.Flows), len(pack.Catalog.Languages()))
	ws.setupLink(ctx, ln.Addr(), stdout)
	if len(channels) == 0 {
		fmt.Fprintln(stdout, "no channels configured: set TELEGRAM_TOKEN or WHATSAPP_TOKEN (see README)")
	}
	var names []string
	for _, ch := range channels {
		names = append(names, ch.Describe())
	}
	if len(names) > 0 {
		fmt.Fprintln(stdout, "channels: "+strings.Join(names, "; "))
	}

	var wg sync.WaitGroup
	errs := make(chan error, len(channels)+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.handoff.RunReminders(ctx, time.Minute) // each reminder once, across replicas
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		ready.watch(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		ws.run(ctx, log)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(capped); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- err
		}
	}()
	// The channels stop after the HTTP server: a webhook request still in flight at SIGTERM hands
	// its messages to a channel that is not yet draining (a WhatsApp message queued while the
	// adapter already waits for its queue to empty was a data race, and could be cut off).
	chCtx, stopChannels := context.WithCancel(context.WithoutCancel(ctx))
	defer stopChannels()
	for _, ch := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ch.Run(chCtx); err != nil && !errors.Is(err, context.Canceled) {
				errs <- err
			}
		}()
	}
	code := 0
	select {
	case <-ctx.Done():
	case err := <-errs:
		log.Error("stopping after a fatal error", "err", err)
		code = 1
		stop()
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Half the grace for the requests in flight (bounded by WriteTimeout anyway), the rest for
	// the channels to drain.
	hctx, hcancel := context.WithTimeout(sctx, shutdownGrace/2)
	_ = srv.Shutdown(hctx)
	hcancel()
	stopChannels()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		log.Warn("shutdown grace period over; exiting with work in flight")
	}
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
func staffChatConfigured(cfg config) bool {
	return strings.TrimSpace(cfg.env("TELEGRAM_TOKEN")) != "" && strings.TrimSpace(cfg.env("TELEGRAM_STAFF_CHAT_ID")) != ""
}
