// Package whatsapp is the WhatsApp Cloud API adapter: a webhook that verifies, parses and dedupes
// what Meta delivers, and a Graph API client that renders replies as WhatsApp messages (reply
// buttons, lists, locations) and sends them in order per user, inside the 24-hour customer
// service window or as a template outside it. It uses plain net/http.
package whatsapp

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/inmem"
)

// Channel is the Event.Channel of WhatsApp events and the channel part of their pseudonyms.
const Channel = "whatsapp"

// DefaultEndpoint is the Graph API base URL.
const DefaultEndpoint = "https://graph.facebook.com/v21.0"

// MaxBody is the largest webhook body accepted (Meta's deliveries are a few KiB).
const MaxBody = 1 << 20

// Config is what the adapter needs. Token, PhoneNumberID, AppSecret and VerifyToken come from
// the Meta app (WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN).
type Config struct {
	// Bot handles the events.
	Bot *bot.Bot
	// Secret keys the pseudonyms: bot.UserKey(Secret, "whatsapp", wa_id).
	Secret []byte
	// Token is the Graph API access token (sent as Bearer).
	Token string
	// PhoneNumberID is the business number's id; deliveries for other numbers are ignored,
	// counted (outcome other_number) and logged now and then.
	PhoneNumberID string
	// AppSecret keys the X-Hub-Signature-256 HMAC of every webhook POST.
	AppSecret string
	// VerifyToken is what Meta echoes in the GET verification handshake.
	VerifyToken string
	// Endpoint is the Graph API base URL; empty means DefaultEndpoint.
	Endpoint string
	// TemplateName and TemplateLang name an approved message template used for messages the bot
	// starts outside the 24-hour window; without one those messages are held back.
	TemplateName, TemplateLang string
	// TemplateLangs maps a shipped language to the template languages to try in order, before
	// TemplateLang; nil means DefaultTemplateLangs (template.go).
	TemplateLangs map[string][]string
	// Window remembers when each user last wrote; nil means an in-memory one (see MemoryWindow).
	// Replicas need one they share (bot/redis Store.Window), or a replica that did not receive a
	// user's last message takes the window for closed.
	Window Window
	// Client sends Graph API requests; nil means a client with a 20 s timeout.
	Client *http.Client
	// Limiter paces sending (keys "wa:global" and "wa:chat:<pseudonym>"); share it across
	// replicas (bot/redis). nil means an in-process limiter.
	Limiter bot.Limiter
	// GlobalRate and ChatRate pace sending (DefaultGlobalRate, DefaultChatRate when zero).
	GlobalRate, ChatRate deliver.Rate
	// TurnWait bounds how long a user's replies wait for those of their previous message when
	// another replica sends them (default 30s).
	TurnWait time.Duration
	// MaxAttempts bounds the tries of one send on 429, 5xx and network errors (default 4);
	// Backoff is the first wait, doubled each time (default 500 ms).
	MaxAttempts int
	Backoff     time.Duration
	// Queue keeps the messages the Graph API did not take within MaxAttempts (5xx, 429,
	// network errors) until they can be delivered, in order per user (bot/deliver); share it
	// across replicas and restarts (bot/redis Store.DeliveryQueue). nil means an in-process one.
	// Run delivers from it.
	Queue deliver.Queue
	// Redeliver is how often and how long queued messages are tried (defaults: backoff 1s
	// doubling to 5min, Retry-After capped at 5min, given up on after 24h).
	Redeliver deliver.Policy
	// Log receives operational messages, never texts, phone numbers, wa_ids or names.
	Log *slog.Logger
	// Metrics, when set, counts what becomes of messages and delivery statuses (bot/metrics
	// implements it); nil counts nothing. Stats keeps its own counts either way.
	Metrics Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Spool bounds the messages held in memory while the store fails (DefaultSpool if 0).
	Spool int
	// Audio is the office's recorded answers, sent as audio messages on Listen (audio.go); nil
	// has none.
	Audio *audio.Library
	// AudioIDs keeps the media ids of uploaded recordings for all replicas (bot/redis); nil
	// keeps them in this process only.
	AudioIDs audio.IDStore
}

