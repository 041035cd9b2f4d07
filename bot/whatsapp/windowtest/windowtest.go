// Package windowtest is the contract every whatsapp.Window passes: the in-memory window and the
// Redis one run the same cases, so the adapter decides the same way on either whether a message
// it starts may go out as a normal message.
package windowtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/whatsapp"
)

// Backend is one fresh, empty window seen through two handles (two replicas' clients; for an
// in-process window both may be the same value) and the way a user is erased from it: the
// store's Erase where the window lives in the store.
type Backend struct {
	A, B  whatsapp.Window
	Erase func(ctx context.Context, user string) error
}

// Factory returns a new Backend for each case.
type Factory func(t *testing.T) Backend

// base is a whole number of milliseconds, the precision a stored time keeps.
var base = time.UnixMilli(1_698_266_730_000)

// step is one thing done to the window: a touch by handle A or B, or an erase.
type step struct {
	op   string // "a", "b" (touch through that handle) or "erase"
	user string
	at   time.Duration // after base
}

func touchA(user string, at time.Duration) step { return step{"a", user, at} }
func touchB(user string, at time.Duration) step { return step{"b", user, at} }
func erase(user string) step                    { return step{op: "erase", user: user} }

// unknown marks a user whose last time must be unknown in want.
const unknown = time.Duration(-1)

// Run runs the whole contract.
func Run(t *testing.T, newBackend Factory) {
	ms := time.Millisecond
	for _, c := range []struct {
		name  string
		steps []step
		want  map[string]time.Duration // user → last time after base, or unknown
	}{
		{"UnknownUser", nil, map[string]time.Duration{"alice": unknown}},
		{"Touch", []step{touchA("alice", 0)}, map[string]time.Duration{"alice": 0, "bob": unknown}},
		{"KeepsMilliseconds", []step{touchA("alice", 1234*ms)}, map[string]time.Duration{"alice": 1234 * ms}},
		{"NewerTouchMovesOn", []step{touchA("alice", 0), touchA("alice", time.Hour)}, map[string]time.Duration{"alice": time.Hour}},
		{"OlderTouchIgnored", []step{touchA("alice", time.Hour), touchA("alice", 0)}, map[string]time.Duration{"alice": time.Hour}},
		{"OlderTouchByOtherReplicaIgnored", []step{touchA("alice", time.Hour), touchB("alice", time.Hour-ms)}, map[string]time.Duration{"alice": time.Hour}},
		{"SameTimeTwice", []step{touchA("alice", time.Minute), touchB("alice", time.Minute)}, map[string]time.Duration{"alice": time.Minute}},
		{"SeenByOtherReplica", []step{touchB("alice", 5*time.Minute)}, map[string]time.Duration{"alice": 5 * time.Minute}},
		{"UsersAreSeparate", []step{touchA("alice", 0), touchB("bob", time.Hour)}, map[string]time.Duration{"alice": 0, "bob": time.Hour}},
		{"Erase", []step{touchA("alice", time.Hour), touchA("bob", 0), erase("alice")}, map[string]time.Duration{"alice": unknown, "bob": 0}},
		{"EraseUnknownUser", []step{erase("alice")}, map[string]time.Duration{"alice": unknown}},
		// Erasing forgets, it does not remember a high-water mark: an older time counts again.
		{"TouchAfterErase", []step{touchA("alice", time.Hour), erase("alice"), touchB("alice", 0)}, map[string]time.Duration{"alice": 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			be := newBackend(t)
			ctx := context.Background()
			for _, s := range c.steps {
				var err error
				switch s.op {
				case "a":
					err = be.A.Touch(ctx, s.user, base.Add(s.at))
				case "b":
					err = be.B.Touch(ctx, s.user, base.Add(s.at))
				case "erase":
					err = be.Erase(ctx, s.user)
				}
				if err != nil {
					t.Fatalf("%s %s: %v", s.op, s.user, err)
				}
			}
			for user, want := range c.want {
				for h, w := range map[string]whatsapp.Window{"A": be.A, "B": be.B} {
					got, ok, err := w.Last(ctx, user)
					switch {
					case err != nil:
						t.Errorf("Last(%s) through %s: %v", user, h, err)
					case want == unknown && ok:
						t.Errorf("Last(%s) through %s = %v, want unknown", user, h, got.Sub(base))
					case want != unknown && (!ok || !got.Equal(base.Add(want))):
						t.Errorf("Last(%s) through %s = %v (known %v), want %v", user, h, got.Sub(base), ok, want)
					}
				}
			}
		})
	}
	t.Run("ConcurrentTouchesKeepTheLatest", func(t *testing.T) { concurrent(t, newBackend(t)) })
}

// concurrent: two replicas touch one user with many times at once, in no order; the latest wins.
func concurrent(t *testing.T, be Backend) {
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		w := be.A
		if i%2 == 1 {
			w = be.B
		}
		// Spread over the range so the latest is not the last one started.
		at := base.Add(time.Duration((i*7)%n) * time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Touch(ctx, "alice", at); err != nil {
				errs <- fmt.Errorf("touch %v: %w", at.Sub(base), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, ok, err := be.B.Last(ctx, "alice")
	if want := base.Add((n - 1) * time.Second); err != nil || !ok || !got.Equal(want) {
		t.Fatalf("Last = %v, %v, %v; want %v", got.Sub(base), ok, err, want.Sub(base))
	}
}
