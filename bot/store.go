package bot

import (
	"context"
	"errors"
	"time"
)

// Store keeps sessions and the small facts the bot needs across processes.
// Implementations: bot/inmem (one process) and bot/redis (several replicas).
type Store interface {
	// Update runs fn on the user's session (a zero Session for a new user) and saves the result
	// atomically: no concurrent Update of the same user is lost. fn may be called more than once
	// when a concurrent writer wins, so it must not have side effects outside the session.
	// When fn returns an error nothing is saved and Update returns that error.
	Update(ctx context.Context, user string, fn func(*Session) error) error
	// UpdateOnce is Update for the event of one platform update (updateID, unique among the
	// user's updates on channel; "" for none). When that update was saved before, by any
	// process within DedupeTTL,
	// nothing is saved and ErrDuplicate is returned. The update is recorded in the same write as
	// the session: an update whose handling failed before the write is handled when the platform
	// delivers it again, and an update is never saved twice.
	UpdateOnce(ctx context.Context, user, channel, updateID string, fn func(*Session) error) error
	// Erase deletes everything stored under the user's key.
	Erase(ctx context.Context, user string) error
	// Dedupe records a platform update id and reports whether it had been seen before,
	// so a redelivered update is handled once.
	Dedupe(ctx context.Context, channel, updateID string) (bool, error)
}

// ErrDuplicate is returned by UpdateOnce for an update saved before.
var ErrDuplicate = errors.New("bot: update handled before")

// ErrConflict is returned by Update when concurrent writers kept winning past the retry bound.
var ErrConflict = errors.New("bot: too many concurrent updates of one session")

// DefaultSessionTTL is how long an idle session is kept.
const DefaultSessionTTL = 30 * 24 * time.Hour

// DedupeTTL is how long update ids are remembered for dedupe (Telegram retries for up to a day).
const DedupeTTL = 48 * time.Hour
