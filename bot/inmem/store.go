// Package inmem is the one home of the in-process implementations: the Store (the default when
// no Redis is configured, and the store of `returnbot chat`), the rate Limiter, the delivery
// queue, the web chat outbox and the handoff store. They keep everything in memory with the same
// TTLs and atomicity as their bot/redis counterparts, which pass the same contract tests.
package inmem

import (
	"context"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Store keeps encoded sessions in memory. The zero value is not usable; call New.
type Store struct {
	ttl    time.Duration
	now    func() time.Time
	limits Limits

	mu       sync.Mutex
	sessions map[string]*entry
	lru      entry            // sentinel of the ring of sessions, most recently used first
	seen     map[string]int64 // channel:id -> expiry (Unix nanoseconds)
	// seenOrder holds the seen keys in the order they were recorded. Every record has the same
	// TTL, so it is also the order they expire in: the oldest go first, by expiry or for room.
	seenOrder []seenRecord
	seenHead  int
	sweeps    int
}

type entry struct {
	mu      sync.Mutex // serialises updates of one user without blocking others
	data    []byte
	expires time.Time
	// The fields below are guarded by Store.mu, not entry.mu, so reading them never waits for
	// a running update.
	//
	// delivered is the turn record (deliver.Turns).
	delivered uint64
	// user is the entry's key in Store.sessions.
	user string
	// prev and next link the entries from most to least recently used.
	prev, next *entry
	// busy counts the updates holding or waiting for mu: such an entry is neither swept nor
	// evicted, or the update would write to an entry no longer in the store.
	busy int
}

type seenRecord struct {
	key     string
	expires int64
}

// Limits bound how much the store holds, so that a flood of new users (or a long uptime)
// cannot exhaust the process's memory.
type Limits struct {
	// Sessions is the most sessions kept (DefaultMaxSessions if 0). When a new user would go
	// over it, the least recently used session is dropped, as if it had expired.
	Sessions int
	// Dedupe is the most update ids remembered for deduplication (DedupePerSession × Sessions if
	// 0); past it the oldest is forgotten first.
	Dedupe int
	// Evicted, if not nil, is called for each live session dropped for room (not for expiry),
	// with Store's lock held: it must be quick and must not call the store.
	Evicted func()
}

// DefaultMaxSessions is the session cap when none is configured. A session with its map entry,
// links and lock takes about 700 bytes of heap and a remembered update id about 120
// (BenchmarkSessionMemory, sessions with a full trail, answers and topics), so 50,000 sessions
// with DedupePerSession ids each take at most about 85 MB: within a small server's memory, and
// more people than one office talks to within a session's TTL.
const DefaultMaxSessions = 50_000

// DedupePerSession is how many update ids per session the default Dedupe limit allows for: a
// session's messages of the last DedupeTTL (48 hours), for the users who write most.
const DedupePerSession = 8

// New returns a store whose sessions expire after ttl of inactivity (bot.DefaultSessionTTL if
// 0), with the default limits.
func New(ttl time.Duration) *Store { return NewWithLimits(ttl, Limits{}) }

// NewWithLimits is New with limits on what the store holds.
func NewWithLimits(ttl time.Duration, l Limits) *Store {
	if ttl <= 0 {
		ttl = bot.DefaultSessionTTL
	}
	if l.Sessions <= 0 {
		l.Sessions = DefaultMaxSessions
	}
	if l.Dedupe <= 0 {
		l.Dedupe = DedupePerSession * l.Sessions
	}
	s := &Store{ttl: ttl, now: time.Now, limits: l, sessions: map[string]*entry{}, seen: map[string]int64{}}
	s.lru.prev, s.lru.next = &s.lru, &s.lru
	return s
}

// SetClock replaces the store's clock, for tests of expiry.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Update implements bot.Store. Sessions are stored encoded, so a caller never shares memory with
// the store and the in-process store exercises the same encoding as Redis.
func (s *Store) Update(ctx context.Context, user string, fn func(*bot.Session) error) error {
	return s.UpdateOnce(ctx, user, "", "", fn)
}

// UpdateOnce implements bot.Store: the update is looked up and recorded under the user's lock,
// with the session.
func (s *Store) UpdateOnce(ctx context.Context, user, channel, updateID string, fn func(*bot.Session) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	e := s.useLocked(user)
	s.sweepLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		e.busy--
		s.mu.Unlock()
	}()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := s.now()
	seenKey := "once|" + channel + ":" + user + ":" + updateID // the user's own; apart from Dedupe's ids
	if updateID != "" {
		s.mu.Lock()
		exp, dup := s.seen[seenKey]
		s.mu.Unlock()
		if dup && now.UnixNano() < exp {
			return bot.ErrDuplicate
		}
	}
	var sess bot.Session
	if e.data != nil && now.Before(e.expires) {
		if err := sess.UnmarshalBinary(e.data); err != nil {
			return err
		}
	}
	s.mu.Lock()
	sess.Delivered = e.delivered
	s.mu.Unlock()
	if err := fn(&sess); err != nil {
		return err
	}
	data, err := sess.MarshalBinary()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[user] != e {
		// Erased while fn ran: the erase wins, as it would in Redis.
		return nil
	}
	e.data, e.expires = data, now.Add(s.ttl)
	if updateID != "" {
		s.recordSeenLocked(seenKey, now)
	}
	return nil
}

