package inmem

import (
	"context"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot/staff"
)

// Staff is the in-process staff.Store: accounts, sessions and the workspace's records in this
// process's memory, with the same TTLs as bot/redis. Everything is lost on restart (serve warns),
// and replicas do not share it.
type Staff struct {
	now func() time.Time

	mu       sync.Mutex
	accounts map[string]item[staff.Account]
	sessions map[string]item[staff.Session]
	fails    map[string]item[int]
	messages map[string]item[[]staff.Message]
	notes    map[string]item[[]staff.Message]
	counts   map[string]item[map[string]int64]
	setup    map[string]item[struct{}]
}

type item[T any] struct {
	v   T
	exp time.Time
}

// NewStaff returns an empty in-process staff store.
func NewStaff() *Staff {
	return &Staff{now: time.Now, accounts: map[string]item[staff.Account]{}, sessions: map[string]item[staff.Session]{},
		fails: map[string]item[int]{}, messages: map[string]item[[]staff.Message]{}, notes: map[string]item[[]staff.Message]{},
		counts: map[string]item[map[string]int64]{}, setup: map[string]item[struct{}]{}}
}

// SetClock replaces the clock that TTLs run on (tests).
func (s *Staff) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// get returns m[k] unless it expired (then it is dropped).
func get[T any](s *Staff, m map[string]item[T], k string) (T, bool) {
	it, ok := m[k]
	if ok && !s.now().Before(it.exp) {
		delete(m, k)
		var zero T
		return zero, false
	}
	return it.v, ok
}

// sweep drops expired records of m, so that nothing outlives its TTL in memory either.
func sweep[T any](s *Staff, m map[string]item[T]) {
	now := s.now()
	for k, it := range m {
		if !now.Before(it.exp) {
			delete(m, k)
		}
	}
}

// PutAccount implements staff.Store.
func (s *Staff) PutAccount(_ context.Context, a staff.Account, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[a.Name] = item[staff.Account]{a, s.now().Add(ttl)}
	return nil
}

// Account implements staff.Store.
func (s *Staff) Account(_ context.Context, name string) (*staff.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := get(s, s.accounts, name)
	if !ok {
		return nil, nil
	}
	return &a, nil
}

// Accounts implements staff.Store.
func (s *Staff) Accounts(context.Context) ([]staff.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sweep(s, s.accounts)
	out := make([]staff.Account, 0, len(s.accounts))
	for _, it := range s.accounts {
		out = append(out, it.v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteAccount implements staff.Store.
func (s *Staff) DeleteAccount(_ context.Context, name string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := get(s, s.accounts, name)
	delete(s.accounts, name)
	return ok, nil
}

// PutSession implements staff.Store.
func (s *Staff) PutSession(_ context.Context, key string, sess staff.Session, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) > 1000 {
		sweep(s, s.sessions)
	}
	s.sessions[key] = item[staff.Session]{sess, s.now().Add(ttl)}
	return nil
}

// Session implements staff.Store.
func (s *Staff) Session(_ context.Context, key string) (*staff.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := get(s, s.sessions, key)
	if !ok {
		return nil, nil
	}
	return &v, nil
}

// DeleteSession implements staff.Store.
func (s *Staff) DeleteSession(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, key)
	return nil
}

// Fail implements staff.Store.
func (s *Staff) Fail(_ context.Context, key string, window time.Duration) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fails) > 10000 {
		sweep(s, s.fails)
	}
	it, ok := s.fails[key]
	if !ok || !s.now().Before(it.exp) {
		it = item[int]{0, s.now().Add(window)}
	}
	it.v++
	s.fails[key] = it
	return it.v, nil
}

// Failures implements staff.Store.
func (s *Staff) Failures(_ context.Context, key string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := get(s, s.fails, key)
	return n, nil
}

// ClearFailures implements staff.Store.
func (s *Staff) ClearFailures(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.fails, key)
	return nil
}

func (s *Staff) appendTo(m map[string]item[[]staff.Message], user string, msg staff.Message, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(m) > 10000 {
		sweep(s, m) // users whose conversation expired go, so memory follows the TTLs
	}
	list, _ := get(s, m, user)
	list = append(list, msg)
	if len(list) > staff.MaxMessagesPerUser {
		list = append([]staff.Message(nil), list[len(list)-staff.MaxMessagesPerUser:]...)
	}
	m[user] = item[[]staff.Message]{list, s.now().Add(ttl)}
}

func (s *Staff) onTicket(m map[string]item[[]staff.Message], user, code string) []staff.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	list, _ := get(s, m, user)
	var out []staff.Message
	for _, msg := range list {
		if msg.Code == code {
			out = append(out, msg)
		}
	}
	return out
}

// AddMessage implements staff.Store.
func (s *Staff) AddMessage(_ context.Context, user string, m staff.Message, ttl time.Duration) error {
	s.appendTo(s.messages, user, m, ttl)
	return nil
}

// Messages implements staff.Store.
func (s *Staff) Messages(_ context.Context, user, code string) ([]staff.Message, error) {
	return s.onTicket(s.messages, user, code), nil
}

// AddNote implements staff.Store.
func (s *Staff) AddNote(_ context.Context, user string, m staff.Message, ttl time.Duration) error {
	s.appendTo(s.notes, user, m, ttl)
	return nil
}

// Notes implements staff.Store.
func (s *Staff) Notes(_ context.Context, user, code string) ([]staff.Message, error) {
	return s.onTicket(s.notes, user, code), nil
}

// EraseUser implements staff.Store.
func (s *Staff) EraseUser(_ context.Context, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.messages, user)
	delete(s.notes, user)
	return nil
}

// AddCounts implements staff.Store.
func (s *Staff) AddCounts(_ context.Context, day string, counts map[string]int64, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := get(s, s.counts, day)
	if !ok {
		cur = map[string]int64{}
	}
	for k, n := range counts {
		cur[k] += n
	}
	s.counts[day] = item[map[string]int64]{cur, s.now().Add(ttl)}
	return nil
}

// Counts implements staff.Store.
func (s *Staff) Counts(_ context.Context, day string) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, _ := get(s, s.counts, day)
	out := map[string]int64{}
	maps.Copy(out, cur)
	return out, nil
}

// PutSetup implements staff.Store.
func (s *Staff) PutSetup(_ context.Context, digest string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setup[digest] = item[struct{}]{struct{}{}, s.now().Add(ttl)}
	return nil
}

// TakeSetup implements staff.Store.
func (s *Staff) TakeSetup(_ context.Context, digest string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := get(s, s.setup, digest)
	delete(s.setup, digest)
	return ok, nil
}
