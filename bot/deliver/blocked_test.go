package deliver

import (
	"fmt"
	"testing"
	"time"
)

// TestBlockedSetBounded: the blocked set forgets a user after its TTL and never holds more than
// its cap; a user who is forgotten early is one refused call away from being blocked again.
func TestBlockedSetBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := newBlockedSet(100, time.Hour)
	b.now = func() time.Time { return now }
	for i := range 250 {
		b.add(fmt.Sprint("u", i))
		if n := b.len(); n > 100 {
			t.Fatalf("%d users held after %d blocks, cap 100", n, i+1)
		}
	}
	if !b.has("u249") {
		t.Error("the latest blocked user was forgotten")
	}
	b.remove("u249")
	if b.has("u249") {
		t.Error("unblocked user still blocked")
	}
	b.add("x")
	now = now.Add(2 * time.Hour)
	// Past the TTL, the expired entries make room before any recent one goes.
	b.add("y")
	if !b.has("y") || b.len() != 1 {
		t.Errorf("after the TTL: %d held, y blocked %v; want only y", b.len(), b.has("y"))
	}
	b.add("z")
	now = now.Add(2 * time.Hour)
	if b.has("z") {
		t.Error("a block outlived its TTL")
	}
}
