package bot_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
)

// doubtStore is the in-process store whose first write of one update is reported in doubt
// (bot.UnsureError), as when Redis froze with the write sent: with applied, the write went
// through; without, it was lost (or fenced off once found not applied).
type doubtStore struct {
	*inmem.Store
	update  string
	applied bool

	mu    sync.Mutex
	done  bool
	asked int // Applied calls
}

func (s *doubtStore) UpdateOnce(ctx context.Context, user, channel, update string, fn func(*bot.Session) error) error {
	s.mu.Lock()
	first := update == s.update && !s.done
	s.done = s.done || first
	s.mu.Unlock()
	if !first {
		return s.Store.UpdateOnce(ctx, user, channel, update, fn)
	}
	if s.applied {
		if err := s.Store.UpdateOnce(ctx, user, channel, update, fn); err != nil {
			return err
		}
	} else if err := fn(&bot.Session{}); err != nil {
		return err
	}
	return &bot.UnsureError{Err: errors.New("i/o timeout"), Applied: func(context.Context) (bool, error) {
		s.mu.Lock()
		s.asked++
		s.mu.Unlock()
		return s.applied, nil
	}}
}

// A redelivery that finds its update's write in doubt while the resolver settles it: if the
// write was not applied, the redelivery handles the update (nobody else will); if it was, the
// redelivery is a duplicate and the replies go out once, through OnLate. Before, a redelivery
// that lost this race to a resolver that found the write not applied was taken for a duplicate,
// and the update was acted on by nobody (TestReplicasStall: a user's message without effect or
// reply, the session a turn short).
func TestRedeliveryWhileResolverSettles(t *testing.T) {
	for _, applied := range []bool{false, true} {
		name := map[bool]string{false: "not applied", true: "applied"}[applied]
		t.Run(name, func(t *testing.T) {
			store := &doubtStore{Store: inmem.New(time.Hour), update: "u1", applied: applied}
			b := bot.New(testPack(t).Engine, store, nil)
			var lateMu sync.Mutex
			var late []bot.Turn
			b.OnLate("web", func(ev bot.Event, replies []bot.Reply, turn bot.Turn) {
				lateMu.Lock()
				defer lateMu.Unlock()
				if len(replies) == 0 {
					t.Errorf("late replies of %s: none", ev.Update)
				}
				late = append(late, turn)
			})
			ctx := context.Background()
			ev := text("/start")
			ev.Channel, ev.User, ev.Lang, ev.Update = "web", "a", "en", "u1"
			if _, _, err := b.HandleTurn(ctx, ev); err == nil {
				t.Fatal("write in doubt: no error")
			}
			// The redelivery looks the write up; the resolver settles it before the redelivery
			// gets to.
			replies, turn, err := b.HandleTurnLookedUp(ctx, ev, func() {
				for deadline := time.Now().Add(10 * time.Second); b.InDoubt(ev); time.Sleep(time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("the resolver did not settle the write")
					}
				}
			})
			lates := func() []bot.Turn {
				lateMu.Lock()
				defer lateMu.Unlock()
				return append([]bot.Turn(nil), late...)
			}
			if applied {
				// Handed on before the write stopped being in doubt: a WhatsApp spool's try that
				// finds the message handled has its replies queued already.
				if !errors.Is(err, bot.ErrDuplicate) || len(replies) != 0 {
					t.Fatalf("redelivery of an applied write: %v, %d replies; want a duplicate", err, len(replies))
				}
				if l := lates(); len(l) != 1 || l[0].N != 1 {
					t.Fatalf("late deliveries %+v, want turn 1 once", l)
				}
			} else {
				if err != nil || len(replies) == 0 || turn.N != 1 {
					t.Fatalf("redelivery of a write not applied: %v, %d replies, turn %d; want it handled as turn 1", err, len(replies), turn.N)
				}
				if l := lates(); len(l) != 0 {
					t.Fatalf("late deliveries %+v of a write not applied", l)
				}
			}
			var stored bot.Session
			peek := errors.New("peek")
			if err := store.Store.Update(ctx, "a", func(s *bot.Session) error { stored = *s; return peek }); !errors.Is(err, peek) {
				t.Fatal(err)
			}
			if stored.Turn != 1 {
				t.Fatalf("stored turn %d, want 1: the update acted on once", stored.Turn)
			}
			if _, _, err := b.HandleTurn(ctx, ev); !errors.Is(err, bot.ErrDuplicate) {
				t.Fatalf("another redelivery: %v, want a duplicate", err)
			}
			store.mu.Lock()
			asked := store.asked
			store.mu.Unlock()
			if asked != 1 {
				t.Fatalf("Applied asked %d times, want once", asked)
			}
		})
	}
}
