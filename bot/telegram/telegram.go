package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/inmem"
)

// Channel is the Event.Channel of Telegram events and the channel part of their pseudonyms.
const Channel = "telegram"

// DefaultEndpoint is the Bot API endpoint format: token, then method.
const DefaultEndpoint = tgbotapi.APIEndpoint

// Limits and defaults.
const (
	// MaxWebhookBody is the largest webhook body accepted (413 above it).
	MaxWebhookBody = 1 << 20
	// SecretHeader carries the webhook secret token on every delivery.
	SecretHeader = "X-Telegram-Bot-Api-Secret-Token"
	// RetryAfter is the Retry-After of a webhook answer asking Telegram to deliver an update
	// again because the store failed.
	RetryAfter = 2 * time.Second
	// MaxStoreBackoff bounds the wait of long polling before it asks again for updates the store
	// could not take: the store is usually back within seconds.
	MaxStoreBackoff = 5 * time.Second
)

// AllowedUpdates are the update kinds the bot asks Telegram for (setWebhook and getUpdates).
// Channel posts are not asked for; if one arrives anyway it is ignored.
var AllowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

// Default pacing: Telegram allows about 30 messages a second overall and about one a second per
// chat, with short bursts.
var (
	DefaultGlobalRate = Rate{PerSecond: 30, Burst: 30}
	DefaultChatRate   = Rate{PerSecond: 1, Burst: 3}
)

// Config is what the Telegram channel needs. Zero durations and rates take the defaults.
type Config struct {
	// Token is the bot token from @BotFather.
	Token string
	// Endpoint is the Bot API URL format with two %s (token, method); "" means DefaultEndpoint.
	Endpoint string
	// WebhookURL switches to webhook mode: the public HTTPS URL Telegram posts updates to. Its
	// path is where Routes mounts the handler. Empty means long polling.
	WebhookURL string
	// WebhookSecret is required in webhook mode: 1-256 characters of A-Z, a-z, 0-9, _ and -.
	WebhookSecret string
	// StaffChatID is the staff group; its updates go to StaffHandler (ignored while that is nil).
	StaffChatID int64
	// StaffHandler, when set, receives every update from StaffChatID (messages, edits, callback
	// queries; it must answer its callback queries itself). It is the hook for staff commands
	// and relay; it runs on the intake path, so it should be quick.
	StaffHandler func(ctx context.Context, update tgbotapi.Update)
	// Blocked, when set, is what becomes of a user's data when they block the bot (my_chat_member
	// "kicked"), instead of erasing their session: the handoff service drops the session and the
	// route but keeps a planned visit for reception (handoff.Service.UserBlocked).
	Blocked func(ctx context.Context, user string) error

	// Bot handles the events.
	Bot *bot.Bot
	// Secret keys the pseudonyms.
	Secret []byte
	// Limiter paces sending (keys "tg:global" and "tg:chat:<pseudonym>"); share it across
	// replicas (bot/redis). nil means an in-process limiter.
	Limiter bot.Limiter
	// Log receives operational messages: pseudonyms and counts, never texts, names or ids.
	Log *slog.Logger
	// Metrics, when set, counts updates that do not reach the bot and what becomes of messages
	// (bot/metrics implements it).
	Metrics Metrics
	// HTTPClient makes the Bot API calls; nil means a client with sensible transport timeouts.
	// Per-call deadlines come from SendTimeout and PollTimeout.
	HTTPClient *http.Client
	// Now is the clock for event times; nil means time.Now.
	Now func() time.Time

	// GlobalRate and ChatRate pace sending.
	GlobalRate, ChatRate Rate
	// PollTimeout is the long-polling timeout (default 25s).
	PollTimeout time.Duration
	// SendTimeout bounds one Bot API call (default 15s).
	SendTimeout time.Duration
	// HandleTimeout bounds handling one update in the bot and store (default 10s).
	HandleTimeout time.Duration
	// MaxAttempts bounds tries of one message on network errors and 5xx (default 5); 429
	// answers get up to twice as many, each after the wait Telegram asks for.
	MaxAttempts int
	// Backoff is the first wait before a retry, doubling up to MaxBackoff (defaults 500ms, 30s).
	Backoff, MaxBackoff time.Duration
	// DrainTimeout bounds finishing in-flight updates and the send queue on stop (default 8s).
	DrainTimeout time.Duration
	// PollConcurrency is how many chats of one getUpdates batch are handled at once (default 16).
	PollConcurrency int
	// TurnWait bounds how long a chat's replies wait for those of the chat's previous update
	// when another replica sends them (default 30s; see deliver.Turns).
	TurnWait time.Duration
	// Queue keeps the messages the Bot API did not take within MaxAttempts (5xx, network
	// errors, long 429s) until they can be delivered, in order per chat (bot/deliver); share it
	// across replicas and restarts (bot/redis Store.DeliveryQueue). nil means an in-process one.
	Queue deliver.Queue
	// KeepProfile leaves the bot's command menu and descriptions alone at start-up; by default
	// they are set from the locale files in every language, where they differ (SyncProfiles).
	KeepProfile bool
	// Audio is the office's recorded answers, sent as voice messages on Listen (voice.go);
	// nil has none.
	Audio *audio.Library
	// AudioIDs keeps the file_ids of uploaded recordings for all replicas (bot/redis); nil
	// keeps them in this process only.
	AudioIDs audio.IDStore
	// Redeliver is how often and how long queued messages are tried (defaults: backoff 1s
	// doubling to 5min, retry_after capped at 5min, given up on after 24h).
	Redeliver deliver.Policy
}

