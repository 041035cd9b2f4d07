package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Bot serves events: it runs the engine inside one atomic store update per event, erases users
// who ask for it, and keeps answering (with the office's phone and address) while the store is down.
type Bot struct {
	engine *Engine
	store  Store
	log    *slog.Logger
	obs    Observer
	hook   HandoffHook // nil: no handoff service

	down        atomic.Bool // fast path: no lock per message while the store is healthy
	mu          sync.Mutex
	lastOutage  time.Time
	outageCount int
}

// OutageLogEvery is how often a store outage is logged while it lasts (not once per message).
const OutageLogEvery = time.Minute

// New returns a Bot; log may be nil.
func New(e *Engine, s Store, log *slog.Logger) *Bot {
	if log == nil {
		log = slog.Default()
	}
	return &Bot{engine: e, store: s, log: log, obs: nopObserver{}}
}

// Observer is told what the bot did, for metrics. It never receives text or user keys.
type Observer interface {
	// Handled is called once per event: outcome is "ok" or "unavailable" (store down).
	Handled(channel, outcome string, took time.Duration)
	// Topic is called when a user opens a topic (a flow) for the first time in their session.
	Topic(flow, lang string)
}

type nopObserver struct{}

func (nopObserver) Handled(string, string, time.Duration) {}
func (nopObserver) Topic(string, string)                  {}

// Observe sets the observer; call before serving.
func (b *Bot) Observe(o Observer) { b.obs = o }

// SetHandoff sets the service that acts on handoffs after each event; call before serving.
func (b *Bot) SetHandoff(h HandoffHook) { b.hook = h }

// Engine returns the bot's engine.
func (b *Bot) Engine() *Engine { return b.engine }

// Store returns the bot's store.
func (b *Bot) Store() Store { return b.store }

// Handle processes one event and returns the replies to send. When the store fails the user gets
// the static "temporarily unavailable" message in their language and the error is returned; an
// event of an update handled before gets nothing and ErrDuplicate.
func (b *Bot) Handle(ctx context.Context, ev Event) ([]Reply, error) {
	replies, _, err := b.HandleTurn(ctx, ev)
	return replies, err
}

// Turn is the place of an event's replies among the user's replies (see TurnLog).
type Turn struct {
	// N is the turn the event took in the user's session (1, 2, …); 0 means the replies need no
	// order: the user's data was just erased, or the store failed before anything was saved.
	N uint64
	// Clear reports that the turn log, read with the session, showed turn N-1 delivered: the
	// replies can go out without asking the turn log again.
	Clear bool
}

// HandleTurn is Handle that also returns the turn the event took: an event whose update
// (Event.Update) was handled before gets no replies and ErrDuplicate. A channel that sends from
// several replicas sends the replies of turn n only after those of turn n-1 (see TurnLog). When
// the store failed after the engine ran (err != nil), the turn is the one the update took if the
// write went through: the outage reply needs no order, but the turn must be recorded as
// delivered, or the chat's next turn would wait for replies that never come.
func (b *Bot) HandleTurn(ctx context.Context, ev Event) ([]Reply, Turn, error) {
	start := time.Now()
	var res Result
	var lang string
	var saved Session
	var delivered uint64
	update := func(s *Session) error {
		before, turn := len(s.Topics), s.Turn
		delivered = s.Delivered
		res = b.engine.Handle(s, ev)
		s.Turn = turn + 1 // after the engine: /start may have replaced the whole session
		lang = s.Lang
		saved = *s
		if len(s.Topics) > before {
			res.newTopics = append([]string(nil), s.Topics[before:]...)
		}
		return nil
	}
	err := b.store.UpdateOnce(ctx, ev.User, ev.Channel, ev.Update, update)
	if errors.Is(err, ErrBadSession) && !errors.Is(err, ErrNewerSession) {
		// Unreadable bytes would otherwise lock the user out until the session expires: start
		// them afresh, which is all the stored bytes amount to anyway.
		b.log.Warn("unreadable session replaced by a new one", "user", ev.User)
		if err = b.store.Erase(ctx, ev.User); err == nil {
			err = b.store.UpdateOnce(ctx, ev.User, ev.Channel, ev.Update, update)
		}
	}
	if errors.Is(err, ErrDuplicate) {
		b.recovered()
		return nil, Turn{}, err
	}
	if err == nil && res.Erase {
		err = b.store.Erase(ctx, ev.User)
	}
	if err != nil {
		b.outage(err)
		b.obs.Handled(ev.Channel, "unavailable", time.Since(start))
		// The store may have saved the session before failing (a write whose reply was lost):
		// then this was turn saved.Turn, and the chat's next turn waits for its replies. The
		// caller sends the outage reply without waiting and records that turn as delivered.
		var maybe Turn
		if !errors.Is(err, ErrConflict) {
			maybe.N = saved.Turn
		}
		return b.Unavailable(ev), maybe, err
	}
	turn := Turn{N: saved.Turn, Clear: delivered > 0 && delivered+1 == saved.Turn}
	if res.Erase {
		turn = Turn{} // the turn log went with the rest of the user's data
	}
	b.recovered()
	for _, t := range res.newTopics {
		b.obs.Topic(t, lang)
	}
	if o, ok := b.obs.(NotUnderstoodObserver); ok {
		for _, node := range res.notUnderstood {
			o.NotUnderstood(lang, node)
		}
	}
	replies := res.Replies
	if b.hook != nil {
		var herr error
		if replies, herr = b.hook.AfterHandle(ctx, ev, saved, res); herr != nil {
			b.log.Error("handoff failed", "user", ev.User, "err", herr)
		}
	}
	b.obs.Handled(ev.Channel, "ok", time.Since(start))
	return ForDisplay(b.engine.lang, replies), turn, nil
}

// Duplicate reports whether a platform update was handled before. When the store cannot tell, the
// update is treated as new: answering twice is better than not answering.
func (b *Bot) Duplicate(ctx context.Context, channel, updateID string) bool {
	seen, err := b.store.Seen(ctx, channel, updateID)
	if err != nil {
		b.outage(err)
		return false
	}
	return seen
}

// Unavailable is the static reply for when the store is down, in the best language known
// without the session: the platform hint, else the text's language, else the default.
func (b *Bot) Unavailable(ev Event) []Reply {
	l := b.engine.lang
	code := l.Negotiate(ev.Lang)
	if code == "" && ev.Kind == KindText {
		code = l.Detect(ev.Text)
	}
	if code == "" {
		code = l.Languages()[0]
	}
	return ForDisplay(l, []Reply{{Lang: code, Text: l.Text(code, MsgUnavailable, "")}})
}

func (b *Bot) outage(err error) {
	b.down.Store(true)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.outageCount++
	if time.Since(b.lastOutage) < OutageLogEvery {
		return
	}
	b.log.Error("store unavailable; users get the static outage message", "err", err, "failures", b.outageCount)
	b.lastOutage = time.Now()
	b.outageCount = 0
}

func (b *Bot) recovered() {
	if !b.down.Load() {
		return
	}
	b.down.Store(false)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.lastOutage.IsZero() {
		b.log.Info("store reachable again")
		b.lastOutage = time.Time{}
		b.outageCount = 0
	}
}