// useLocked returns the user's entry, marked busy and moved to the front of the recently used;
// a new user's entry may evict the least recently used session.
func (s *Store) useLocked(user string) *entry {
	e := s.sessions[user]
	if e == nil {
		e = &entry{user: user}
		s.sessions[user] = e
		s.evictLocked()
	} else {
		s.unlinkLocked(e)
	}
	// Link at the front.
	e.prev, e.next = &s.lru, s.lru.next
	e.prev.next, e.next.prev = e, e
	e.busy++
	return e
}

// evictLocked drops the least recently used sessions not in use until the store is within its
// limit. Sessions being updated are passed over: if all are, the store goes over the limit
// until they finish, rather than lose an update.
func (s *Store) evictLocked() {
	now := s.now()
	for e := s.lru.prev; len(s.sessions) > s.limits.Sessions && e != &s.lru; {
		prev := e.prev
		if e.busy == 0 {
			s.dropLocked(e)
			if e.data != nil && now.Before(e.expires) && s.limits.Evicted != nil {
				s.limits.Evicted()
			}
		}
		e = prev
	}
}

// dropLocked removes an entry from the store.
func (s *Store) dropLocked(e *entry) {
	delete(s.sessions, e.user)
	s.unlinkLocked(e)
}

func (s *Store) unlinkLocked(e *entry) {
	if e.prev != nil {
		e.prev.next, e.next.prev = e.next, e.prev
		e.prev, e.next = nil, nil
	}
}

// recordSeenLocked remembers an update id until DedupeTTL from now, forgetting the oldest ids
// beyond the limit.
func (s *Store) recordSeenLocked(key string, now time.Time) {
	exp := now.Add(bot.DedupeTTL).UnixNano()
	s.seen[key] = exp
	s.seenOrder = append(s.seenOrder, seenRecord{key, exp})
	for len(s.seen) > s.limits.Dedupe && s.seenHead < len(s.seenOrder) {
		s.forgetOldestSeenLocked()
	}
}

// forgetOldestSeenLocked drops the oldest record of seenOrder, and its id unless the id was
// recorded again since.
func (s *Store) forgetOldestSeenLocked() {
	r := s.seenOrder[s.seenHead]
	s.seenOrder[s.seenHead] = seenRecord{}
	s.seenHead++
	if s.seen[r.key] == r.expires {
		delete(s.seen, r.key)
	}
	// Reuse the array once the dropped records are half of it.
	if s.seenHead > len(s.seenOrder)/2 && s.seenHead >= 1024 {
		n := copy(s.seenOrder, s.seenOrder[s.seenHead:])
		clear(s.seenOrder[n:])
		s.seenOrder, s.seenHead = s.seenOrder[:n], 0
	}
}

// Erase implements bot.Store.
func (s *Store) Erase(ctx context.Context, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.sessions[user]; e != nil {
		s.dropLocked(e)
	}
	return ctx.Err()
}

// DeliveredTurn implements deliver.Turns.
func (s *Store) DeliveredTurn(ctx context.Context, user string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.sessions[user]; e != nil {
		return e.delivered, ctx.Err()
	}
	return 0, ctx.Err()
}

// MarkDelivered implements deliver.Turns. The record lives with the session: a user without one
// (erased, expired) has nothing to order.
func (s *Store) MarkDelivered(ctx context.Context, user string, turn uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.sessions[user]; e != nil && turn > e.delivered {
		e.delivered = turn
	}
	return ctx.Err()
}

// Dedupe implements bot.Store.
func (s *Store) Dedupe(ctx context.Context, channel, updateID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	key := channel + ":" + updateID
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.seen[key]; ok && now.UnixNano() < exp {
		return true, nil
	}
	s.recordSeenLocked(key, now)
	return false, nil
}

// Len counts live sessions, for tests and metrics.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, n := s.now(), 0
	for _, e := range s.sessions {
		if e.data != nil && now.Before(e.expires) {
			n++
		}
	}
	return n
}

// sweepLocked drops expired entries now and then, so memory follows the TTLs like Redis does.
func (s *Store) sweepLocked() {
	s.sweeps++
	if s.sweeps%1024 != 0 {
		return
	}
	now := s.now()
	for _, e := range s.sessions {
		if (e.data == nil || !now.Before(e.expires)) && e.busy == 0 {
			s.dropLocked(e)
		}
	}
	for s.seenHead < len(s.seenOrder) && s.seenOrder[s.seenHead].expires <= now.UnixNano() {
		s.forgetOldestSeenLocked()
	}
}
