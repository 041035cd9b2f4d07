package inmem

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot/handoff"
)

// Handoff is the in-process handoff.Store: the same TTLs and atomicity as bot/redis's, in one
// process only.
type Handoff struct {
	now func() time.Time

	mu        sync.Mutex
	counter   uint64
	tickets   map[string]memItem // code -> JSON ticket
	holders   map[string]memItem // code -> staff
	byUser    map[string]memItem // user -> code
	routes    map[string]memItem // user -> sealed
	reminders map[string]time.Time
	queue     []string
	days      map[string]map[string]time.Time // visit day -> code -> until when it is indexed
	audit     []memAudit
	posts     map[string]memPost   // staff chat message ref -> ticket
	buckets   map[string]time.Time // Admit's token buckets: when each is full again
	sweepAt   int
}

type memItem struct {
	v   []byte
	exp time.Time
}

type memPost struct {
	user, code string
	exp        time.Time
}

type memAudit struct {
	a   handoff.Audit
	exp time.Time
}

// NewHandoff returns an empty in-process handoff store.
func NewHandoff() *Handoff {
	return &Handoff{now: time.Now, tickets: map[string]memItem{}, holders: map[string]memItem{},
		byUser: map[string]memItem{}, routes: map[string]memItem{}, reminders: map[string]time.Time{},
		posts: map[string]memPost{}, buckets: map[string]time.Time{}, days: map[string]map[string]time.Time{},
		sweepAt: minBuckets}
}

// SetClock replaces the store's clock, for tests of expiry.
func (m *Handoff) SetClock(now func() time.Time) { m.now = now }

func (m *Handoff) get(mp map[string]memItem, k string) ([]byte, bool) {
	it, ok := mp[k]
	if !ok {
		return nil, false
	}
	if !m.now().Before(it.exp) {
		delete(mp, k)
		return nil, false
	}
	return it.v, true
}

// NextCounter implements handoff.Store.
func (m *Handoff) NextCounter(ctx context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counter++
	return m.counter, ctx.Err()
}

// SaveTicket implements handoff.Store.
func (m *Handoff) SaveTicket(ctx context.Context, t *handoff.Ticket, ttl time.Duration) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	exp := m.now().Add(ttl)
	m.tickets[t.Code] = memItem{b, exp}
	m.byUser[t.User] = memItem{[]byte(t.Code), exp}
	m.dequeueLocked(t.Code)
	if t.Status != handoff.StatusClosed {
		m.queue = append(m.queue, t.Code)
	}
	if day := t.VisitDay(); day != "" {
		codes := m.days[day]
		if codes == nil {
			codes = map[string]time.Time{}
			m.days[day] = codes
		}
		if exp.After(codes[t.Code]) { // raised, never lowered, as the Redis index's TTL
			codes[t.Code] = exp
		}
	}
	return ctx.Err()
}

// DayVisits implements handoff.Store, like the Redis store: a code whose ticket is gone leaves
// the index, a ticket moved to another day is skipped.
func (m *Handoff) DayVisits(ctx context.Context, day string) ([]*handoff.Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []*handoff.Ticket
	for code, exp := range m.days[day] {
		b, ok := m.get(m.tickets, code)
		if !ok || !now.Before(exp) {
			delete(m.days[day], code)
			continue
		}
		var t handoff.Ticket
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, err
		}
		if t.VisitDay() == day {
			out = append(out, &t)
		}
	}
	if len(m.days[day]) == 0 {
		delete(m.days, day)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Code < out[j].Code
	})
	return out, ctx.Err()
}

// undayLocked removes a code from every day's index.
func (m *Handoff) undayLocked(code string) {
	for day, codes := range m.days {
		delete(codes, code)
		if len(codes) == 0 {
			delete(m.days, day)
		}
	}
}

func (m *Handoff) dequeueLocked(code string) {
	for i, c := range m.queue {
		if c == code {
			m.queue = append(m.queue[:i], m.queue[i+1:]...)
			return
		}
	}
}

// Ticket implements handoff.Store.
func (m *Handoff) Ticket(ctx context.Context, code string) (*handoff.Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.get(m.tickets, code)
	if !ok {
		return nil, ctx.Err()
	}
	var t handoff.Ticket
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	return &t, ctx.Err()
}

// UserTicket implements handoff.Store.
func (m *Handoff) UserTicket(ctx context.Context, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, _ := m.get(m.byUser, user)
	return string(b), ctx.Err()
}

// Claim implements handoff.Store.
func (m *Handoff) Claim(ctx context.Context, code, staff string, ttl time.Duration) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.get(m.holders, code); ok {
		return string(b), string(b) == staff, ctx.Err()
	}
	m.holders[code] = memItem{[]byte(staff), m.now().Add(ttl)}
	return staff, true, ctx.Err()
}

