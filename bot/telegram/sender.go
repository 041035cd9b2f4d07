package telegram

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/inmem"
)

// sender delivers messages: one queue and one goroutine per chat that has something to send, so
// one chat's messages go out in order and a slow or throttled chat holds up no other. Every
// message is paced by the limiter (per chat and global) and retried on 429 (after retry_after),
// 5xx and network errors a few times at once. One that still fails is parked in the delivery
// queue (bot/deliver, in Redis when the store is), and so is everything after it for the chat,
// so that nothing overtakes it; the runtime goes on trying for hours. Only a refusal (400, 403)
// drops a message, with a count and a log line.
type sender struct {
	c     *Adapter
	lim   bot.Limiter
	chain bot.ChainLimiter // lim, when it takes several buckets in one call
	local *localLimiter

	api     *api
	started chan struct{}
	ctx     context.Context // ends when the drain bound is over
	cancel  context.CancelFunc

	mu      sync.Mutex
	queues  map[string]*queue // by pseudonym
	blocked map[string]bool   // pseudonyms of users who blocked the bot
	closed  bool
	workers sync.WaitGroup

	limMu    sync.Mutex
	limErrAt time.Time

	rt     *deliver.Runtime
	parked map[string]bool // pseudonyms of chats with messages in rt: later ones go there too
}

// queue is what one chat has waiting, ordered by turn. chatID lives here, in memory, only to
// address messages.
type queue struct {
	chatID int64
	user   string
	items  []item
	// done is the last turn this queue saw out; it spares a turn log read when the previous turn
	// of the chat went through this process.
	done uint64
}

// item is one Bot API call: a message (paced) or a callback answer (not paced: it sends nothing
// to the chat, it only stops the button's spinner). Items of an update carry its turn
// (bot.Bot.HandleTurn; 0: no order): the first item of turn n waits until turn n-1 is out,
// here or on another replica, and the last one records turn n in the turn log. An update that
// has nothing to send still queues a marker (msg nil) so the turn log moves on.
type item struct {
	msg      tgbotapi.Chattable
	callback string
	turn     uint64
	last     bool
	// unordered items (the outage reply) do not wait for the turn before; the last one still
	// records their turn.
	unordered bool
	// clear: the turn log showed the turn before delivered when the update was handled
	// (bot.Turn.Clear), so there is nothing to wait for.
	clear bool
}

func (it item) what() string {
	switch it.msg.(type) {
	case tgbotapi.VenueConfig:
		return "venue"
	case tgbotapi.CallbackConfig:
		return "callback answer"
	}
	return "message"
}

func newSender(c *Adapter) (*sender, error) {
	s := &sender{
		c: c, lim: c.cfg.Limiter, local: newLocalLimiter(nil),
		started: make(chan struct{}),
		queues:  map[string]*queue{}, blocked: map[string]bool{}, parked: map[string]bool{},
	}
	if s.lim == nil {
		s.lim = s.local
	}
	s.chain, _ = s.lim.(bot.ChainLimiter)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	q := c.cfg.Queue
	if q == nil {
		q = inmem.NewDeliveryQueue()
	}
	var err error
	s.rt, err = deliver.New(q, deliverChannel{s}, c.cfg.Secret, c.cfg.Redeliver, c.log)
	return s, err
}

// start lets the workers send through a.
func (s *sender) start(a *api) {
	s.api = a
	close(s.started)
}

