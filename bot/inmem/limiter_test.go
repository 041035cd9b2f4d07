package inmem_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/limitertest"
)

var _ bot.Limiter = (*inmem.Limiter)(nil)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newLimiter() (*inmem.Limiter, *clock) {
	c := &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	l := inmem.NewLimiter()
	l.SetClock(c.now)
	return l, c
}

func reserve(t *testing.T, l *inmem.Limiter, key string, perSecond float64, burst int) time.Duration {
	t.Helper()
	d, err := l.Reserve(context.Background(), key, perSecond, burst)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLimiterBurstThenGrowingWaits: a burst goes at once, then each call waits one interval
// longer; time refills the bucket; keys are independent.
func TestLimiterBurstThenGrowingWaits(t *testing.T) {
	l, c := newLimiter()
	var got []time.Duration
	for range 6 {
		got = append(got, reserve(t, l, "tg:chat:a", 10, 3))
	}
	want := []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	if d := reserve(t, l, "tg:chat:b", 10, 3); d != 0 {
		t.Fatalf("another key waits %v", d)
	}
	// The seventh token is due 400 ms after the first.
	c.advance(350 * time.Millisecond)
	if d := reserve(t, l, "tg:chat:a", 10, 3); d != 50*time.Millisecond {
		t.Fatalf("350 ms later the seventh call waits %v, want 50ms", d)
	}
	c.advance(time.Second)
	for i := range 3 {
		if d := reserve(t, l, "tg:chat:a", 10, 3); d != 0 {
			t.Fatalf("after a full refill call %d waits %v", i+1, d)
		}
	}
}

// TestLimiterHorizon: past the horizon a call takes no token but is told how long its turn is
// away, so a flood does not push the bucket further into the future.
func TestLimiterHorizon(t *testing.T) {
	l, c := newLimiter()
	var got []time.Duration
	for range 6 {
		got = append(got, reserve(t, l, "slow", 0.05, 1)) // one token per 20 s
	}
	want := []time.Duration{0, 20 * time.Second, 40 * time.Second, 60 * time.Second, 80 * time.Second, 80 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	c.advance(20 * time.Second)
	if d := reserve(t, l, "slow", 0.05, 1); d != 60*time.Second {
		t.Fatalf("after 20 s the next call waits %v, want 60s", d)
	}
}

func TestLimiterEdgeCases(t *testing.T) {
	l, _ := newLimiter()
	for _, rate := range []float64{0, -1} {
		for range 3 {
			if d := reserve(t, l, "x", rate, 1); d != 0 {
				t.Fatalf("rate %v waits %v", rate, d)
			}
		}
	}
	if d := reserve(t, l, "b0", 1, 0); d != 0 {
		t.Fatalf("burst 0 (taken as 1): first call waits %v", d)
	}
	if d := reserve(t, l, "b0", 1, 0); d != time.Second {
		t.Fatalf("burst 0 (taken as 1): second call waits %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Reserve(ctx, "x", 1, 1); err == nil {
		t.Fatal("Reserve with a cancelled context succeeded")
	}
}

// TestLimiterForgetsFullBuckets: buckets that are full again are dropped as new keys arrive, so
// per-client keys do not pile up.
func TestLimiterForgetsFullBuckets(t *testing.T) {
	l, c := newLimiter()
	for i := range 5000 {
		reserve(t, l, fmt.Sprint("ip", i), 1, 1)
		c.advance(10 * time.Millisecond) // each bucket is full again a second later
	}
	if n := l.Len(); n > 2200 {
		t.Fatalf("%d buckets held, most of them full", n)
	}
}

// TestLimiterConcurrent: tokens are taken exactly once under concurrency (run with -race).
func TestLimiterConcurrent(t *testing.T) {
	l, _ := newLimiter()
	var wg sync.WaitGroup
	var mu sync.Mutex
	free := 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d, _ := l.Reserve(context.Background(), "k", 1, 10); d == 0 {
				mu.Lock()
				free++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if free != 10 {
		t.Fatalf("%d calls went at once, want the burst of 10", free)
	}
}

// TestAdmitContract runs the bot.Admitter contract (two "replicas" share one limiter).
func TestAdmitContract(t *testing.T) {
	limitertest.Run(t, func(t *testing.T) (bot.Admitter, bot.Admitter) {
		l := inmem.NewLimiter()
		return l, l
	})
}

// TestAdmitExactWait: on a controlled clock, the wait is exactly the time until the bucket has a
// token, and a request at that time is admitted.
func TestAdmitExactWait(t *testing.T) {
	l, c := newLimiter()
	k := bot.Bucket{Key: "web:id:a", PerSecond: 10, Burst: 2}
	ctx := context.Background()
	for range 2 {
		if d, _ := l.Admit(ctx, k); d != 0 {
			t.Fatalf("burst refused for %v", d)
		}
	}
	for range 50 {
		if d, _ := l.Admit(ctx, k); d != 100*time.Millisecond {
			t.Fatalf("refused: wait %v, want 100ms however often asked", d)
		}
	}
	c.advance(99 * time.Millisecond)
	if d, _ := l.Admit(ctx, k); d != time.Millisecond {
		t.Fatalf("1 ms early: wait %v", d)
	}
	c.advance(time.Millisecond)
	if d, _ := l.Admit(ctx, k); d != 0 {
		t.Fatalf("on time: refused for %v", d)
	}
}
