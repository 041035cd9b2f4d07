// Package webchat is the browser chat channel: one embedded page (HTML, CSS and a small vanilla
// script) and the JSON API it talks to. Users are anonymous: the browser makes up a random id per
// tab, and the server stores only the pseudonym bot.UserKey(secret, "web", id). What the bot
// starts itself (a counsellor's answer, a visit reminder) waits in the user's outbox, which the
// page polls.
package webchat

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/outbox"
)

// Channel is the Event.Channel of web chat events and the channel part of their pseudonyms.
const Channel = "web"

// Limits of the API.
const (
	// MaxBody is the largest request body accepted (413 above it).
	MaxBody = 8 << 10
	// MinIDLen and MaxIDLen bound the browser's id; it is made of letters, digits, '-' and '_'.
	MinIDLen = 16
	MaxIDLen = 64
	// MaxMsgIDLen bounds the optional client message id used for dedupe.
	MaxMsgIDLen = 64
)

// DefaultOutboxTTL is how long counsellor answers and reminders wait for the page after the
// latest one: a phone keeps a backgrounded tab (and its sessionStorage id) for days.
const DefaultOutboxTTL = 7 * 24 * time.Hour

// Rate is a token bucket: PerSecond refill with room for Burst.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Default rates: one person clicks and types a message every few seconds at most; one address
// may be a reception centre or an office's shared Wi-Fi with many people behind it.
var (
	DefaultPerID = Rate{PerSecond: 1, Burst: 10}
	DefaultPerIP = Rate{PerSecond: 10, Burst: 100}
)

// Default rates of inbox polls, kept apart from messages so that an open page never eats the
// budget of what the user types. The page polls every 5 s and on focus; one address may have
// hundreds of pages open.
var (
	DefaultPollPerID = Rate{PerSecond: 1, Burst: 5}
	DefaultPollPerIP = Rate{PerSecond: 50, Burst: 250}
)

// Config is what the web chat needs.
type Config struct {
	// Bot handles the events.
	Bot *bot.Bot
	// Secret keys the pseudonyms of browser ids and of client addresses in rate-limit keys.
	Secret []byte
	// Limiter admits requests per id and per client address (both at once, all or none); nil
	// disables rate limiting.
	Limiter bot.Admitter
	// PerID and PerIP are the rates; zero values take DefaultPerID and DefaultPerIP.
	PerID, PerIP Rate
	// PollPerID and PollPerIP are the rates of inbox polls; zero values take DefaultPollPerID
	// and DefaultPollPerIP.
	PollPerID, PollPerIP Rate
	// Outbox keeps counsellor answers and reminders until the page fetches them (the page cannot
	// be written to first). Use one shared by all replicas (bot/redis); nil means an in-process
	// one (bot/inmem).
	Outbox outbox.Outbox
	// OutboxTTL is how long the outbox is kept after the latest message (DefaultOutboxTTL if 0).
	OutboxTTL time.Duration
	// FrameOrigins are the origins (https://office.example) allowed to embed the page in an
	// iframe; empty allows only this server's own origin.
	FrameOrigins []string
	// TrustForwardedFor takes the client address from the last X-Forwarded-For entry (set it only
	// behind a reverse proxy that appends that header).
	TrustForwardedFor bool
	// Log receives errors (never message texts or ids); nil means slog.Default().
	Log *slog.Logger
	// Metrics, when set, counts the replies the page gets and redelivered messages (bot/metrics
	// implements it); nil counts nothing.
	Metrics Metrics
	// Now is the clock for event times; nil means time.Now.
	Now func() time.Time
	// Logo replaces the office logo in the page's header (and its favicon): an SVG, PNG or
	// JPEG of at most MaxLogo bytes; nil shows the built-in one.
	Logo []byte
	// Audio is the office's recorded answers, played in the page (audio.go); nil has none.
	Audio *audio.Library
}

// MaxLogo bounds Config.Logo: the page must stay light on a slow connection.
const MaxLogo = 64 << 10

