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
	// The outage notice goes to each user once per outage: noticed holds who had it; an outage
	// ends when the store answered (upAgain) and then NoticeQuiet passed without a failure.
	noticed  map[string]struct{}
	upAgain  bool
	lastFail time.Time

	unsure unsures // writes in doubt (unsure.go)
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

// Handle processes one event and returns the replies to send. When the store fails the event is
// not acted on and the error is returned: the channel asks the platform to deliver it again
// (a non-2xx answer, an unconfirmed offset), and replies is the static "temporarily
// unavailable" message the first time the user meets this outage, nil after. An event of an
// update handled before gets nothing and ErrDuplicate.
func (b *Bot) Handle(ctx context.Context, ev Event) ([]Reply, error) {
	replies, _, err := b.HandleTurn(ctx, ev)
	return replies, err
}

// Turn is the place of an event's replies among the user's replies (see deliver.Turns).
type Turn struct {
	// N is the turn the event took in the user's session (1, 2, …); 0 means the replies need no
	// order: the user's data was just erased, or they are the outage notice.
	N uint64
	// Clear reports that the turn log, read with the session, showed turn N-1 delivered: the
	// replies can go out without asking the turn log again.
	Clear bool
}

// HandleTurn is Handle that also returns the turn the event took: an event whose update
// (Event.Update) was handled before gets no replies and ErrDuplicate. A channel that sends from
// several replicas sends the replies of turn n only after those of turn n-1 (bot/deliver).
//
// When the store fails (err != nil) the turn is zero and the replies, if any, are the outage
// notice, to be sent without order. A write whose answer was lost (UnsureError) is followed
// up: once the store answers, the redelivered update is handled as new if the write did not go
// through, and if it did the replies of that write go out, once, either as the redelivery's
// result on this process or through the channel's LateFunc.
func (b *Bot) HandleTurn(ctx context.Context, ev Event) ([]Reply, Turn, error) {
	return b.handleTurn(ctx, ev, b.takeUnsure(ev))
}

// handleTurn is HandleTurn with ev's write in doubt, if any, looked up already: the resolver may
// settle it before this call does.
func (b *Bot) handleTurn(ctx context.Context, ev Event, u *unsure) ([]Reply, Turn, error) {
	start := time.Now()
	if u != nil {
		replies, turn, applied, err := b.settle(ctx, u, nil)
		switch {
		case errors.Is(err, ErrDuplicate):
			return nil, Turn{}, err
		case err != nil:
			b.outage(err)
			b.obs.Handled(ev.Channel, "unavailable", time.Since(start))
			return b.notice(ev), Turn{}, err
		case applied:
			b.recovered()
			return replies, turn, nil
		}
		// Not applied: the update is new after all.
	}
	var res Result
	var lang string
	var saved Session
	var delivered uint64
	update := func(s *Session) error {
		before, turn := len(s.Topics), s.Turn
		delivered = s.Delivered
		res = b.engine.Respond(s, ev)
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
	erase := false
	if err == nil && res.Erase {
		if err = b.store.Erase(ctx, ev.User); err != nil && ev.Update != "" {
			// Saved but not erased: a redelivery would be a duplicate, so the erasure is
			// followed up like a write in doubt that went through.
			erase = true
			err = &UnsureError{Err: err, Applied: func(context.Context) (bool, error) { return true, nil }}
		}
	}
	if err != nil {
		b.outage(err)
		b.obs.Handled(ev.Channel, "unavailable", time.Since(start))
		var ue *UnsureError
		if errors.As(err, &ue) && ev.Update != "" {
			b.keepUnsure(&unsure{ev: ev, applied: ue.Applied, res: res, saved: saved, lang: lang, erase: erase || res.Erase})
		}
		return b.notice(ev), Turn{}, err
	}
	turn := Turn{N: saved.Turn, Clear: delivered > 0 && delivered+1 == saved.Turn}
	if res.Erase {
		turn = Turn{} // the turn log went with the rest of the user's data
	}
	b.recovered()
	return b.finish(ctx, start, ev, res, saved, lang), turn, nil
}

// finish does what follows a saved event: topic counts, the handoff, the metric; it returns the
// replies as they are sent.
func (b *Bot) finish(ctx context.Context, start time.Time, ev Event, res Result, saved Session, lang string) []Reply {
	for _, t := range res.newTopics {
		b.obs.Topic(t, lang)
	}
	if o, ok := b.obs.(NotUnderstoodObserver); ok {
		for _, node := range res.notUnderstood {
			o.NotUnderstood(lang, node)
		}
	}
	if o, ok := b.obs.(ReachObserver); ok && res.reach != nil {
		l := lang
		if l == "" {
			l = "unknown"
		}
		o.Reached(res.reach.Source, res.reach.Topic, l)
	}
	if o, ok := b.obs.(HelpfulObserver); ok && res.helpful != nil {
		o.Helpful(res.helpful.topic, lang, res.helpful.yes)
	}
	if o, ok := b.obs.(MediumObserver); ok && res.medium != "" && ev.Medium != nil {
		o.Medium(ev.Channel, ev.Medium.Kind, res.medium)
	}
	replies := res.Replies
	if b.hook != nil {
		var herr error
		if replies, herr = b.hook.AfterHandle(ctx, ev, saved, res); herr != nil {
			b.log.Error("handoff failed", "user", ev.User, "err", herr)
		}
	}
	b.obs.Handled(ev.Channel, "ok", time.Since(start))
	return ForDisplay(b.engine.lang, replies)
}

// Duplicate reports whether a platform update was handled before. When the store cannot tell, the
// update is treated as new: answering twice is better than not answering.
func (b *Bot) Duplicate(ctx context.Context, channel, updateID string) bool {
	seen, err := b.store.Dedupe(ctx, channel, updateID)
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

// NoticeQuiet is how long the store must have worked before a failure counts as a new outage,
// whose notice users get again: a store that flaps, or a replica's pooled connections that fail
// one by one after a restart, make one outage.
const NoticeQuiet = 30 * time.Second

// MaxNoticed bounds the users remembered as told of one outage; past it, further users get the
// notice with every redelivery.
const MaxNoticed = 10_000

// notice is the outage reply for ev's user: the static message the first time the user meets
// this outage, nil after (the platform delivers the message again and again until the store
// is back; the user needs telling once).
func (b *Bot) notice(ev Event) []Reply {
	now := time.Now()
	b.mu.Lock()
	if b.upAgain && now.Sub(b.lastFail) > NoticeQuiet || b.noticed == nil {
		b.noticed = map[string]struct{}{}
	}
	b.upAgain, b.lastFail = false, now
	_, told := b.noticed[ev.User]
	if !told && len(b.noticed) < MaxNoticed {
		b.noticed[ev.User] = struct{}{}
	}
	b.mu.Unlock()
	if told {
		return nil
	}
	return b.Unavailable(ev)
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
	b.upAgain = true
	if !b.lastOutage.IsZero() {
		b.log.Info("store reachable again")
		b.lastOutage = time.Time{}
		b.outageCount = 0
	}
}
