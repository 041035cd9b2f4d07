// Package inmem is the in-process Store: the default when no Redis is configured, and the store of
// `returnbot chat`. It keeps everything in memory with the same TTLs and atomicity as bot/redis.
package inmem

import (
	"context"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Store keeps encoded sessions in memory. The zero value is not usable; call New.
type Store struct {
	ttl time.Duration
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]*entry
	seen     map[string]time.Time // channel:id -> expiry
	sweeps   int
}

type entry struct {
	mu      sync.Mutex // serialises updates of one user without blocking others
	data    []byte
	expires time.Time
	// delivered is the TurnLog record; guarded by Store.mu, not entry.mu, so reading it never
	// waits for a running update.
	delivered uint64
}

// New returns a store whose sessions expire after ttl of inactivity (bot.DefaultSessionTTL if 0).
func New(ttl time.Duration) *Store {
	if ttl <= 0 {
		ttl = bot.DefaultSessionTTL
	}
	return &Store{ttl: ttl, now: time.Now, sessions: map[string]*entry{}, seen: map[string]time.Time{}}
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
	e := s.sessions[user]
	if e == nil {
		e = &entry{}
		s.sessions[user] = e
	}
	s.sweepLocked()
	s.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := s.now()
	seenKey := "once|" + channel + ":" + user + ":" + updateID // the user's own; apart from Seen's ids
	if updateID != "" {
		s.mu.Lock()
		exp, dup := s.seen[seenKey]
		s.mu.Unlock()
		if dup && now.Before(exp) {
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
		s.seen[seenKey] = now.Add(bot.SeenTTL)
	}
	return nil
}

// Erase implements bot.Store.
func (s *Store) Erase(ctx context.Context, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, user)
	return ctx.Err()
}

// DeliveredTurn implements bot.TurnLog.
func (s *Store) DeliveredTurn(ctx context.Context, user string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.sessions[user]; e != nil {
		return e.delivered, ctx.Err()
	}
	return 0, ctx.Err()
}

// MarkDelivered implements bot.TurnLog. The record lives with the session: a user without one
// (erased, expired) has nothing to order.
func (s *Store) MarkDelivered(ctx context.Context, user string, turn uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.sessions[user]; e != nil && turn > e.delivered {
		e.delivered = turn
	}
	return ctx.Err()
}

// Seen implements bot.Store.
func (s *Store) Seen(ctx context.Context, channel, updateID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	key := channel + ":" + updateID
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.seen[key]; ok && now.Before(exp) {
		return true, nil
	}
	s.seen[key] = now.Add(bot.SeenTTL)
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
	for k, e := range s.sessions {
		if (e.data == nil || !now.Before(e.expires)) && e.mu.TryLock() {
			delete(s.sessions, k)
			e.mu.Unlock()
		}
	}
	for k, exp := range s.seen {
		if !now.Before(exp) {
			delete(s.seen, k)
		}
	}
}
