package deliver

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Message is one platform call as a channel rendered it: what the runtime sends, paces, retries
// and, when it cannot be sent now, parks (sealed) in the delivery queue.
type Message struct {
	// Method is the platform's call for Body (Telegram: "sendMessage"), "" for a platform with
	// one call for every message (WhatsApp).
	Method string
	// Body is the call's JSON body, addressed to the chat.
	Body []byte
	// Kind names the message in logs ("message", "venue", "callback answer"); "" is "message".
	Kind string
	// Ack marks a call that sends nothing to the chat (Telegram's callback answer, which only
	// stops a button's spinner): not paced, tried twice at most, never parked, not counted as
	// a reply.
	Ack bool
}

// Platform is what a channel implements for the runtime: three small things.
type Platform interface {
	// Render turns replies into the calls that show them to the chat to, in order.
	Render(to string, replies []bot.Reply) []Message
	// Post makes one call. It must return within ctx.
	Post(ctx context.Context, m Message) error
	// Classify says what a failed Post means: Retry (with After when the platform said how long
	// to wait), Drop (refused for good) or Blocked (the user blocked the bot). Code is the
	// platform's status, for logs.
	Classify(err error) Failure
}

// Failure is what a failed call means, as the channel's Platform.Classify says.
type Failure struct {
	// Outcome is Retry, Drop or Blocked.
	Outcome Outcome
	// After is the platform's retry-after (0: none; then the runtime backs off).
	After time.Duration
	// Code is the platform's status or error code, for logs (0: none).
	Code int
	// Throttled marks the platform's "too many requests" (a 429), counted as throttled.
	Throttled bool
}

// Metrics counts what becomes of messages; labels carry no user data (bot/metrics).
type Metrics interface {
	// Reply counts a message: sent, failed (given up on), throttled (a 429) or queued (parked).
	Reply(channel, result string)
}

// Config is what a Sender needs. Zero durations take the defaults.
type Config struct {
	// Channel names the channel in metrics and logs ("telegram").
	Channel string
	// KeyPrefix prefixes the limiter's keys: <prefix>:global and <prefix>:chat:<pseudonym>.
	KeyPrefix string
	// Limiter paces sending; share it across replicas (bot/redis). nil: an in-process one.
	Limiter bot.Limiter
	// Global and Chat are the platform's limits: overall and per chat.
	Global, Chat Rate
	// SendTimeout bounds one call (default 15s).
	SendTimeout time.Duration
	// MaxAttempts bounds tries of one message on transient errors before it is parked (default
	// 5); answers with a retry-after get twice as many.
	MaxAttempts int
	// Backoff is the first wait before a retry, doubling up to MaxBackoff (500ms, 30s).
	Backoff, MaxBackoff time.Duration
	// MaxInlineRetryAfter is the longest retry-after a chat's worker waits out itself (30s);
	// a longer one is waited out in the delivery queue.
	MaxInlineRetryAfter time.Duration
	// TurnWait bounds how long a chat's replies wait for those of its previous turn sent by
	// another replica (default 30s).
	TurnWait time.Duration
	// Turns is the shared turn record (bot/redis); nil in one process, where the queues are in
	// turn order already.
	Turns Turns
	// Queue keeps what could not be sent: bot/redis DeliveryQueue to share it across replicas
	// and restarts, bot/inmem's in one process.
	Queue Queue
	// Secret keys the sealing of parked messages.
	Secret []byte
	// Redeliver is how often and how long parked messages are tried.
	Redeliver Policy
	// Metrics, when set, counts messages.
	Metrics Metrics
	// Log gets pseudonyms, reasons and counts, never content.
	Log *slog.Logger
}

func (c *Config) defaults() {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&c.SendTimeout, 15*time.Second)
	set(&c.Backoff, 500*time.Millisecond)
	set(&c.MaxBackoff, 30*time.Second)
	set(&c.MaxInlineRetryAfter, 30*time.Second)
	set(&c.TurnWait, 30*time.Second)
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = nopMetrics{}
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = c.Channel
	}
}

type nopMetrics struct{}

func (nopMetrics) Reply(string, string) {}

