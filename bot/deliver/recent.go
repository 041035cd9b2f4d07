package deliver

import (
	"sync"
	"time"
)

// recentTurns remembers, for the chats this process sent to lately, the last turn whose replies
// it saw out, so that the chat's next turn, handled here too, goes out without asking the turn
// record (a round trip per update otherwise, once the chat's queue emptied in between). Only
// the very next turn is let through on it: after "forget me" the turns count from 1 again, and
// an old entry must not wave a new turn through. Bounded: entries expire, and past max entries
// arbitrary ones make room (forgetting one costs a read, never the order).
type recentTurns struct {
	mu  sync.Mutex
	m   map[string]recentTurn
	ttl time.Duration
	max int
}

type recentTurn struct {
	turn uint64
	at   time.Time
}

// Bounds of the recent turns.
const (
	recentTTL = time.Hour
	recentMax = 1 << 16
)

func newRecentTurns(max int, ttl time.Duration) *recentTurns {
	return &recentTurns{m: map[string]recentTurn{}, ttl: ttl, max: max}
}

// done records that turn of user went out from this process.
func (r *recentTurns) done(user string, turn uint64) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[user]; !ok && len(r.m) >= r.max {
		// An eighth at once, so that a full map is swept once per max/8 new chats.
		for u := range r.m {
			delete(r.m, u)
			if len(r.m) < r.max*7/8 {
				break
			}
		}
	}
	r.m[user] = recentTurn{turn: turn, at: now}
}

// follows reports whether turn comes right after the last one of user seen out here.
func (r *recentTurns) follows(user string, turn uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.m[user]
	return ok && e.turn+1 == turn && time.Since(e.at) <= r.ttl
}