// Metrics receives counts for /metrics; labels carry no user data.
type Metrics interface {
	// Update counts an inbound message that did not reach the bot: duplicate (redelivered),
	// ignored (a reaction), malformed (a signed body that is not JSON, a message without
	// sender or id) or other_number (a delivery for another phone_number_id).
	Update(channel, outcome string)
	// Reply counts one Graph API message: sent, failed (refused, given up on, or dropped after
	// an earlier message of the same answer failed), throttled (a 429 answer, retried) or held
	// (a message the bot starts, held back outside the 24-hour window without a template).
	Reply(channel, result string)
	// Status counts a delivery status webhook: sent, delivered, read, failed or other.
	Status(channel, status string)
}

type nopMetrics struct{}

func (nopMetrics) Update(string, string) {}
func (nopMetrics) Reply(string, string)  {}
func (nopMetrics) Status(string, string) {}

// Adapter is the WhatsApp channel.
type Adapter struct {
	cfg   Config
	seq   sequencer // handles each user's messages in order
	out   sequencer // sends each user's replies in order, apart from seq (send.go)
	spool *spool
	stats counters

	send *deliver.Sender // the delivery runtime: order, pacing, retries, the delivery queue
	odd  oddCounters     // odd.go
	// uploads are the media ids of recordings sent (audio.go).
	uploads *audio.Uploads
	// sentAudio are the audio messages sent lately, for a late media failure (audiostatus.go).
	sentAudio *sentAudio
}

// New returns an Adapter for cfg.
func New(cfg Config) *Adapter {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.Window == nil {
		cfg.Window = NewMemoryWindow()
	}
	if cfg.Client == nil {
		// Keep connections to the Graph API for concurrent sends: Go keeps only 2 per host by
		// default, and every further send would pay a new TLS handshake.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		cfg.Client = &http.Client{Timeout: 20 * time.Second, Transport: t}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	if cfg.Spool <= 0 {
		cfg.Spool = DefaultSpool
	}
	if cfg.GlobalRate.PerSecond <= 0 {
		cfg.GlobalRate = DefaultGlobalRate
	}
	if cfg.ChatRate.PerSecond <= 0 {
		cfg.ChatRate = DefaultChatRate
	}
	a := &Adapter{cfg: cfg, spool: newSpool(cfg.Spool), uploads: audio.NewUploads("wa", MediaIDTTL, cfg.AudioIDs, cfg.Now)}
	a.sentAudio = newSentAudio(a.cfg.Now)
	q := cfg.Queue
	if q == nil {
		q = inmem.NewDeliveryQueue()
	}
	var turns deliver.Turns
	if cfg.Bot != nil && cfg.Bot.Store() != nil {
		turns, _ = cfg.Bot.Store().(deliver.Turns) // nil: one process, nothing to wait for
	}
	send, err := deliver.NewSender(deliver.Config{
		Channel: Channel, KeyPrefix: "wa", Limiter: cfg.Limiter, Global: cfg.GlobalRate, Chat: cfg.ChatRate,
		MaxAttempts: cfg.MaxAttempts, Backoff: cfg.Backoff, MaxBackoff: 30 * time.Second,
		TurnWait: cfg.TurnWait, Turns: turns, Queue: q, Secret: cfg.Secret, Redeliver: cfg.Redeliver,
		Metrics: cfg.Metrics, Log: cfg.Log,
	}, platform{a})
	if err != nil {
		panic("whatsapp: " + err.Error()) // only for a nil queue or platform, set just above
	}
	send.Start() // no connection to make first: the Graph API is plain HTTPS
	a.send = send
	if cfg.Bot != nil {
		cfg.Bot.OnLate(Channel, a.late)
	}
	return a
}

// late queues the replies of a message whose write was in doubt and turned out saved
// (bot.LateFunc): Meta's redelivery of it was a duplicate. They go first in the user's sequence:
// the job running is the spool's try of that very message (the bot hands them on before a try
// can find the message handled), and what waits behind it came after it; in the send sequence
// they go after the replies of earlier messages, before those of later ones.
func (a *Adapter) late(ev bot.Event, replies []bot.Reply, t bot.Turn) {
	a.seq.first(ev.User, func() { a.sendLater(ev.User, ev.Route, replies, t) })
}

// Run delivers the messages waiting in the delivery queue, this process's and those that other
// replicas or an earlier run left, until ctx ends.
func (a *Adapter) Run(ctx context.Context) { a.send.Redeliver(ctx) }