// Stats counts what a Sender did.
type Stats struct {
	// Sent counts calls that succeeded (acks included).
	Sent int64
	// Retries counts calls repeated after a transient failure.
	Retries int64
	// Undeliverable counts messages given up on (refused, blocked, stopped, expired).
	Undeliverable int64
	// Blocked counts the platform's answers that the user blocked the bot.
	Blocked int64
	// TurnTimeouts counts turns sent without the turn before having gone out within TurnWait.
	TurnTimeouts int64
	// Queued counts messages parked in the delivery queue.
	Queued int64
}

type counters struct {
	sent, retries, undeliverable, blocked, turnTimeouts, queued atomic.Int64
}

// Sender is the delivery runtime of one channel: one queue and one goroutine per chat that has
// something to send, so one chat's messages go out in order and a slow or throttled chat holds
// up no other. A chat's turns go out in turn order across replicas (Turns). Every message is
// paced (per chat and global) and retried on transient failures a few times at once (after the
// platform's retry-after when it gives one). One that still fails is parked in the delivery
// queue (Runtime), and so is everything after it for the chat, so that nothing overtakes it;
// the Runtime goes on trying for hours. Only a refusal (Drop, Blocked) drops a message, with a
// count and a log line.
type Sender struct {
	cfg   Config
	p     Platform
	log   *slog.Logger
	pacer *pacer
	stats counters

	started chan struct{}
	ctx     context.Context // ends when the drain bound is over
	cancel  context.CancelFunc

	mu      sync.Mutex
	queues  map[string]*queue // by pseudonym
	closed  bool
	workers sync.WaitGroup
	blocked *blockedSet
	recent  *recentTurns

	rt     *Runtime
	parked map[string]bool // pseudonyms of chats with messages in rt: later ones go there too
}

// queue is what one chat has waiting, ordered by turn. to lives here, in memory, only to
// address messages.
type queue struct {
	to    string
	user  string
	items []item
	// done is the last turn this queue saw out; it spares a turn record read when the previous
	// turn of the chat went through this process.
	done uint64
}

// item is one call: a message (paced) or an ack (not paced). Items of an update carry its turn
// (0: no order): the first item of turn n waits until turn n-1 is out, here or on another
// replica, and the last one records turn n. An update that has nothing to send still queues a
// marker (msg nil) so the turn record moves on.
type item struct {
	msg  *Message
	turn uint64
	last bool
	// unordered items (the outage reply) do not wait for the turn before; the last one still
	// records their turn.
	unordered bool
	// clear: the turn record showed the turn before delivered when the update was handled
	// (bot.Turn.Clear), so there is nothing to wait for.
	clear bool
}

func (it item) what() string {
	if it.msg == nil || it.msg.Kind == "" {
		return "message"
	}
	return it.msg.Kind
}

func (it item) ack() bool { return it.msg != nil && it.msg.Ack }

// NewSender returns the runtime of one channel over p. It sends nothing before Start.
func NewSender(cfg Config, p Platform) (*Sender, error) {
	if p == nil {
		return nil, errors.New("deliver: no platform")
	}
	cfg.defaults()
	s := &Sender{
		cfg: cfg, p: p, log: cfg.Log,
		started: make(chan struct{}),
		queues:  map[string]*queue{}, blocked: newBlockedSet(blockedMax, blockedTTL), parked: map[string]bool{},
		recent: newRecentTurns(recentMax, recentTTL),
	}
	s.pacer = newPacer(cfg.KeyPrefix, cfg.Limiter, cfg.Chat, cfg.Global, func(msg string, args ...any) {
		s.log.Warn(cfg.Channel+": "+msg, args...)
	})
	s.ctx, s.cancel = context.WithCancel(context.Background())
	var err error
	s.rt, err = New(cfg.Queue, parkedChannel{s}, cfg.Secret, cfg.Redeliver, cfg.Log)
	return s, err
}

// Start lets the workers send (once the channel has connected to its platform).
func (s *Sender) Start() { close(s.started) }

// Redeliver runs the delivery queue's runtime until ctx ends: it sends what this process, an
// earlier run or other replicas parked.
func (s *Sender) Redeliver(ctx context.Context) { s.rt.Run(ctx) }

// Runtime is the durable runtime behind the sender.
func (s *Sender) Runtime() *Runtime { return s.rt }

