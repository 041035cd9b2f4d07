package deliver

import (
	"context"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// leaseWindow is how much of a bucket's rate one lease takes at most (and how long after its
// time a leased token is still used): a block of a tenth of a second of the global rate costs
// one round trip, and what a replica leases and leaves unused wastes no more than that.
const leaseWindow = 100 * time.Millisecond

// maxLease bounds the tokens of one lease.
const maxLease = 256

// leaseRetry is how long the pacer paces in the process alone after the Leaser failed.
const leaseRetry = time.Second

// lease is a block of tokens of one bucket taken from the Leaser: token i may go at
// start + i*interval, not before the lease was taken (got). Tokens whose time is more than
// leaseWindow past are dropped unused, so a lease taken before a quiet spell does not turn into
// a burst after it.
type lease struct {
	mu       sync.Mutex
	got      time.Time
	start    time.Time
	interval time.Duration
	next, n  int
	// downUntil: the Leaser failed; until then the pacer paces in the process without asking.
	downUntil time.Time
}

// leaseSize is how many tokens of b one lease takes: a leaseWindow's worth, no more than the
// bucket's burst (leased tokens used late go together, as a burst would) and at least one.
func leaseSize(b bot.Bucket) int {
	n := int(b.PerSecond * leaseWindow.Seconds())
	return max(1, min(n, b.Burst, maxLease))
}

// leased waits for a token of the global bucket b, from the current lease or a new one. It
// reports false when ctx ends meanwhile.
func (p *pacer) leased(ctx context.Context, b bot.Bucket) bool {
	if b.PerSecond <= 0 {
		return ctx.Err() == nil
	}
	l := &p.lease
	for {
		l.mu.Lock()
		now := time.Now()
		for l.next < l.n && now.Sub(l.at(l.next)) > leaseWindow {
			l.next++ // too old to use
		}
		if l.next < l.n {
			at := l.at(l.next)
			l.next++
			l.mu.Unlock()
			return Sleep(ctx, time.Until(at))
		}
		if now.Before(l.downUntil) {
			// The shared limiter failed a moment ago: do not make every message wait for it
			// in turn (a frozen server costs the whole timeout each time).
			l.mu.Unlock()
			d, _ := p.local.Reserve(ctx, b.Key, b.PerSecond, b.Burst)
			return Sleep(ctx, d)
		}
		// A new lease, taken while holding the lock: the senders that queue behind it take
		// their tokens from it instead of asking the store each.
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		first, taken, err := p.leaser.Lease(rctx, b, leaseSize(b))
		cancel()
		if err != nil {
			l.downUntil = time.Now().Add(leaseRetry)
			l.mu.Unlock()
			p.failed(err)
			d, _ := p.local.Reserve(ctx, b.Key, b.PerSecond, b.Burst)
			return Sleep(ctx, d)
		}
		if taken == 0 {
			l.mu.Unlock()
			// Past the store's horizon: no token was taken; ask again after waiting.
			if !Sleep(ctx, first) {
				return false
			}
			continue
		}
		l.got, l.start = now, now.Add(first)
		l.interval = Interval(b.PerSecond)
		l.next, l.n = 0, taken
		l.mu.Unlock()
	}
}

// at is when token i may go.
func (l *lease) at(i int) time.Time {
	t := l.start.Add(time.Duration(i) * l.interval)
	if t.Before(l.got) {
		return l.got
	}
	return t
}

// Interval is the time between two tokens of a bucket refilled at perSecond, in whole
// microseconds as the shared limiter counts it (at least one).
func Interval(perSecond float64) time.Duration {
	return time.Duration(max(int64(1e6/perSecond), 1)) * time.Microsecond
}
