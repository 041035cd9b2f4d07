// Package limitertest is the contract every bot.Admitter passes: bot/inmem's and bot/redis's
// (single node and cluster) run it. It uses the real clock, as bot/redis takes its time from the
// server; its rates are slow enough that a loaded machine only makes it ask later, which never
// turns an admission into a refusal.
package limitertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// New returns two admitters on the same buckets, as two replicas of the bot have. Keys must not
// carry over between calls (a fresh server, prefix or limiter each time).
type New func(t *testing.T) (a, b bot.Admitter)

// Run runs the contract.
func Run(t *testing.T, newAdmitters New) {
	for _, c := range []struct {
		name string
		test func(*testing.T, bot.Admitter, bot.Admitter)
	}{
		{"BurstThenRefused", testBurstThenRefused},
		{"RefusedTakesNothing", testRefusedTakesNothing},
		{"WaitingRetryAfterGetsThrough", testWaitingGetsThrough},
		{"AllOrNone", testAllOrNone},
		{"Unlimited", testUnlimited},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := newAdmitters(t)
			c.test(t, a, b)
		})
	}
}

func admit(t *testing.T, l bot.Admitter, buckets ...bot.Bucket) time.Duration {
	t.Helper()
	d, err := l.Admit(context.Background(), buckets...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testBurstThenRefused: a burst is admitted at once, by either replica; the next request is
// refused with a wait of at most one interval; other keys are not affected.
func testBurstThenRefused(t *testing.T, a, b bot.Admitter) {
	k := bot.Bucket{Key: "web:id:x", PerSecond: 2, Burst: 3}
	for i := range 3 {
		l := a
		if i == 1 {
			l = b
		}
		if d := admit(t, l, k); d != 0 {
			t.Fatalf("request %d of a burst of 3 refused for %v", i+1, d)
		}
	}
	d := admit(t, b, k)
	if d <= 0 || d > 500*time.Millisecond {
		t.Fatalf("fourth request: wait %v, want within one interval (500ms)", d)
	}
	if d := admit(t, a, bot.Bucket{Key: "web:id:y", PerSecond: 2, Burst: 3}); d != 0 {
		t.Fatalf("another key refused for %v", d)
	}
}

// testRefusedTakesNothing: requests made while refused do not push the wait further away (a
// reserving limiter would hand each one a later token).
func testRefusedTakesNothing(t *testing.T, a, b bot.Admitter) {
	k := bot.Bucket{Key: "web:ip:x", PerSecond: 4, Burst: 1}
	if d := admit(t, a, k); d != 0 {
		t.Fatalf("first request refused for %v", d)
	}
	first := admit(t, a, k)
	for i := range 20 {
		l := a
		if i%2 == 1 {
			l = b
		}
		d := admit(t, l, k)
		if d <= 0 {
			// The interval passed meanwhile (a slow machine): the token is there, as it should be.
			return
		}
		if d > first {
			t.Fatalf("refused request %d: wait %v grew past the first refusal's %v", i+1, d, first)
		}
	}
}

// testWaitingGetsThrough: a client that waits the Retry-After it was given gets through, however
// often it was refused before.
func testWaitingGetsThrough(t *testing.T, a, b bot.Admitter) {
	k := bot.Bucket{Key: "web:poll:x", PerSecond: 5, Burst: 2}
	admit(t, a, k)
	admit(t, b, k)
	var wait time.Duration
	for range 10 {
		wait = admit(t, a, k)
	}
	if wait <= 0 {
		t.Skip("the machine is too slow for this rate") // not seen: ten calls within 200 ms
	}
	time.Sleep(wait)
	if d := admit(t, b, k); d != 0 {
		t.Fatalf("after waiting the %v it was told, the request is refused for %v more", wait, d)
	}
}

// testAllOrNone: a request refused by one bucket takes no token from the others, and its wait is
// that of the bucket that lacks a token longest.
func testAllOrNone(t *testing.T, a, b bot.Admitter) {
	id := bot.Bucket{Key: "web:id:z", PerSecond: 1, Burst: 1}
	ip := bot.Bucket{Key: "web:ip:z", PerSecond: 1, Burst: 3}
	if d := admit(t, a, ip, id); d != 0 {
		t.Fatalf("first request refused for %v", d)
	}
	for i := range 5 {
		d := admit(t, b, ip, id)
		if d <= 0 || d > time.Second {
			t.Fatalf("request %d over the id's burst: wait %v, want (0, 1s]", i+2, d)
		}
	}
	// The five refusals left the address's two other tokens alone.
	for i := range 2 {
		if d := admit(t, a, ip, bot.Bucket{Key: fmt.Sprintf("web:id:other%d", i), PerSecond: 1, Burst: 1}); d != 0 {
			t.Fatalf("another id from the same address (request %d) refused for %v: refused requests took the address's tokens", i+1, d)
		}
	}
	if d := admit(t, b, ip, bot.Bucket{Key: "web:id:other9", PerSecond: 1, Burst: 1}); d <= 0 {
		t.Fatal("a fourth request from the address was admitted with a burst of 3")
	}
}

// testUnlimited: a bucket without a rate does not limit, alone or with others.
func testUnlimited(t *testing.T, a, _ bot.Admitter) {
	free := bot.Bucket{Key: "free", PerSecond: 0, Burst: 1}
	for range 5 {
		if d := admit(t, a, free); d != 0 {
			t.Fatalf("unlimited bucket refused for %v", d)
		}
	}
	if d := admit(t, a); d != 0 {
		t.Fatalf("no buckets refused for %v", d)
	}
}