// Stats returns the sender's counters.
func (s *Sender) Stats() Stats {
	c := &s.stats
	return Stats{Sent: c.sent.Load(), Retries: c.retries.Load(), Undeliverable: c.undeliverable.Load(),
		Blocked: c.blocked.Load(), TurnTimeouts: c.turnTimeouts.Load(), Queued: c.queued.Load()}
}

// Send queues replies for the chat to (user is its pseudonym) after what is queued for it,
// without turn: a staff answer, a reminder.
func (s *Sender) Send(to, user string, replies []bot.Reply) {
	s.Enqueue(to, user, nil, replies, bot.Turn{}, true)
}

// Enqueue queues an ack (if not nil) and the replies of one turn for a chat. Unless ordered,
// they go out without waiting for the turn before (the outage reply).
func (s *Sender) Enqueue(to, user string, ack *Message, replies []bot.Reply, t bot.Turn, ordered bool) {
	var items []item
	turn, clear := t.N, t.Clear && ordered
	if ack != nil {
		a := *ack
		a.Ack = true
		items = append(items, item{msg: &a, turn: turn, unordered: !ordered, clear: clear})
	}
	if len(replies) > 0 {
		for _, m := range s.p.Render(to, replies) {
			items = append(items, item{msg: &m, turn: turn, unordered: !ordered, clear: clear})
		}
	}
	if turn > 0 {
		if len(items) == 0 || items[len(items)-1].ack() {
			items = append(items, item{turn: turn, unordered: !ordered, clear: clear}) // the marker
		}
		items[len(items)-1].last = true
	}
	if len(items) == 0 {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		for _, it := range items {
			s.lost(user, it, "stopped", nil, 0)
		}
		return
	}
	q := s.queues[user]
	if q == nil {
		q = &queue{to: to, user: user}
		s.queues[user] = q
		s.workers.Add(1)
		go s.run(q)
	}
	q.items = insertTurn(q.items, items)
	s.mu.Unlock()
}

// Ack sends an ack that belongs to no chat's order (a button press that leads to no event).
func (s *Sender) Ack(m Message) {
	m.Ack = true
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		select {
		case <-s.started:
		case <-s.ctx.Done():
			return
		}
		s.deliver(s.ctx, &queue{}, item{msg: &m})
	}()
}

// requeue puts back an item taken from the front of a queue: before the rest of its turn, or
// where its turn belongs when it was the turn's only item.
func requeue(queued []item, it item) []item {
	for i, q := range queued {
		if q.turn == it.turn {
			return slices.Insert(queued, i, it)
		}
	}
	return insertTurn(queued, []item{it})
}

// earlierQueued reports whether q holds an item of a turn before turn.
func (s *Sender) earlierQueued(q *queue, turn uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range q.items {
		if it.turn > 0 && it.turn < turn {
			return true
		}
	}
	return false
}

// insertTurn puts the items of one turn after those of earlier turns: two updates of a chat
// handled at once may reach the queue in either order. Items without a turn go last.
func insertTurn(queued, items []item) []item {
	t := items[0].turn
	at := len(queued)
	for t > 0 && at > 0 && queued[at-1].turn > t {
		at--
	}
	return slices.Insert(queued, at, items...)
}

// Block stops sending to a user and drops what is queued for them; it returns how many messages
// were dropped (and counted as undeliverable). The user stays blocked until Unblock, or a day
// (the platform's refusal blocks them again).
func (s *Sender) Block(user string) int {
	s.blocked.add(user)
	s.mu.Lock()
	var dropped []item
	if q := s.queues[user]; q != nil {
		dropped, q.items = q.items, nil
	}
	s.mu.Unlock()
	n := 0
	for _, it := range dropped {
		if it.msg != nil && !it.msg.Ack {
			n++
			s.stats.undeliverable.Add(1)
			s.cfg.Metrics.Reply(s.cfg.Channel, "failed")
		}
	}
	return n
}

// Unblock lets messages go to a user again (they wrote, or added the bot back).
func (s *Sender) Unblock(user string) { s.blocked.remove(user) }

