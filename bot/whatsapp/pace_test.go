package whatsapp_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// keyLimiter records the keys a limiter is asked for.
type keyLimiter struct {
	mu   sync.Mutex
	keys map[string]int
	next *inmem.Limiter
}

func (l *keyLimiter) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	l.mu.Lock()
	l.keys[key]++
	l.mu.Unlock()
	return l.next.Reserve(ctx, key, perSecond, burst)
}

// TestSendsArePaced: WhatsApp's messages draw from the limiter, a bucket per user
// (wa:chat:<pseudonym>, never the number) and one for the number (wa:global), and a user's
// messages go out at the user's rate.
func TestSendsArePaced(t *testing.T) {
	lim := &keyLimiter{keys: map[string]int{}, next: inmem.NewLimiter()}
	e := setup(t, func(c *whatsapp.Config) {
		c.Limiter, c.ChatRate = lim, deliver.Rate{PerSecond: 20, Burst: 1}
	})
	ctx := context.Background()
	e.deliver(t, textMsg("/start"))
	e.g.take()
	began := time.Now()
	replies := []bot.Reply{{Lang: "en", Text: "one"}, {Lang: "en", Text: "two"}, {Lang: "en", Text: "three"}, {Lang: "en", Text: "four"}}
	if err := e.a.SendProactive(ctx, sender, replies); err != nil {
		t.Fatal(err)
	}
	if sends := e.g.take(); len(sends) != 4 {
		t.Fatalf("%d messages sent, want 4", len(sends))
	}
	// Burst 1 at 20/s: the first message may go at once (or wait for /start's), then 50 ms each.
	if d := time.Since(began); d < 140*time.Millisecond {
		t.Errorf("4 messages at 20/s took %v, want at least 150ms", d)
	}
	user := bot.UserKey([]byte("pseudonym-secret"), whatsapp.Channel, sender)
	lim.mu.Lock()
	defer lim.mu.Unlock()
	if lim.keys["wa:chat:"+user] < 4 || lim.keys["wa:global"] < 4 {
		t.Errorf("limiter keys %v: want wa:chat:<pseudonym> and wa:global for every message", lim.keys)
	}
	for k := range lim.keys {
		if strings.Contains(k, sender) {
			t.Errorf("limiter key %q carries the number", k)
		}
	}
}
