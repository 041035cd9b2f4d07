package whatsapp_test

import (
	"context"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/bot/whatsapp/windowtest"
)

// TestMemoryWindowContract runs the Window contract on the in-process window (bot/redis runs it
// on the Redis one); both handles are the same window, as in one process.
func TestMemoryWindowContract(t *testing.T) {
	windowtest.Run(t, func(t *testing.T) windowtest.Backend {
		w := whatsapp.NewMemoryWindow()
		return windowtest.Backend{A: w, B: w, Erase: w.Erase}
	})
}

// TestMemoryWindowBounded: a full window forgets first whoever is past the window, then whoever
// wrote longest ago; a user who writes again is remembered again.
func TestMemoryWindowBounded(t *testing.T) {
	ctx := context.Background()
	w := whatsapp.NewMemoryWindowOf(3)
	t0 := time.Unix(1_700_000_000, 0)
	for i, u := range []string{"a", "b", "c"} {
		_ = w.Touch(ctx, u, t0.Add(time.Duration(i)*time.Minute))
	}
	_ = w.Touch(ctx, "d", t0.Add(time.Hour)) // full: a, the oldest, goes
	for u, want := range map[string]bool{"a": false, "b": true, "c": true, "d": true} {
		if _, ok, _ := w.Last(ctx, u); ok != want {
			t.Errorf("after d: %s remembered %v, want %v", u, ok, want)
		}
	}
	_ = w.Touch(ctx, "b", t0.Add(2*time.Hour)) // known: nothing goes
	if _, ok, _ := w.Last(ctx, "c"); !ok {
		t.Error("a known user's message pushed another out")
	}
	// A day later c and d are past the window: both go for e, and b (recent) stays.
	_ = w.Touch(ctx, "e", t0.Add(25*time.Hour+30*time.Minute))
	for u, want := range map[string]bool{"b": true, "c": false, "d": false, "e": true} {
		if _, ok, _ := w.Last(ctx, u); ok != want {
			t.Errorf("after e: %s remembered %v, want %v", u, ok, want)
		}
	}
}