// Metrics receives counts; labels carry no user data.
type Metrics interface {
	// Update counts an update that did not reach the bot: duplicate, ignored or malformed.
	Update(channel, outcome string)
	// Reply counts a message: sent, failed (given up on) or throttled (a 429 answer).
	Reply(channel, result string)
}

type nopMetrics struct{}

func (nopMetrics) Update(string, string) {}
func (nopMetrics) Reply(string, string)  {}

// Adapter is the Telegram channel: it receives updates by webhook or long polling, hands them to
// the bot and sends the replies through a paced, per-chat ordered queue. It implements the
// channel interface of cmd/returnbot (Describe, Routes, Run).
type Adapter struct {
	cfg      Config
	log      *slog.Logger
	hookPath string
	send     *deliver.Sender
	posts    *staffPoster // the staff chat's
	stats    counters
	uploads  *audio.Uploads // file_ids of recordings sent (voice.go)

	api   atomic.Pointer[api]
	ready chan struct{} // closed once updates are taken

	// Webhook intake: handlers take a read lock to register, stop takes the write lock.
	intake   sync.RWMutex
	stopping bool
	inflight sync.WaitGroup
}

// New checks cfg and returns an Adapter; it makes no network calls (Run connects).
func New(cfg Config) (*Adapter, error) {
	if cfg.Token == "" {
		return nil, errors.New("telegram: no token")
	}
	if cfg.Bot == nil {
		return nil, errors.New("telegram: no bot")
	}
	if len(cfg.Secret) == 0 {
		return nil, errors.New("telegram: no pseudonym secret")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if strings.Count(cfg.Endpoint, "%s") != 2 {
		return nil, fmt.Errorf("telegram: TELEGRAM_API_ENDPOINT must look like http://host:port/bot%%s/%%s (token, then method)")
	}
	defaults(&cfg)
	c := &Adapter{cfg: cfg, log: cfg.Log, ready: make(chan struct{}),
		uploads: audio.NewUploads("tg", FileIDTTL, cfg.AudioIDs, cfg.Now)}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, errors.New("telegram: TELEGRAM_WEBHOOK_URL must be an absolute https:// URL")
		}
		if u.Path == "" || u.Path == "/" {
			return nil, errors.New("telegram: TELEGRAM_WEBHOOK_URL needs a path of its own (e.g. https://bot.example.org/telegram/webhook): / is the web chat")
		}
		if !validSecret(cfg.WebhookSecret) {
			return nil, errors.New("telegram: webhook mode needs TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and - " +
				"(generate one with: openssl rand -hex 32)")
		}
		c.hookPath = u.Path
	}
	var turns deliver.Turns
	if tl, ok := cfg.Bot.Store().(deliver.Turns); ok && cfg.Bot.Store() != nil {
		turns = tl // the bot's store, when it is shared by replicas (nil: one process)
	}
	q := cfg.Queue
	if q == nil {
		q = inmem.NewDeliveryQueue()
	}
	var err error
	c.send, err = deliver.NewSender(deliver.Config{
		Channel: Channel, KeyPrefix: "tg", Limiter: cfg.Limiter, Global: cfg.GlobalRate, Chat: cfg.ChatRate,
		SendTimeout: cfg.SendTimeout, MaxAttempts: cfg.MaxAttempts, Backoff: cfg.Backoff, MaxBackoff: cfg.MaxBackoff,
		TurnWait: cfg.TurnWait, Turns: turns, Queue: q, Secret: cfg.Secret, Redeliver: cfg.Redeliver,
		Metrics: cfg.Metrics, Log: c.log,
	}, platform{c})
	if err != nil {
		return nil, err
	}
	c.posts = newStaffPoster(c)
	cfg.Bot.OnLate(Channel, c.late)
	return c, nil
}

