package webchat_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/webchat"
)

// testClock is a clock the test moves by hand.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func clockedLimiter() (*inmem.Limiter, *testClock) {
	c := &testClock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	l := inmem.NewLimiter()
	l.SetClock(c.now)
	return l, c
}

// TestRetryAfterMeansWhatItSays: a client that keeps sending while refused is told the same
// Retry-After each time, and gets through once it has waited that long. (A limiter that reserved
// a token for every refused request pushed its turn a second further away with each one.)
func TestRetryAfterMeansWhatItSays(t *testing.T) {
	lim, clock := clockedLimiter()
	h, _ := newHandler(t, webchat.Config{Limiter: lim, PerID: webchat.Rate{PerSecond: 1, Burst: 2}})
	body := `{"id":"` + testID + `","text":"hello"}`
	for i := range 2 {
		if w := post(t, h, body); w.Code != http.StatusOK {
			t.Fatalf("message %d: status %d", i+1, w.Code)
		}
	}
	for i := range 10 {
		w := post(t, h, body)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
			t.Fatalf("refused message %d: status %d, Retry-After %q, want 429 and 1", i+1, w.Code, w.Header().Get("Retry-After"))
		}
	}
	clock.t = clock.t.Add(time.Second)
	if w := post(t, h, body); w.Code != http.StatusOK {
		t.Fatalf("after waiting the Retry-After: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	// The same holds for inbox polls.
	poll := `{"id":"` + testID + `"}`
	var refused *http.Response
	for range 20 {
		if w := postTo(t, h, "/webchat/api/inbox", poll); w.Code == http.StatusTooManyRequests {
			refused = w.Result()
		}
	}
	if refused == nil || refused.Header.Get("Retry-After") != "1" {
		t.Fatalf("polls over the limit: %v", refused)
	}
	clock.t = clock.t.Add(time.Second)
	if w := postTo(t, h, "/webchat/api/inbox", poll); w.Code != http.StatusOK {
		t.Fatalf("poll after waiting the Retry-After: status %d", w.Code)
	}
}

// TestRefusedByIDKeepsAddressTokens: a request refused by its id's limit takes nothing from its
// address's, so others behind the same address (a family's phones on one router, an office's
// NAT) still get through.
func TestRefusedByIDKeepsAddressTokens(t *testing.T) {
	lim, _ := clockedLimiter()
	h, _ := newHandler(t, webchat.Config{Limiter: lim,
		PerID: webchat.Rate{PerSecond: 1, Burst: 1}, PerIP: webchat.Rate{PerSecond: 0.01, Burst: 4}})
	body := func(id string) string { return `{"id":"` + id + `","text":"hello"}` }
	if w := post(t, h, body(testID)); w.Code != http.StatusOK {
		t.Fatalf("first message: %d", w.Code)
	}
	for i := range 5 {
		if w := post(t, h, body(testID)); w.Code != http.StatusTooManyRequests {
			t.Fatalf("message %d over the id's burst: status %d", i+2, w.Code)
		}
	}
	for _, id := range []string{"BBBBBBBBBBBBBBBBBBBBBB", "CCCCCCCCCCCCCCCCCCCCCC", "DDDDDDDDDDDDDDDDDDDDDD"} {
		if w := post(t, h, body(id)); w.Code != http.StatusOK {
			t.Fatalf("another id from the same address: status %d (refused requests used the address's tokens)", w.Code)
		}
	}
	if w := post(t, h, body("EEEEEEEEEEEEEEEEEEEEEE")); w.Code != http.StatusTooManyRequests {
		t.Fatalf("fifth admitted request from an address with a burst of 4: status %d", w.Code)
	}
}