// run is the worker of one chat: it sends until the queue is empty, then exits.
func (s *Sender) run(q *queue) {
	defer s.workers.Done()
	select {
	case <-s.started:
	case <-s.ctx.Done():
	}
	for {
		s.mu.Lock()
		if len(q.items) == 0 {
			delete(s.queues, q.user)
			s.mu.Unlock()
			return
		}
		it := q.items[0]
		q.items[0] = item{}
		q.items = q.items[1:]
		s.mu.Unlock()
		blocked := s.blocked.has(q.user)
		if it.clear || (it.turn > 0 && s.recent.follows(q.user, it.turn)) {
			q.done = max(q.done, it.turn-1)
		}
		// A chat with messages in the delivery queue queues behind them: no turn to wait for.
		if it.turn > q.done+1 && !it.unordered && !s.parkedHere(q.user) && !s.awaitTurn(q, it.turn) {
			// An earlier turn of this chat reached this queue while this one waited for it on
			// another replica, which may in turn wait for that one: send it first.
			s.mu.Lock()
			q.items = requeue(q.items, it)
			s.mu.Unlock()
			continue
		}
		queued := false
		switch {
		case it.msg == nil:
			queued = it.last && s.isParked(q.user) && s.park(q, it, time.Now(), nil)
		case blocked:
			s.lost(q.user, it, "blocked", nil, 0)
		default:
			queued, _ = s.deliver(s.ctx, q, it)
		}
		switch {
		case queued:
			// The runtime records the turn once the message is out (parkedChannel.Done).
		case it.last && it.unordered:
			s.unorderedDone(q, it.turn)
		case it.last:
			s.turnDone(q, it.turn)
		}
	}
}

// deliver makes one call, retrying within the bounds, and parks it in the delivery queue when
// they are over (or the sender stops, when the queue outlives the process). It reports whether
// the message was parked, and the error of a refusal (Drop, Blocked) that dropped it. ctx is
// the sender's, or for Deliver the caller's as well: a message the caller has no time left
// for is parked, for the runtime to go on with.
func (s *Sender) deliver(ctx context.Context, q *queue, it item) (bool, error) {
	ack := it.ack()
	if !ack && (s.isParked(q.user) || (it.turn == 0 && s.parkedElsewhere(q.user))) {
		return s.park(q, it, time.Now(), nil), nil
	}
	attempts, throttles := 0, 0
	var since time.Time // of the first failure
	cut := func(err error, code int) (bool, error) {
		if s.ctx.Err() != nil {
			return s.parkOrLose(q, it, since, err, code), nil
		}
		return s.parkAfter(q, it, since, err, code, 0), nil // the caller's time is over
	}
	for {
		if ctx.Err() != nil {
			return cut(nil, 0)
		}
		if !ack && !s.pacer.pace(ctx, q.user) {
			return cut(nil, 0)
		}
		cctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
		err := s.p.Post(cctx, *it.msg)
		cancel()
		if err == nil {
			s.stats.sent.Add(1)
			if !ack {
				s.cfg.Metrics.Reply(s.cfg.Channel, "sent")
			}
			s.rt.Hasten() // the platform answers: queued chats need not wait out their backoff
			return false, nil
		}
		if since.IsZero() {
			since = time.Now()
		}
		if ctx.Err() != nil {
			return cut(err, 0)
		}
		f := s.p.Classify(err)
		wait := f.After
		if f.Throttled {
			s.cfg.Metrics.Reply(s.cfg.Channel, "throttled")
		}
		switch {
		case f.Outcome == Blocked:
			if ack {
				s.lost(q.user, it, "blocked", err, f.Code)
				return false, err
			}
			s.stats.blocked.Add(1)
			dropped := s.Block(q.user)
			s.lost(q.user, it, "blocked", err, f.Code)
			if dropped > 0 {
				s.log.Warn(s.cfg.Channel+": messages undeliverable", "user", q.user, "reason", "blocked", "count", dropped)
			}
			return false, err
		case f.Outcome != Retry:
			s.lost(q.user, it, "refused", err, f.Code)
			return false, err
		case f.After > 0:
			throttles++
			// A long retry-after is waited out in the delivery queue (capped), which outlives
			// a restart, not in the chat's worker.
			if throttles > 2*s.cfg.MaxAttempts || wait > s.cfg.MaxInlineRetryAfter {
				return s.parkAfter(q, it, since, err, f.Code, wait), nil
			}
		default:
			attempts++
			if ack && attempts >= 2 {
				s.lost(q.user, it, "unreachable", err, f.Code)
				return false, nil
			}
			if attempts >= s.cfg.MaxAttempts {
				return s.park(q, it, since, err), nil
			}
			wait = s.Backoff(attempts)
		}
		s.stats.retries.Add(1)
		if !Sleep(ctx, wait) {
			return cut(err, f.Code)
		}
	}
}

