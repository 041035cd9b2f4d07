package inmem

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot/outbox"
)

// Outbox is the in-process outbox.Outbox: the web chat's queue of counsellor answers and
// reminders when no Redis is configured. It keeps the TTL and ordering of the Redis one.
type Outbox struct {
	now func() time.Time

	mu     sync.Mutex
	boxes  map[string]*box
	sweeps int
}

type box struct {
	items   []outbox.Item
	last    int64 // the latest Seq handed out, kept after the items are fetched
	expires time.Time
}

// NewOutbox returns an empty Outbox.
func NewOutbox() *Outbox { return &Outbox{now: time.Now, boxes: map[string]*box{}} }

// SetClock replaces the outbox's clock, for tests of expiry.
func (o *Outbox) SetClock(now func() time.Time) { o.now = now }

var errNoUser = errors.New("inmem: empty user key")

// Push implements outbox.Outbox.
func (o *Outbox) Push(ctx context.Context, user string, data []byte, ttl time.Duration) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if user == "" {
		return 0, errNoUser
	}
	now := o.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sweepLocked(now)
	b := o.live(user, now)
	if b == nil {
		b = &box{}
		o.boxes[user] = b
	}
	seq := outbox.NextSeq(now, b.last)
	b.last = seq
	b.items = append(b.items, outbox.Item{Seq: seq, Data: append([]byte(nil), data...)})
	if n := len(b.items) - outbox.MaxItems; n > 0 {
		b.items = append([]outbox.Item(nil), b.items[n:]...)
	}
	b.expires = now.Add(ttl)
	return seq, nil
}

// Fetch implements outbox.Outbox.
func (o *Outbox) Fetch(ctx context.Context, user string, ack int64) ([]outbox.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.live(user, o.now())
	if b == nil {
		return nil, nil
	}
	i := 0
	for i < len(b.items) && b.items[i].Seq <= ack {
		i++
	}
	b.items = b.items[i:]
	out := make([]outbox.Item, len(b.items))
	for j, it := range b.items {
		out[j] = outbox.Item{Seq: it.Seq, Data: append([]byte(nil), it.Data...)}
	}
	return out, nil
}

// Erase implements outbox.Outbox.
func (o *Outbox) Erase(ctx context.Context, user string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.boxes, user)
	return ctx.Err()
}

// Len counts the users with a live outbox, for tests.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	now, n := o.now(), 0
	for u := range o.boxes {
		if o.live(u, now) != nil {
			n++
		}
	}
	return n
}

// live returns user's box unless it expired (an expired one is dropped).
func (o *Outbox) live(user string, now time.Time) *box {
	b := o.boxes[user]
	if b != nil && !now.Before(b.expires) {
		delete(o.boxes, user)
		return nil
	}
	return b
}

// sweepLocked drops expired boxes now and then, so memory follows the TTLs like Redis does.
func (o *Outbox) sweepLocked(now time.Time) {
	o.sweeps++
	if o.sweeps%256 != 0 {
		return
	}
	for u, b := range o.boxes {
		if !now.Before(b.expires) {
			delete(o.boxes, u)
		}
	}
}

var _ outbox.Outbox = (*Outbox)(nil)
