package inmem

import (
	"context"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Token buckets of the in-process store: each is kept as the time it is full again (GCRA, as
// bot/redis does it in a script). A token is free while that time lies less than Burst
// intervals ahead.

// handoffInterval is the time one of b's tokens takes to come back.
func handoffInterval(b bot.Bucket) time.Duration {
	if b.PerSecond <= 0 {
		return 0
	}
	return max(time.Duration(float64(time.Second)/b.PerSecond), time.Nanosecond)
}

// Admit implements handoff.Store.
func (m *Handoff) Admit(ctx context.Context, buckets ...bot.Bucket) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	next := make([]time.Time, len(buckets))
	for i, b := range buckets {
		iv := handoffInterval(b)
		if iv == 0 {
			continue // no limit
		}
		tat := m.buckets[b.Key]
		if tat.Before(now) {
			tat = now
		}
		if tat.Sub(now) > time.Duration(max(b.Burst, 1)-1)*iv {
			return false, nil
		}
		next[i] = tat.Add(iv)
	}
	if len(m.buckets) >= m.sweepAt {
		for k, tat := range m.buckets {
			if !tat.After(now) {
				delete(m.buckets, k)
			}
		}
		m.sweepAt = max(2*len(m.buckets), minBuckets)
	}
	for i, b := range buckets {
		if !next[i].IsZero() {
			m.buckets[b.Key] = next[i]
		}
	}
	return true, nil
}

// minBuckets is the number of buckets below which full ones are not swept out.
const minBuckets = 1024

// Refund implements handoff.Store.
func (m *Handoff) Refund(ctx context.Context, b bot.Bucket) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	tat, ok := m.buckets[b.Key]
	if iv := handoffInterval(b); ok && iv > 0 {
		if tat = tat.Add(-iv); tat.After(m.now()) {
			m.buckets[b.Key] = tat
		} else {
			delete(m.buckets, b.Key)
		}
	}
	return ctx.Err()
}