// Deliver sends the messages of one turn to a user now, in the caller's goroutine, for a
// channel that runs each user's work one at a time already (WhatsApp, whose per-user sequence
// also holds messages while the store fails). It is the worker of Enqueue without the queue:
// the same turn order across replicas, pacing, retries and parking. It stops at the first
// message the platform refuses, so later ones do not arrive out of context; those count as
// failed in Metrics too (not in Stats: they were not tried), and the refusal is returned. A message parked (or the rest of them, once one
// is) is not an error: the runtime delivers it. ctx bounds the sending; what it cuts off is
// parked.
func (s *Sender) Deliver(ctx context.Context, user string, msgs []Message, t bot.Turn, ordered bool) error {
	q := &queue{user: user}
	turn := t.N
	items := make([]item, 0, len(msgs)+1)
	for i := range msgs {
		items = append(items, item{msg: &msgs[i], turn: turn, unordered: !ordered})
	}
	if turn > 0 {
		if len(items) == 0 {
			items = append(items, item{turn: turn, unordered: !ordered}) // the marker
		}
		items[len(items)-1].last = true
	}
	if (t.Clear && ordered) || (turn > 0 && s.recent.follows(user, turn)) {
		q.done = turn - 1
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	defer context.AfterFunc(s.ctx, stop)()
	if turn > q.done+1 && ordered && !s.parkedHere(user) {
		s.awaitTurn(q, turn)
	}
	var refused error
	queued := false
	for i, it := range items {
		if refused != nil {
			if it.msg != nil {
				s.cfg.Metrics.Reply(s.cfg.Channel, "failed") // not sent, but not tried either
			}
			continue
		}
		switch {
		case it.msg == nil:
			queued = it.last && s.isParked(user) && s.park(q, it, time.Now(), nil)
		case s.blocked.has(user):
			s.lost(user, it, "blocked", nil, 0)
		default:
			queued, refused = s.deliver(ctx, q, it)
			if refused != nil {
				s.log.Warn(s.cfg.Channel+": send failed; dropping the rest of this answer", "user", user, "count", len(items)-1-i)
			}
		}
	}
	switch {
	case queued || turn == 0:
		// The runtime records the turn once the message is out (parkedChannel.Done).
	case !ordered:
		s.unorderedDone(q, turn)
	default:
		s.turnDone(q, turn)
	}
	return refused
}

// Backoff is the wait before retry n (1, 2, ...): doubling from Backoff, capped at MaxBackoff,
// with jitter so that replicas and chats do not retry in step.
func (s *Sender) Backoff(n int) time.Duration {
	d := s.cfg.Backoff << (n - 1)
	if d <= 0 || d > s.cfg.MaxBackoff {
		d = s.cfg.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// Pace waits for a token of the chat's bucket (key: a pseudonym, or a queue of the channel's
// own such as the staff chat's) and of the global one. It reports false when the sender stops
// meanwhile.
func (s *Sender) Pace(key string) bool { return s.pacer.pace(s.ctx, key) }

// lost counts and logs a call given up on. Acks are not messages: a failed one is only logged,
// at debug level when the platform refused it (an old button, answered too late).
func (s *Sender) lost(user string, it item, reason string, err error, code int) {
	if it.ack() {
		lvl := s.log.Warn
		if reason == "refused" || reason == "stopped" {
			lvl = s.log.Debug
		}
		lvl(s.cfg.Channel+": "+it.what()+" not sent", "user", user, "reason", reason, "code", code, "err", err)
		return
	}
	s.stats.undeliverable.Add(1)
	s.cfg.Metrics.Reply(s.cfg.Channel, "failed")
	s.log.Warn(s.cfg.Channel+": message undeliverable", "user", user, "what", it.what(), "reason", reason, "code", code, "err", err)
}

// Drain stops taking messages and waits up to bound for the queues to empty; what is still
// queued then is parked (a durable queue) or counted as undeliverable.
func (s *Sender) Drain(bound time.Duration) {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.workers.Wait(); close(done) }()
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.cancel()
		<-done
	}
	s.cancel()
}

// Busy is the number of chats with messages queued in this process (not those parked).
func (s *Sender) Busy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queues)
}
