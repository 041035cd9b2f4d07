package deliver_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
)

// gcraLeaser is a deliver.Leaser with one GCRA bucket per key (as bot/redis keeps them) that
// counts its calls.
type gcraLeaser struct {
	mu       sync.Mutex
	tat      map[string]time.Time
	leases   int
	reserves int
}

func (l *gcraLeaser) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	l.mu.Lock()
	l.reserves++
	l.mu.Unlock()
	first, _, err := l.Lease(ctx, bot.Bucket{Key: key, PerSecond: perSecond, Burst: burst}, 1)
	l.mu.Lock()
	l.leases--
	l.mu.Unlock()
	return max(first, 0), err
}

func (l *gcraLeaser) Lease(_ context.Context, b bot.Bucket, n int) (time.Duration, int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leases++
	now := time.Now()
	iv := deliver.Interval(b.PerSecond)
	tat := l.tat[b.Key]
	if tat.Before(now) {
		tat = now
	}
	first := tat.Add(-time.Duration(b.Burst-1) * iv).Sub(now)
	l.tat[b.Key] = tat.Add(time.Duration(n) * iv)
	return first, n, nil
}

// TestLeasedPacing: with a Leaser the global tokens come in blocks, far fewer calls than
// messages, and still hold the global rate; each chat's bucket is kept in the process and holds
// the chat's rate without asking the limiter.
func TestLeasedPacing(t *testing.T) {
	lim := &gcraLeaser{tat: map[string]time.Time{}}
	p := &fakePlatform{}
	s := newSender(t, p, func(c *deliver.Config) {
		c.Limiter = lim
		c.Global = deliver.Rate{PerSecond: 100, Burst: 10} // leases of 10
		c.Chat = deliver.Rate{PerSecond: 40, Burst: 1}
	})
	const chats, each = 6, 5
	began := time.Now()
	for i := range chats {
		s.Send(fmt.Sprint("c", i), fmt.Sprint("u", i), texts("1", "2", "3", "4", "5"))
	}
	var last time.Time
	for i := range chats {
		to := fmt.Sprint("c", i)
		if got := p.waitFor(t, to, each); len(got) != each {
			t.Fatalf("%s got %q", to, got)
		}
		p.mu.Lock()
		at := p.at[to]
		if d := at[each-1].Sub(at[0]); d < 90*time.Millisecond {
			t.Errorf("%s: 5 messages at 40/s took %v, want at least 100ms", to, d)
		}
		if at[each-1].After(last) {
			last = at[each-1]
		}
		p.mu.Unlock()
	}
	// 30 messages at 100/s with room for 10 at once: the last goes 200 ms in at the earliest.
	if d := last.Sub(began); d < 190*time.Millisecond {
		t.Errorf("30 messages at 100/s overall took %v, want at least 200ms", d)
	}
	lim.mu.Lock()
	defer lim.mu.Unlock()
	if lim.reserves != 0 {
		t.Errorf("%d single reservations: the chats' buckets are the process's, the global one leased", lim.reserves)
	}
	if lim.leases < 3 || lim.leases > 6 {
		t.Errorf("%d leases for %d messages in blocks of 10, want 3 to 6", lim.leases, chats*each)
	}
}

// downLeaser fails every lease after a wait, as a frozen store does.
type downLeaser struct {
	gcraLeaser
	wait  time.Duration
	calls atomic.Int64
}

func (l *downLeaser) Lease(ctx context.Context, _ bot.Bucket, _ int) (time.Duration, int, error) {
	l.calls.Add(1)
	select {
	case <-time.After(l.wait):
	case <-ctx.Done():
	}
	return 0, 0, errors.New("store frozen")
}

// TestLeaseFailureDoesNotQueueMessages: when leasing fails, the pacer paces in the process for a
// while instead of making each message wait for the failing store in turn.
func TestLeaseFailureDoesNotQueueMessages(t *testing.T) {
	lim := &downLeaser{gcraLeaser: gcraLeaser{tat: map[string]time.Time{}}, wait: 200 * time.Millisecond}
	p := &fakePlatform{}
	s := newSender(t, p, func(c *deliver.Config) { c.Limiter = lim })
	began := time.Now()
	const chats = 10
	for i := range chats {
		s.Send(fmt.Sprint("c", i), fmt.Sprint("u", i), texts("1", "2"))
	}
	for i := range chats {
		if got := p.waitFor(t, fmt.Sprint("c", i), 2); len(got) != 2 {
			t.Fatalf("c%d got %q", i, got)
		}
	}
	// One failed lease (200 ms), then the process's own pacing: not 20 failed leases in a row.
	if d := time.Since(began); d > 900*time.Millisecond {
		t.Errorf("20 messages took %v with the store frozen", d)
	}
	if n := lim.calls.Load(); n > 3 {
		t.Errorf("%d leases tried within a second of the first failure, want 1", n)
	}
}
