package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/metrics"
	"github.com/returnbot/returnbot/bot/telegram"
)

// Main is the running bot: Run builds the store, the content, the channels and the HTTP server
// from Config and starts them; Close stops them in order. `serve` and the end-to-end tests run
// it alike (the cmd pattern of github.com/benbjohnson/wtf, cmd/wtfd).
type Main struct {
	// Config is what to build; see ConfigFromEnv.
	Config Config
	// Stdout gets the start-up lines (address, channels); Stderr the JSON log. Nil: discarded.
	Stdout, Stderr io.Writer
	// Listener, when set, is served instead of listening on Config.Addr (a caller that must know
	// the address before Run, such as a webhook URL naming the port).
	Listener net.Listener
	// Pack, when set, is the content already loaded (LoadContent), used instead of loading
	// Config.Flows and Config.Locales; Run sets its engine's calendar and staff availability.
	Pack *flow.Pack

	log      *slog.Logger
	pack     *flow.Pack
	store    bot.Store
	closers  []func() // run by Close in reverse order once the work has stopped
	channels []channel
	srv      *http.Server
	ln       net.Listener

	cancel       context.CancelFunc // stops the background work (reminders, readiness)
	stopChannels context.CancelFunc
	wg           sync.WaitGroup
	errs         chan error
	closeOnce    sync.Once
}

// route is one handler the HTTP server mounts, by ServeMux pattern.
type route struct {
	pattern string
	handler http.Handler
}

// Run builds everything and starts serving; it returns once the server listens (Addr), or with
// what stopped it from starting, having released what it had built. ctx bounds the start-up
// (waiting for Redis); the work runs until Close.
func (m *Main) Run(ctx context.Context) (err error) {
	stdout, stderr := m.Stdout, m.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	defer func() {
		if err != nil {
			m.release()
		}
	}()
	cfg := m.Config
	log := NewLogger(stderr, cfg.LogLevel)
	m.log = log
	// The store first: an unreachable Redis is reported at once, not after the seconds that
	// loading the content (training the classifier) takes.
	met := metrics.New()
	store, closeStore, err := openStore(ctx, cfg, log, met)
	if err != nil {
		return err
	}
	m.store = store
	m.closers = append(m.closers, closeStore)
	pack := m.Pack
	if pack == nil {
		if pack, err = LoadContent(cfg.Flows, cfg.Locales, cfg.SessionTTL); err != nil {
			return fmt.Errorf("the content has errors:\n%w", err)
		}
	}
	m.pack = pack
	clips, probs := LoadAudio(cfg.Audio, pack)
	if len(probs) > 0 {
		return fmt.Errorf("the recordings have errors (returnbot validate lists them):\n%w", audioErrors(probs))
	}
	pack.Engine.SetRecordings(clips)
	if n := len(pack.Report.Missing); n > 0 {
		log.Warn("some texts are not translated; the default language fills in", "missing", n)
	}
	if !cfg.UsesRedis() {
		log.Warn("REDIS_URL is not set: sessions live in this process only and are lost on restart; use Redis in production")
	}
	b := bot.New(pack.Engine, store, log)
	b.Observe(met)
	d := deps{cfg: cfg, bot: b, pack: pack, log: log, store: store, metrics: met, audio: clips}
	if d.handoff, err = newHandoff(d); err != nil {
		return err
	}

	ready := &readiness{store: store, log: log} // ready.go
	mux := http.NewServeMux()
	for _, r := range []route{
		{"GET /metrics", met.Handler()},
		{"GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })},
		{"GET /readyz", ready},
	} {
		mux.Handle(r.pattern, r.handler)
	}
	for _, f := range channelFactories {
		ch, err := f(d)
		if err != nil {
			return err
		}
		if ch != nil {
			ch.Routes(mux)
			m.channels = append(m.channels, ch)
		}
	}

	ws, err := mountStaff(d, mux) // staff.go: the workspace under /staff
	if err != nil {
		return err
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

	ln := m.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return err
		}
	}
	m.ln = ln
	lim := serveLimits
	if cfg.MaxConns > 0 {
		lim.MaxConns = cfg.MaxConns
	}
	srv, capped := newHTTPServer(mux, ln, lim, log)
	m.srv = srv
	fmt.Fprintf(stdout, "returnbot listening on http://%s (%d flows, %d languages)\n", ln.Addr(), len(pack.Content.Flows), len(pack.Catalog.Languages()))
	ws.setupLink(ctx, ln.Addr(), stdout)
	if len(m.channels) == 0 {
		fmt.Fprintln(stdout, "no channels configured: set TELEGRAM_TOKEN or WHATSAPP_TOKEN (see README)")
	}
	var names []string
	for _, ch := range m.channels {
		names = append(names, ch.Describe())
	}
	if len(names) > 0 {
		fmt.Fprintln(stdout, "channels: "+strings.Join(names, "; "))
	}

	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.errs = make(chan error, len(m.channels)+1)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		d.handoff.RunReminders(bg, time.Minute) // each reminder once, across replicas
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		ready.watch(bg)
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		ws.run(bg, log)
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := srv.Serve(capped); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.errs <- err
		}
	}()
	// The channels stop after the HTTP server: a webhook request still in flight at shutdown
	// hands its messages to a channel that is not yet draining (a WhatsApp message queued while
	// the adapter already waits for its queue to empty was a data race, and could be cut off).
	chCtx, stopChannels := context.WithCancel(context.WithoutCancel(ctx))
	m.stopChannels = stopChannels
	for _, ch := range m.channels {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			if err := ch.Run(chCtx); err != nil && !errors.Is(err, context.Canceled) {
				m.errs <- err
			}
		}()
	}
	return nil
}

// Addr is the address the HTTP server listens on, once Run has returned without error.
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// Err delivers an error that stops the bot (the HTTP server or a channel failed); the caller
// logs it and calls Close.
func (m *Main) Err() <-chan error { return m.errs }

// Log is the bot's logger, for the caller's own lines about stopping.
func (m *Main) Log() *slog.Logger { return m.log }

// Store is the store Run opened (nil before).
func (m *Main) Store() bot.Store { return m.store }

// Telegram is the Telegram channel, or nil when TELEGRAM_TOKEN is not set (the load generator
// reads its Stats).
func (m *Main) Telegram() *telegram.Adapter {
	for _, ch := range m.channels {
		if a, ok := ch.(*telegram.Adapter); ok {
			return a
		}
	}
	return nil
}

// Close stops the bot: the background work, then the HTTP server (half of shutdownGrace for the
// requests in flight), then the channels, which drain within the rest; then the store. It logs
// "shutting down", and a warning when the grace period runs out with work in flight.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		if m.srv == nil { // Run did not get as far as serving
			m.release()
			return
		}
		m.cancel()
		m.log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		// Half the grace for the requests in flight (bounded by WriteTimeout anyway), the rest
		// for the channels to drain.
		hctx, hcancel := context.WithTimeout(sctx, shutdownGrace/2)
		_ = m.srv.Shutdown(hctx)
		hcancel()
		m.stopChannels()
		done := make(chan struct{})
		go func() { m.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-sctx.Done():
			m.log.Warn("shutdown grace period over; exiting with work in flight")
		}
		m.release()
	})
	return nil
}

// release runs the closers, the last built first.
func (m *Main) release() {
	for i := len(m.closers) - 1; i >= 0; i-- {
		m.closers[i]()
	}
	m.closers = nil
}