// enqueue queues a callback answer (if callback is set) and the replies of one turn for a chat.
// Unless ordered, they go out without waiting for the turn before (the outage reply).
func (s *sender) enqueue(chatID int64, user, callback string, replies []bot.Reply, t bot.Turn, ordered bool) {
	var items []item
	turn, clear := t.N, t.Clear && ordered
	if callback != "" {
		items = append(items, item{msg: tgbotapi.NewCallback(callback, ""), callback: callback, turn: turn, unordered: !ordered, clear: clear})
	}
	for _, m := range render(chatID, replies) {
		items = append(items, item{msg: m, turn: turn, unordered: !ordered, clear: clear})
	}
	if turn > 0 {
		if len(items) == 0 || items[len(items)-1].callback != "" {
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
			s.lost(user, it, "stopped", nil)
		}
		return
	}
	q := s.queues[user]
	if q == nil {
		q = &queue{chatID: chatID, user: user}
		s.queues[user] = q
		s.workers.Add(1)
		go s.run(q)
	}
	q.items = insertTurn(q.items, items)
	s.mu.Unlock()
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
func (s *sender) earlierQueued(q *queue, turn uint64) bool {
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

// answer answers a callback query that leads to no event.
func (s *sender) answer(callback string) {
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
		s.deliver(&queue{}, item{msg: tgbotapi.NewCallback(callback, ""), callback: callback})
	}()
}

// block stops sending to a user and drops what is queued for them; it returns how many messages
// were dropped (and counted as undeliverable).
func (s *sender) block(user string) int {
	s.mu.Lock()
	s.blocked[user] = true
	var dropped []item
	if q := s.queues[user]; q != nil {
		dropped, q.items = q.items, nil
	}
	s.mu.Unlock()
	n := 0
	for _, it := range dropped {
		if it.callback == "" {
			n++
			s.c.stats.undeliverable.Add(1)
			s.c.cfg.Metrics.Reply(Channel, "failed")
		}
	}
	return n
}

func (s *sender) unblock(user string) {
	s.mu.Lock()
	delete(s.blocked, user)
	s.mu.Unlock()
}

// run is the worker of one chat: it sends until the queue is empty, then exits.
func (s *sender) run(q *queue) {
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
		blocked := s.blocked[q.user]
		s.mu.Unlock()
		if it.clear {
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
			s.lost(q.user, it, "blocked", nil)
		default:
			queued = s.deliver(q, it)
		}
		switch {
		case queued:
			// The runtime records the turn once the message is out (deliverChannel.Done).
		case it.last && it.unordered:
			s.unorderedDone(q, it.turn)
		case it.last:
			s.turnDone(q, it.turn)
		}
	}
}

// deliver makes one call, retrying within the bounds, and parks it in the delivery queue when
// they are over (or the sender stops, when the queue outlives the process). It reports whether
// the message was parked.
func (s *sender) deliver(q *queue, it item) bool {
	if it.callback == "" && s.isParked(q.user) {
		return s.park(q, it, time.Now(), nil)
	}
	attempts, throttles := 0, 0
	var since time.Time // of the first failure
	for {
		if s.ctx.Err() != nil {
			return s.parkOrLose(q, it, since, nil)
		}
		if it.callback == "" && !s.pace(q.user) {
			return s.parkOrLose(q, it, since, nil)
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.c.cfg.SendTimeout)
		_, err := s.api.request(ctx, it.msg)
		cancel()
		if err == nil {
			s.c.stats.sent.Add(1)
			if it.callback == "" {
				s.c.cfg.Metrics.Reply(Channel, "sent")
			}
			s.rt.Hasten() // the API answers: queued chats need not wait out their backoff
			return false
		}
		if since.IsZero() {
			since = time.Now()
		}
		out, wait := classify(s.ctx, err)
		switch out {
		case stopped:
			return s.parkOrLose(q, it, since, err)
		case blocked:
			if it.callback != "" {
				s.lost(q.user, it, "refused", err)
				return false
			}
			s.c.stats.blocked.Add(1)
			dropped := s.block(q.user)
			s.lost(q.user, it, "blocked", err)
			if dropped > 0 {
				s.c.log.Warn("telegram: messages undeliverable", "user", q.user, "reason", "blocked", "count", dropped)
			}
			return false
		case permanent:
			s.lost(q.user, it, "refused", err)
			return false
		case throttled:
			s.c.cfg.Metrics.Reply(Channel, "throttled")
			throttles++
			// A long retry_after is waited out in the delivery queue (capped), which outlives
			// a restart, not in the chat's worker.
			if throttles > 2*s.c.cfg.MaxAttempts || wait > maxInlineRetryAfter {
				return s.park(q, it, since, err)
			}
		case retry:
			attempts++
			if it.callback != "" && attempts >= 2 {
				s.lost(q.user, it, "unreachable", err)
				return false
			}
			if attempts >= s.c.cfg.MaxAttempts {
				return s.park(q, it, since, err)
			}
			wait = s.backoff(attempts)
		}
		s.c.stats.retries.Add(1)
		if !sleep(s.ctx, wait) {
			return s.parkOrLose(q, it, since, err)
		}
	}
}

