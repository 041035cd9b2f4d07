package whatsapp

import (
	"context"
	"sync"
	"time"
)

// ServiceWindow is how long after a user's last message the business may send free-form
// messages; outside it only approved templates are delivered.
const ServiceWindow = 24 * time.Hour

// windowMargin keeps a send that starts just before the window closes from arriving after it.
const windowMargin = time.Minute

// Window remembers when each user (by pseudonym) last wrote. MemoryWindow keeps it in this
// process; with several replicas use one they share (bot/redis Store.Window), or a replica that
// did not receive a user's last message takes the window for closed. A Window that also has
// Erase(ctx, user) error is erased by Adapter.EraseUser ("forget me").
type Window interface {
	// Touch records that user wrote at t.
	Touch(ctx context.Context, user string, t time.Time) error
	// Last returns when user last wrote; ok is false when unknown.
	Last(ctx context.Context, user string) (t time.Time, ok bool, err error)
}

// MemoryWindow is a Window in this process's memory. It forgets everything on restart, so after
// a restart every proactive message goes out as a template (or is held back) until the user
// writes again: the safe side. Entries older than the window are dropped, and past
// MaxMemoryWindow users the one who wrote longest ago is forgotten (the safe side again).
type MemoryWindow struct {
	mu    sync.Mutex
	last  map[string]time.Time
	sweep time.Time
	max   int
}

// MaxMemoryWindow is how many users a MemoryWindow remembers at most.
const MaxMemoryWindow = 200_000

// NewMemoryWindow returns an empty MemoryWindow of MaxMemoryWindow users.
func NewMemoryWindow() *MemoryWindow { return NewMemoryWindowOf(MaxMemoryWindow) }

// NewMemoryWindowOf returns an empty MemoryWindow that remembers at most max users.
func NewMemoryWindowOf(max int) *MemoryWindow {
	return &MemoryWindow{last: map[string]time.Time{}, max: max}
}

// Touch records that user wrote at t.
func (w *MemoryWindow) Touch(_ context.Context, user string, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.last[user]; !ok && len(w.last) >= w.max {
		w.evict(t)
	}
	if t.After(w.last[user]) {
		w.last[user] = t
	}
	if t.Sub(w.sweep) > time.Hour {
		for u, at := range w.last {
			if t.Sub(at) > ServiceWindow {
				delete(w.last, u)
			}
		}
		w.sweep = t
	}
	return nil
}

// evict makes room for one user: it drops the entries older than the window, or else the
// oldest one. A full window costs one pass over it per new user, which only a flood of new
// users reaches.
func (w *MemoryWindow) evict(now time.Time) {
	oldest, at := "", time.Time{}
	for u, t := range w.last {
		if now.Sub(t) > ServiceWindow {
			delete(w.last, u)
			continue
		}
		if oldest == "" || t.Before(at) {
			oldest, at = u, t
		}
	}
	if len(w.last) >= w.max && oldest != "" {
		delete(w.last, oldest)
	}
}

// Erase forgets user ("forget me").
func (w *MemoryWindow) Erase(_ context.Context, user string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.last, user)
	return nil
}

// Last returns when user last wrote.
func (w *MemoryWindow) Last(_ context.Context, user string) (time.Time, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.last[user]
	return t, ok, nil
}