// Metrics receives counts for /metrics; labels carry no user data.
type Metrics interface {
	// Update counts a message that did not reach the bot: duplicate (the page sent a msg_id
	// again, after a lost answer).
	Update(channel, outcome string)
	// Reply counts a reply the page got in the answer to a message: always sent, since it goes
	// back in the same HTTP response.
	Reply(channel, result string)
}

type nopMetrics struct{}

func (nopMetrics) Update(string, string) {}
func (nopMetrics) Reply(string, string)  {}

// Handler serves the page, its assets and the API.
type Handler struct {
	cfg Config
	csp string
	mux *http.ServeMux
	// urls are the addresses in the content's texts (links.go), collected on first use.
	urlsOnce sync.Once
	urls     map[string]bool
	// answers are the recent answers by msg_id, for resends whose answer was lost (answers.go).
	answers *answerCache
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	if cfg.PerID == (Rate{}) {
		cfg.PerID = DefaultPerID
	}
	if cfg.PerIP == (Rate{}) {
		cfg.PerIP = DefaultPerIP
	}
	if cfg.PollPerID == (Rate{}) {
		cfg.PollPerID = DefaultPollPerID
	}
	if cfg.PollPerIP == (Rate{}) {
		cfg.PollPerIP = DefaultPollPerIP
	}
	if cfg.Outbox == nil {
		cfg.Outbox = inmem.NewOutbox()
	}
	if len(cfg.Logo) > MaxLogo {
		cfg.Log.Warn("webchat: the logo is too large; showing the built-in one", "bytes", len(cfg.Logo), "max", MaxLogo)
		cfg.Logo = nil
	}
	if cfg.OutboxTTL <= 0 {
		cfg.OutboxTTL = DefaultOutboxTTL
	}
	ancestors := "'self'"
	for _, o := range cfg.FrameOrigins {
		if o = strings.TrimSpace(o); o != "" {
			ancestors += " " + o
		}
	}
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; media-src 'self'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors " + ancestors
	h := &Handler{cfg: cfg, csp: csp, mux: http.NewServeMux(), answers: newAnswerCache(cfg.Now)}
	h.Routes(h.mux)
	if cfg.Bot != nil {
		// A message whose write was in doubt and turned out saved: the page's resend was a
		// duplicate, so its replies wait in the inbox, which the page fetches.
		cfg.Bot.OnLate(Channel, func(ev bot.Event, replies []bot.Reply, _ bot.Turn) {
			if err := h.SendTo(ev.Route, ev.User, replies); err != nil {
				h.cfg.Log.Warn("webchat: replies of a message saved in doubt not queued", "user", ev.User, "err", err)
			}
		})
	}
	return h
}

// Routes registers the page at / and /webchat/, the assets under /webchat/ and the API at
// POST /webchat/api/message and POST /webchat/api/inbox, and recordings under AudioPath.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.page)
	mux.HandleFunc("GET /webchat/{$}", h.page)
	mux.HandleFunc("GET /webchat/app.css", h.asset("app.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET /webchat/app.js", h.asset("app.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /webchat/embed.js", h.embed)
	mux.HandleFunc("GET /webchat/logo", h.logo)
	mux.HandleFunc("GET /webchat/ethiopic.woff2", h.asset("ethiopic.woff2", "font/woff2"))
	mux.HandleFunc("POST /webchat/api/message", h.message)
	mux.HandleFunc("POST /webchat/api/inbox", h.inbox)
	mux.HandleFunc("POST /webchat/api/upload", h.upload)
	mux.HandleFunc("GET "+AudioPath+"{name}", h.audioFile)
}

// ServeHTTP serves the web chat on its own mux (handy in tests and for mounting elsewhere).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// secure sets the headers every response carries.
func (h *Handler) secure(w http.ResponseWriter, crossOrigin bool) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if crossOrigin {
		hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	} else {
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	}
	if len(h.cfg.FrameOrigins) == 0 {
		// Old browsers that ignore frame-ancestors.
		hd.Set("X-Frame-Options", "SAMEORIGIN")
	}
}
