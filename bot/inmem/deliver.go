package inmem

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot/deliver"
)

// DeliveryQueue is the in-process deliver.Queue, for a bot that runs as one process without
// Redis: parked replies survive an API outage but not a restart. The zero value is not usable;
// call NewDeliveryQueue.
type DeliveryQueue struct {
	mu    sync.Mutex
	items map[string][][]byte
	due   map[string]time.Time // users due (or claimed until) then
	n     int                  // items held, of all users
	max   int
}

// DefaultDeliveryLimit is how many items a DeliveryQueue holds at most (of all users): an outage
// of the platform that outlasts it loses what comes after (counted and logged by the channel),
// rather than the process its memory. The runtime gives items up after Policy.MaxAge anyway.
const DefaultDeliveryLimit = 100_000

// NewDeliveryQueue returns an empty queue of DefaultDeliveryLimit items.
func NewDeliveryQueue() *DeliveryQueue { return NewDeliveryQueueOf(DefaultDeliveryLimit) }

// NewDeliveryQueueOf returns an empty queue that holds at most max items; Push refuses more with
// deliver.ErrFull.
func NewDeliveryQueueOf(max int) *DeliveryQueue {
	return &DeliveryQueue{items: map[string][][]byte{}, due: map[string]time.Time{}, max: max}
}

// Push implements deliver.Queue. ttl is not needed: the queue goes with the process.
func (q *DeliveryQueue) Push(ctx context.Context, user string, item []byte, _ time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n >= q.max {
		return deliver.ErrFull
	}
	q.n++
	q.items[user] = append(q.items[user], bytes.Clone(item))
	if _, ok := q.due[user]; !ok {
		q.due[user] = time.Now()
	}
	return nil
}

// Len implements deliver.Queue.
func (q *DeliveryQueue) Len(_ context.Context, user string) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items[user]), nil
}

// Claim implements deliver.Queue: the user due longest.
func (q *DeliveryQueue) Claim(ctx context.Context, now time.Time, lease time.Duration) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	best, at := "", now
	for u, t := range q.due {
		if !t.After(at) {
			best, at = u, t
		}
	}
	if best != "" {
		q.due[best] = now.Add(lease)
	}
	return best, nil
}

// Head implements deliver.Queue.
func (q *DeliveryQueue) Head(_ context.Context, user string) ([]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if l := q.items[user]; len(l) > 0 {
		return bytes.Clone(l[0]), nil
	}
	return nil, nil
}

// Pop implements deliver.Queue.
func (q *DeliveryQueue) Pop(_ context.Context, user string, head []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	l := q.items[user]
	if len(l) > 0 && bytes.Equal(l[0], head) {
		l = l[1:]
		q.n--
	}
	if len(l) == 0 {
		delete(q.items, user)
	} else {
		q.items[user] = l
	}
	return len(l), nil
}

// Replace implements deliver.Queue.
func (q *DeliveryQueue) Replace(_ context.Context, user string, head, next []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if l := q.items[user]; len(l) > 0 && bytes.Equal(l[0], head) {
		l[0] = bytes.Clone(next)
	}
	return nil
}

// Schedule implements deliver.Queue.
func (q *DeliveryQueue) Schedule(_ context.Context, user string, at time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.due[user] = at
	return nil
}

// Release implements deliver.Queue.
func (q *DeliveryQueue) Release(_ context.Context, user string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items[user]) == 0 {
		delete(q.due, user)
	} else {
		q.due[user] = time.Now()
	}
	return nil
}

// Hasten implements deliver.Queue.
func (q *DeliveryQueue) Hasten(_ context.Context, user string, from, to time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if at, ok := q.due[user]; ok && at.UnixMilli() == from.UnixMilli() {
		q.due[user] = to
	}
	return nil
}

var _ deliver.Queue = (*DeliveryQueue)(nil)