// Routes registers GET and POST /whatsapp/webhook.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /whatsapp/webhook", a.verify)
	mux.HandleFunc("POST /whatsapp/webhook", a.receive)
}

// Wait blocks until every accepted message has been handled and answered, or ctx ends. When ctx
// ends first, messages still held while the store fails are given up on: the webhook answered
// 503 for them, so Meta delivers them again (to this process after a restart, or another).
func (a *Adapter) Wait(ctx context.Context) error {
	select {
	case <-a.seq.idle():
	case <-ctx.Done():
		a.spool.close()
		return ctx.Err()
	}
	// The replies are sent in a sequence of their own (send.go): answered means sent.
	select {
	case <-a.out.idle():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats are the adapter's counters since start; Config.Metrics is told of most of the same
// events, for /metrics.
type Stats struct {
	// Received counts inbound messages handed to the bot; Duplicates those dropped as redelivered.
	Received, Duplicates int64
	// BadSignature counts POSTs refused for a missing or wrong X-Hub-Signature-256.
	BadSignature int64
	// Sent counts messages the Graph API accepted; SendErrors those it finally refused (or
	// that were given up on in the delivery queue); Retries the extra attempts after 429, 5xx
	// or network errors; Queued the messages put into the delivery queue for redelivery.
	Sent, SendErrors, Retries, Queued int64
	// StatusSent, StatusDelivered, StatusRead and StatusFailed count delivery statuses.
	StatusSent, StatusDelivered, StatusRead, StatusFailed int64
	// TemplateSent counts proactive messages sent as a template outside the 24-hour window;
	// HeldBack those not sent because no template is configured.
	TemplateSent, HeldBack int64
	// Retried counts messages the store failed for at first (held in the spool, and left for
	// Meta to deliver again); Spooled is how many are held now.
	Retried, Spooled int64
}

type counters struct {
	received, duplicates, badSignature                    atomic.Int64
	statusSent, statusDelivered, statusRead, statusFailed atomic.Int64
	templateSent, heldBack, retried                       atomic.Int64
}

// Stats returns a snapshot of the counters.
func (a *Adapter) Stats() Stats {
	c := &a.stats
	d := a.send.Stats()
	return Stats{
		Received: c.received.Load(), Duplicates: c.duplicates.Load(), BadSignature: c.badSignature.Load(),
		Sent: d.Sent, SendErrors: d.Undeliverable, Retries: d.Retries, Queued: d.Queued,
		StatusSent: c.statusSent.Load(), StatusDelivered: c.statusDelivered.Load(),
		StatusRead: c.statusRead.Load(), StatusFailed: c.statusFailed.Load(),
		TemplateSent: c.templateSent.Load(), HeldBack: c.heldBack.Load(),
		Retried: c.retried.Load(), Spooled: int64(a.spool.size()),
	}
}

// sequencer runs jobs one after another per key (per user), so replies keep their order, and
// jobs of different users in parallel.
type sequencer struct {
	mu sync.Mutex
	q  map[string][]func()
	// running counts users whose jobs are being drained; idleC is closed when it drops to
	// zero. A WaitGroup would race here: a message may arrive (Add from zero) while Wait waits.
	running int
	idleC   chan struct{}
}

// idle returns a channel closed once no user's jobs are running.
func (s *sequencer) idle() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	if s.idleC == nil {
		s.idleC = make(chan struct{})
	}
	return s.idleC
}

func (s *sequencer) do(key string, job func()) { s.add(key, job, false) }

// first runs job next for key: after the job running, before those waiting.
func (s *sequencer) first(key string, job func()) { s.add(key, job, true) }

func (s *sequencer) add(key string, job func(), first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.q == nil {
		s.q = map[string][]func(){}
	}
	pending, running := s.q[key]
	if first {
		s.q[key] = append([]func(){job}, pending...)
	} else {
		s.q[key] = append(pending, job)
	}
	if running {
		return
	}
	s.running++
	go s.drain(key)
}

func (s *sequencer) drain(key string) {
	for {
		s.mu.Lock()
		jobs := s.q[key]
		if len(jobs) == 0 {
			delete(s.q, key)
			if s.running--; s.running == 0 && s.idleC != nil {
				close(s.idleC)
				s.idleC = nil
			}
			s.mu.Unlock()
			return
		}
		job := jobs[0]
		s.q[key] = jobs[1:]
		s.mu.Unlock()
		job()
	}
}
