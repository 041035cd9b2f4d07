package telegram

import (
	"context"
	"sync"
	"time"
)

// Rate is a token bucket: PerSecond refill with room for Burst messages at once.
type Rate struct {
	PerSecond float64
	Burst     int
}

// localLimiter is the in-process token bucket the sender falls back to when no bot.Limiter is
// configured or the shared one fails. It implements bot.Limiter.
type localLimiter struct {
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	rate   float64
	burst  float64
}

func newLocalLimiter(now func() time.Time) *localLimiter {
	if now == nil {
		now = time.Now
	}
	return &localLimiter{now: now, buckets: map[string]*bucket{}}
}

// Reserve implements bot.Limiter: tokens may go negative, and the debt is the wait.
func (l *localLimiter) Reserve(_ context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	if burst < 1 {
		burst = 1
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= 4096 {
			l.sweep(now)
		}
		b = &bucket{tokens: float64(burst), last: now}
		l.buckets[key] = b
	}
	b.rate, b.burst = perSecond, float64(burst)
	b.refill(now)
	b.tokens--
	if b.tokens >= 0 {
		return 0, nil
	}
	return time.Duration(-b.tokens / perSecond * float64(time.Second)), nil
}

func (b *bucket) refill(now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens += el.Seconds() * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
}

// sweep forgets full buckets: they behave exactly like new ones.
func (l *localLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		b.refill(now)
		if b.tokens >= b.burst {
			delete(l.buckets, k)
		}
	}
}