// Unclaim implements handoff.Store.
func (m *Handoff) Unclaim(ctx context.Context, code string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.holders, code)
	return ctx.Err()
}

// Queue implements Store: by creation time, like the Redis store.
func (m *Handoff) Queue(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	created := map[string]time.Time{}
	for _, c := range m.queue {
		if b, ok := m.get(m.tickets, c); ok {
			var t handoff.Ticket
			_ = json.Unmarshal(b, &t)
			created[c] = t.Created
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return created[out[i]].Before(created[out[j]]) })
	return out, ctx.Err()
}

// SetRoute implements handoff.Store.
func (m *Handoff) SetRoute(ctx context.Context, user string, sealed []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.routes[user] = memItem{append([]byte(nil), sealed...), m.now().Add(ttl)}
	return ctx.Err()
}

// Route implements handoff.Store.
func (m *Handoff) Route(ctx context.Context, user string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, _ := m.get(m.routes, user)
	return b, ctx.Err()
}

// LinkPost implements handoff.Store.
func (m *Handoff) LinkPost(ctx context.Context, user, code, ref string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.posts[ref] = memPost{user: user, code: code, exp: m.now().Add(ttl)}
	return ctx.Err()
}

// PostTicket implements handoff.Store.
func (m *Handoff) PostTicket(ctx context.Context, ref string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.posts[ref]
	if !ok {
		return "", ctx.Err()
	}
	if !m.now().Before(p.exp) {
		delete(m.posts, ref)
		return "", ctx.Err()
	}
	return p.code, ctx.Err()
}

// DeleteRoute implements handoff.Store.
func (m *Handoff) DeleteRoute(ctx context.Context, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.routes, user)
	return ctx.Err()
}

// Remind implements handoff.Store.
func (m *Handoff) Remind(ctx context.Context, user string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reminders[user] = at
	return ctx.Err()
}

// CancelReminder implements handoff.Store.
func (m *Handoff) CancelReminder(ctx context.Context, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.reminders, user)
	return ctx.Err()
}

// DueReminders implements handoff.Store.
func (m *Handoff) DueReminders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for u, at := range m.reminders {
		if !at.After(now) {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, ctx.Err()
}

// ClaimReminder implements handoff.Store.
func (m *Handoff) ClaimReminder(ctx context.Context, user string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.reminders[user]
	delete(m.reminders, user)
	return ok, ctx.Err()
}

// AddAudit implements handoff.Store.
func (m *Handoff) AddAudit(ctx context.Context, a handoff.Audit, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audit = append(m.audit, memAudit{a, m.now().Add(ttl)})
	if len(m.audit) >= 2*handoff.AuditCap { // trimmed now and then; AuditTrail reads at most handoff.AuditCap
		m.audit = append(m.audit[:0:0], m.audit[len(m.audit)-handoff.AuditCap:]...)
	}
	return ctx.Err()
}

// AuditTrail implements handoff.Store.
func (m *Handoff) AuditTrail(ctx context.Context, n int) ([]handoff.Audit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	n = min(n, handoff.AuditCap)
	var out []handoff.Audit
	for i, left := len(m.audit)-1, handoff.AuditCap; i >= 0 && left > 0 && len(out) < n; i, left = i-1, left-1 {
		if now.Before(m.audit[i].exp) {
			out = append(out, m.audit[i].a)
		}
	}
	return out, ctx.Err()
}

// EraseUser implements handoff.Store.
func (m *Handoff) EraseUser(ctx context.Context, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.byUser[user]; ok {
		code := string(it.v)
		delete(m.tickets, code)
		delete(m.holders, code)
		m.dequeueLocked(code)
		m.undayLocked(code)
	}
	// Tickets saved earlier under the same user.
	for code, it := range m.tickets {
		var t handoff.Ticket
		if json.Unmarshal(it.v, &t) == nil && t.User == user {
			delete(m.tickets, code)
			delete(m.holders, code)
			m.dequeueLocked(code)
			m.undayLocked(code)
		}
	}
	for ref, p := range m.posts {
		if p.user == user {
			delete(m.posts, ref)
		}
	}
	delete(m.byUser, user)
	delete(m.routes, user)
	delete(m.reminders, user)
	return ctx.Err()
}

// Len counts the records kept about users (tickets, routes, reminders, staff chat links, day
// index entries), for
// tests.
func (m *Handoff) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.tickets) + len(m.byUser) + len(m.routes) + len(m.reminders) + len(m.holders) + len(m.posts)
	for _, codes := range m.days {
		n += len(codes)
	}
	return n
}
