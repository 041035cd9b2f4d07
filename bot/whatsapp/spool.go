package whatsapp

import (
	"sync"
	"time"
)

// DefaultSpool bounds the messages kept in memory while the store fails (Config.Spool). A held
// message costs its event (text up to 4,096 bytes) and a goroutine's wait; ten thousand is a few
// tens of MB at worst, and more people than write to the office in an hour.
const DefaultSpool = 10_000

// spool counts the messages held while the store fails, each waiting in its user's queue
// (Adapter.seq) and tried again until the store takes it. Meta also delivers them again (the
// webhook answered 503), but its retries can come minutes apart; the spool acts on a message as
// soon as the store is back, and a redelivery finds it handled. A user's later messages wait
// behind a held one, so they are acted on in order.
type spool struct {
	mu    sync.Mutex
	max   int
	held  map[string]bool // message ids held
	users map[string]int  // held messages per user
	stop  chan struct{}   // closed on shutdown: held messages are left to Meta's redelivery
	once  sync.Once
}

func newSpool(max int) *spool {
	return &spool{max: max, held: map[string]bool{}, users: map[string]int{}, stop: make(chan struct{})}
}

// hold keeps message id of user; false when the spool is full.
func (s *spool) hold(user, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[id] {
		return true
	}
	if len(s.held) >= s.max {
		return false
	}
	s.held[id] = true
	s.users[user]++
	return true
}

// release forgets a held message once the store took it (or it is given up on).
func (s *spool) release(user, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.held[id] {
		return
	}
	delete(s.held, id)
	if s.users[user]--; s.users[user] <= 0 {
		delete(s.users, user)
	}
}

// holds reports whether message id is held, and whether user has a message held.
func (s *spool) holds(user, id string) (msg, usr bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[id], s.users[user] > 0
}

// size is the number of messages held.
func (s *spool) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held)
}

// wait pauses a held message's next try; false when shutting down.
func (s *spool) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	}
}

func (s *spool) close() { s.once.Do(func() { close(s.stop) }) }
