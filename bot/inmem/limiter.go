package inmem

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// ReserveHorizon is how far ahead Reserve hands out tokens, as in bot/redis: within it every call
// takes a token and waits grow with each call; past it a call takes no token and is told how long
// its turn is away. It bounds how long a flood keeps a bucket empty after it stops.
const ReserveHorizon = time.Minute

// Limiter is the in-process bot.Limiter: one token bucket per key, for a bot that runs as a single
// process (with several replicas, use the shared limiter of bot/redis). The zero value is not
// usable; call NewLimiter.
type Limiter struct {
	now func() time.Time

	mu        sync.Mutex
	tat       map[string]time.Time // per key: when its bucket is full again
	nextSweep int
}

// NewLimiter returns an empty limiter.
func NewLimiter() *Limiter {
	return &Limiter{now: time.Now, tat: map[string]time.Time{}, nextSweep: minSweep}
}

// SetClock replaces the limiter's clock, for tests.
func (l *Limiter) SetClock(now func() time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
}

// minSweep is the number of buckets below which full ones are not cleared out.
const minSweep = 1024

// Reserve implements bot.Limiter. The bucket is kept as the time it is full again (GCRA, the same
// algorithm bot/redis runs in a script): each token moves that time one interval on, and a token
// is free while the time lies at most burst intervals ahead.
func (l *Limiter) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if perSecond <= 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
		return 0, nil
	}
	burst = max(burst, 1)
	interval := max(time.Duration(float64(time.Second)/perSecond), time.Nanosecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	tat := l.tat[key]
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(interval)
	wait := next.Sub(now) - time.Duration(burst)*interval
	// Past the horizon, rounded up to whole intervals as bot/redis does, nothing is taken.
	ahead := max(time.Duration(math.Ceil(float64(ReserveHorizon)/float64(interval))), 1)
	if wait > ahead*interval {
		return wait, nil
	}
	if _, ok := l.tat[key]; !ok && len(l.tat) >= l.nextSweep {
		l.sweepLocked(now)
	}
	l.tat[key] = next
	return max(wait, 0), nil
}

// sweepLocked forgets buckets that are full again: they behave exactly like new ones. It runs
// when the map has doubled since the last sweep, so its cost is spread over the inserts.
func (l *Limiter) sweepLocked(now time.Time) {
	for k, t := range l.tat {
		if !t.After(now) {
			delete(l.tat, k)
		}
	}
	l.nextSweep = max(2*len(l.tat), minSweep)
}

// Len is the number of buckets held, for tests.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tat)
}

// Admit implements bot.Admitter on the same buckets as Reserve (GCRA): a bucket has a token when
// its full-again time lies at most burst-1 intervals ahead. Nothing is taken unless every bucket
// has one, and the wait returned is the time until the last of them has.
func (l *Limiter) Admit(ctx context.Context, buckets ...bot.Bucket) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, b := range buckets {
		interval, burst, ok := gcra(b)
		if !ok {
			continue
		}
		tat := l.tat[b.Key]
		if tat.Before(now) {
			tat = now
		}
		wait = max(wait, tat.Add(interval-time.Duration(burst)*interval).Sub(now))
	}
	if wait > 0 {
		return wait, nil
	}
	for _, b := range buckets {
		interval, _, ok := gcra(b)
		if !ok {
			continue
		}
		if _, ok := l.tat[b.Key]; !ok && len(l.tat) >= l.nextSweep {
			l.sweepLocked(now)
		}
		tat := l.tat[b.Key]
		if tat.Before(now) {
			tat = now
		}
		l.tat[b.Key] = tat.Add(interval)
	}
	return 0, nil
}

// gcra is a bucket's emission interval and burst; ok is false for a bucket that does not limit.
func gcra(b bot.Bucket) (interval time.Duration, burst int, ok bool) {
	if b.PerSecond <= 0 || math.IsNaN(b.PerSecond) || math.IsInf(b.PerSecond, 0) {
		return 0, 0, false
	}
	return max(time.Duration(float64(time.Second)/b.PerSecond), time.Nanosecond), max(b.Burst, 1), true
}

var _ bot.Admitter = (*Limiter)(nil)
