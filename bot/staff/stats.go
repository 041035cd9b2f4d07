package staff

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
)

// StatsTTL is how long a day's counters are kept after the last count: a year and a month, so
// that a year can be compared with the one before.
const StatsTTL = 400 * 24 * time.Hour

// Counter names (the CSV's "counter" column). Each is a count of events on a day, never of a
// person: nothing in them names or can single out a user.
//
//	topic:<flow>:<lang>        conversations that opened a topic, by language
//	channel:<channel>          messages handled, by channel
//	tickets:opened:<kind>      tickets opened (chat, visit, urgent)
//	tickets:taken              tickets taken by staff (group or workspace)
//	take:<bucket>              time from opening to taking: 5m, 15m, 1h, 4h, later
//	visits:planned             visits planned (a visit ticket opened)
//	visits:arrived, visits:noshow   what reception recorded
//	nu:<lang>:<node>           texts not understood, by language and the node the user was at
const (
	counterTopic   = "topic:"
	counterChannel = "channel:"
	counterNU      = "nu:"
)

// takeBuckets are the upper bounds of the time-to-take buckets.
var takeBuckets = []struct {
	name string
	max  time.Duration
}{{"5m", 5 * time.Minute}, {"15m", 15 * time.Minute}, {"1h", time.Hour}, {"4h", 4 * time.Hour}}

// Stats counts what the bot and staff did into daily aggregates. It is a bot.Observer (passing
// every call on to the next observer, the metrics) and observes tickets (handoff.Service's
// ObserveTickets). Counts are buffered in memory and added to the store by Run, so counting
// costs the bot's hot path no round trip.
type Stats struct {
	store Store
	next  bot.Observer
	loc   *time.Location
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex
	pending map[string]map[string]int64 // day → counter → n
}

// NewStats returns statistics kept in store, with days in the office's time zone loc; next gets
// every observer call too (nil for none).
func NewStats(store Store, loc *time.Location, next bot.Observer, log *slog.Logger) *Stats {
	if loc == nil {
		loc = time.UTC
	}
	if log == nil {
		log = slog.Default()
	}
	return &Stats{store: store, next: next, loc: loc, now: time.Now, log: log, pending: map[string]map[string]int64{}}
}

// SetClock replaces the clock (tests).
func (s *Stats) SetClock(now func() time.Time) { s.now = now }

func (s *Stats) add(counter string) {
	day := s.now().In(s.loc).Format(bot.DayLayout)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.pending[day]
	if m == nil {
		m = map[string]int64{}
		s.pending[day] = m
	}
	m[counter]++
}

// Handled implements bot.Observer.
func (s *Stats) Handled(channel, outcome string, took time.Duration) {
	if s.next != nil {
		s.next.Handled(channel, outcome, took)
	}
	if outcome == "ok" {
		s.add(counterChannel + channel)
	}
}

// Topic implements bot.Observer.
func (s *Stats) Topic(flow, lang string) {
	if s.next != nil {
		s.next.Topic(flow, lang)
	}
	s.add(counterTopic + flow + ":" + lang)
}

// NotUnderstood implements bot.NotUnderstoodObserver.
func (s *Stats) NotUnderstood(lang, node string) {
	if o, ok := s.next.(bot.NotUnderstoodObserver); ok {
		o.NotUnderstood(lang, node)
	}
	s.add(counterNU + lang + ":" + node)
}

// Ticket counts a ticket event (handoff.Service.ObserveTickets).
func (s *Stats) Ticket(event string, t handoff.Ticket) {
	switch event {
	case "opened":
		s.add("tickets:opened:" + t.Kind)
		if t.Kind == bot.HandoffVisit {
			s.add("visits:planned")
		}
	case "taken":
		s.add("tickets:taken")
		wait := s.now().Sub(t.Created)
		bucket := "later"
		for _, b := range takeBuckets {
			if wait <= b.max {
				bucket = b.name
				break
			}
		}
		s.add("take:" + bucket)
	case "visit_" + handoff.VisitArrived:
		s.add("visits:arrived")
	case "visit_" + handoff.VisitNoShow:
		s.add("visits:noshow")
	}
}

// Flush adds the buffered counts to the store; what cannot be written is kept for the next try.
func (s *Stats) Flush(ctx context.Context) error {
	s.mu.Lock()
	pending := s.pending
	s.pending = map[string]map[string]int64{}
	s.mu.Unlock()
	var first error
	for day, m := range pending {
		if err := s.store.AddCounts(ctx, day, m, StatsTTL); err != nil {
			first = err
			s.mu.Lock()
			for k, n := range m {
				if s.pending[day] == nil {
					s.pending[day] = map[string]int64{}
				}
				s.pending[day][k] += n
			}
			s.mu.Unlock()
		}
	}
	return first
}

// Run flushes every interval until ctx ends, and once more then.
func (s *Stats) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := s.Flush(fctx); err != nil {
				s.log.Warn("staff: statistics not saved at shutdown", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := s.Flush(ctx); err != nil {
				s.log.Warn("staff: statistics not saved; retrying", "err", err)
			}
		}
	}
}
