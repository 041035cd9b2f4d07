package deliver

import (
	"sync"
	"time"
)

// blockedSet holds the pseudonyms of users who blocked the bot, so that nothing more is sent to
// them. It is bounded: an entry expires after ttl, and past max entries the expired ones, then
// arbitrary ones, make room. Forgetting a user early costs one refused call (the platform's 403
// puts them back), never a message to someone who blocked the bot.
type blockedSet struct {
	mu  sync.Mutex
	at  map[string]time.Time
	ttl time.Duration
	max int
	now func() time.Time
}

// Bounds of the blocked set.
const (
	blockedTTL = 24 * time.Hour
	blockedMax = 1 << 16
)

func newBlockedSet(max int, ttl time.Duration) *blockedSet {
	return &blockedSet{at: map[string]time.Time{}, ttl: ttl, max: max, now: time.Now}
}

func (b *blockedSet) add(user string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if _, ok := b.at[user]; !ok && len(b.at) >= b.max {
		for u, t := range b.at {
			if now.Sub(t) > b.ttl {
				delete(b.at, u)
			}
		}
		for u := range b.at {
			if len(b.at) < b.max {
				break
			}
			delete(b.at, u)
		}
	}
	b.at[user] = now
}

func (b *blockedSet) remove(user string) {
	b.mu.Lock()
	delete(b.at, user)
	b.mu.Unlock()
}

func (b *blockedSet) has(user string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.at[user]
	if ok && b.now().Sub(t) > b.ttl {
		delete(b.at, user)
		return false
	}
	return ok
}

func (b *blockedSet) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.at)
}