func defaults(cfg *Config) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	if cfg.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		t.ResponseHeaderTimeout = 0 // long polls hold the answer back; per-call contexts bound it
		cfg.HTTPClient = &http.Client{Transport: t}
	}
	if cfg.GlobalRate.PerSecond <= 0 {
		cfg.GlobalRate = DefaultGlobalRate
	}
	if cfg.ChatRate.PerSecond <= 0 {
		cfg.ChatRate = DefaultChatRate
	}
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDur(&cfg.PollTimeout, 25*time.Second)
	setDur(&cfg.SendTimeout, 15*time.Second)
	setDur(&cfg.HandleTimeout, 10*time.Second)
	setDur(&cfg.Backoff, 500*time.Millisecond)
	setDur(&cfg.MaxBackoff, 30*time.Second)
	setDur(&cfg.DrainTimeout, 8*time.Second)
	setDur(&cfg.TurnWait, 30*time.Second)
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.PollConcurrency <= 0 {
		cfg.PollConcurrency = 16
	}
}

// validSecret reports whether s is a secret_token Telegram accepts.
func validSecret(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Webhook reports whether the channel runs in webhook mode.
func (c *Adapter) Webhook() bool { return c.hookPath != "" }

// Describe says how the channel runs, for the start-up message.
func (c *Adapter) Describe() string {
	if c.Webhook() {
		return "telegram (webhook at " + c.hookPath + ")"
	}
	return "telegram (long polling)"
}

// Routes mounts the webhook handler at the path of the webhook URL (webhook mode only).
func (c *Adapter) Routes(mux *http.ServeMux) {
	if c.Webhook() {
		mux.Handle("POST "+c.hookPath, c)
	}
}

// Ready is closed once the channel takes updates: connected, and in polling mode the webhook
// deleted; in webhook mode setWebhook may still be on its way.
func (c *Adapter) Ready() <-chan struct{} { return c.ready }

// Run connects, sets the webhook or starts long polling, and serves until ctx is cancelled. Then
// it stops taking updates, finishes the ones in flight and drains the send queue within
// DrainTimeout. It returns an error only for what retrying cannot fix (a rejected token or
// webhook URL).
func (c *Adapter) Run(ctx context.Context) error {
	a, err := c.connectRetry(ctx)
	if err != nil {
		c.posts.drain(0)
		c.send.Drain(0)
		return err
	}
	c.api.Store(a)
	c.send.Start()
	c.posts.start(a)
	if !c.cfg.KeepProfile {
		// Updates first: the profile can wait. It stops when Run returns, however it returns.
		pctx, pcancel := context.WithCancel(ctx)
		profDone := make(chan struct{})
		go func() {
			defer close(profDone)
			select {
			case <-c.ready:
				c.startupProfiles(pctx)
			case <-pctx.Done():
			}
		}()
		defer func() { pcancel(); <-profDone }()
	}
	// The delivery queue's runtime sends what earlier runs or other replicas left, and stops
	// after the send queue is drained.
	rtCtx, rtStop := context.WithCancel(context.Background())
	rtDone := make(chan struct{})
	go func() { defer close(rtDone); c.send.Redeliver(rtCtx) }()
	defer func() { rtStop(); <-rtDone }()
	// One budget for the whole stop: in-flight updates, then the send queue.
	var stopAt atomic.Int64
	stopWatch := context.AfterFunc(ctx, func() { stopAt.Store(time.Now().UnixNano()) })
	defer stopWatch()
	if c.Webhook() {
		err = c.runWebhook(ctx, a)
	} else {
		err = c.runPolling(ctx, a)
	}
	bound := c.cfg.DrainTimeout
	if t := stopAt.Load(); t != 0 {
		bound -= time.Since(time.Unix(0, t))
	}
	// The staff chat first: its pacing waits on the sender, which stops at the end of its drain.
	postsFrom := time.Now()
	c.posts.drain(max(bound, 0))
	bound -= time.Since(postsFrom)
	c.send.Drain(max(bound, 0))
	st := c.Stats()
	c.log.Info("telegram: stopped", "sent", st.Sent, "undeliverable", st.Undeliverable)
	return err
}

// connectRetry calls getMe until it succeeds, the token is rejected or ctx ends.
func (c *Adapter) connectRetry(ctx context.Context) (*api, error) {
	wait := c.cfg.Backoff
	for {
		cctx, cancel := context.WithTimeout(ctx, c.cfg.SendTimeout)
		a, err := connect(cctx, c.cfg.Token, c.cfg.Endpoint, c.cfg.HTTPClient)
		cancel()
		if err == nil {
			return a, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if code := errCode(err); code >= 400 && code < 500 {
			return nil, fmt.Errorf("telegram: the Bot API rejected the token (getMe: %d %v); check TELEGRAM_TOKEN", code, err)
		}
		c.log.Warn("telegram: cannot reach the Bot API; retrying", "err", err, "in", wait)
		if !deliver.Sleep(ctx, wait) {
			return nil, ctx.Err()
		}
		wait = min(wait*2, c.cfg.MaxBackoff)
	}
}

// Send queues replies for a private chat, paced and in order after what is already queued for
// it. user is the chat's pseudonym. The channel uses it for every reply; it is exported for the
// staff relay and reminders, which write first.
func (c *Adapter) Send(chatID int64, user string, replies []bot.Reply) {
	c.send.Send(chatKey(chatID), user, replies)
}

// Stats is a snapshot of the channel's counters.
type Stats struct {
	// Received counts updates taken in (webhook deliveries and polled updates).
	Received int64
	// Duplicates counts updates dropped because their update_id was handled before.
	Duplicates int64
	// Ignored counts updates with nothing to answer (edits, groups, channel posts, ...).
	Ignored int64
	// Malformed counts updates that could not be decoded.
	Malformed int64
	// Sent counts Bot API calls that succeeded (messages, venues, callback answers).
	Sent int64
	// Retries counts calls repeated after 429, 5xx or a network error.
	Retries int64
	// Undeliverable counts messages given up on (after retries, refused, blocked or shutdown).
	Undeliverable int64
	// Blocked counts the times a user was found to have blocked the bot (a 403, or
	// my_chat_member "kicked").
	Blocked int64
	// TurnTimeouts counts replies sent without the previous update's replies having gone out
	// within TurnWait (a replica stopped mid-send, or the turn log lagged).
	TurnTimeouts int64
	// Retried counts user updates not acted on because the store failed, left for Telegram to
	// deliver again (a 503 to the webhook, an unconfirmed offset when polling).
	Retried int64
	// Queued counts messages put into the delivery queue (Config.Queue) for redelivery.
	Queued int64
}

// Stats returns the channel's counters.
func (c *Adapter) Stats() Stats {
	s := &c.stats
	d := c.send.Stats()
	return Stats{
		Received: s.received.Load(), Duplicates: s.duplicates.Load(), Ignored: s.ignored.Load(),
		Malformed: s.malformed.Load(), Sent: s.sent.Load() + d.Sent, Retries: s.retries.Load() + d.Retries,
		Undeliverable: s.undeliverable.Load() + d.Undeliverable, Blocked: s.blocked.Load() + d.Blocked,
		TurnTimeouts: d.TurnTimeouts, Retried: s.retried.Load(), Queued: d.Queued,
	}
}

type counters struct {
	// sent, retries and undeliverable count the staff chat's posts; the users' messages are
	// counted by the delivery runtime.
	received, duplicates, ignored, malformed, sent, retries, undeliverable, blocked, retried atomic.Int64
}