// backoff is the wait before retry n (1, 2, ...): doubling from Backoff, capped at MaxBackoff,
// with jitter so that replicas and chats do not retry in step.
func (s *sender) backoff(n int) time.Duration {
	d := s.c.cfg.Backoff << (n - 1)
	if d <= 0 || d > s.c.cfg.MaxBackoff {
		d = s.c.cfg.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// pace waits for a token of the chat's bucket and then of the global one. It reports false when
// the sender stops meanwhile.
func (s *sender) pace(user string) bool {
	chat := bot.Bucket{Key: "tg:chat:" + user, PerSecond: s.c.cfg.ChatRate.PerSecond, Burst: s.c.cfg.ChatRate.Burst}
	global := bot.Bucket{Key: "tg:global", PerSecond: s.c.cfg.GlobalRate.PerSecond, Burst: s.c.cfg.GlobalRate.Burst}
	if s.chain != nil {
		return s.wait(chat, global)
	}
	return s.wait(chat) && s.wait(global)
}

// wait takes a token of every bucket (one call when the limiter takes them together) and sleeps
// until the message may go.
func (s *sender) wait(buckets ...bot.Bucket) bool {
	for {
		d := s.reserve(buckets)
		if !sleep(s.ctx, d) {
			return false
		}
		// A wait this long may come from a limiter that took no token (bot/redis past its
		// horizon, during a flood): ask again rather than send on its word.
		if d < farWait {
			return true
		}
	}
}

// maxInlineRetryAfter is the longest retry_after the chat's worker waits out itself.
const maxInlineRetryAfter = 30 * time.Second

// farWait is the wait from which the sender asks the limiter again after waiting.
const farWait = 50 * time.Second

func (s *sender) reserve(buckets []bot.Bucket) time.Duration {
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	var d time.Duration
	var err error
	if len(buckets) > 1 {
		d, err = s.chain.ReserveAll(ctx, buckets...) // pace asks for several only of a chain
	} else {
		b := buckets[0]
		d, err = s.lim.Reserve(ctx, b.Key, b.PerSecond, b.Burst)
	}
	cancel()
	if err != nil {
		// The shared limiter is down: pace within this process rather than not at all.
		s.limMu.Lock()
		if time.Since(s.limErrAt) > time.Minute {
			s.limErrAt = time.Now()
			s.c.log.Warn("telegram: rate limiter unavailable; pacing in this process only", "err", err)
		}
		s.limMu.Unlock()
		d = 0
		for _, b := range buckets {
			w, _ := s.local.Reserve(s.ctx, b.Key, b.PerSecond, b.Burst)
			d = max(d, w)
		}
	}
	return d
}

// lost counts and logs a call given up on. Callback answers are not messages: a failed one is
// only logged, at debug level when Telegram refused it (an old button, answered too late).
func (s *sender) lost(user string, it item, reason string, err error) {
	code := errCode(err)
	if it.callback != "" {
		lvl := s.c.log.Warn
		if code == 400 || reason == "stopped" {
			lvl = s.c.log.Debug
		}
		lvl("telegram: callback query not answered", "user", user, "reason", reason, "code", code, "err", err)
		return
	}
	s.c.stats.undeliverable.Add(1)
	s.c.cfg.Metrics.Reply(Channel, "failed")
	s.c.log.Warn("telegram: message undeliverable", "user", user, "what", it.what(), "reason", reason, "code", code, "err", err)
}

// drain stops taking messages and waits up to bound for the queues to empty; what is still
// queued then is counted as undeliverable. It returns the sent and undeliverable totals.
func (s *sender) drain(bound time.Duration) (sent, undeliverable int64) {
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
	return s.c.stats.sent.Load(), s.c.stats.undeliverable.Load()
}
