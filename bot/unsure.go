package bot

import (
	"context"
	"errors"
	"sync"
	"time"
)

// UnsureError is the error a Store returns (wrapped or not) when a session write was sent but
// its answer never came: a timeout while Redis was frozen, a connection cut after the command
// left. The write may yet be applied (a frozen server runs what it received once it wakes), so
// the update it carried is neither handled nor free to handle again until Applied tells.
type UnsureError struct {
	// Err is what the store met.
	Err error
	// Applied reports, once the store answers again, whether this very write took effect (not
	// another process's write of the same update). It fails while the store is still down.
	Applied func(ctx context.Context) (bool, error)
}

func (e *UnsureError) Error() string { return e.Err.Error() }
func (e *UnsureError) Unwrap() error { return e.Err }

// LateFunc delivers the replies of an update whose write was in doubt when it was handled and
// turned out applied: the platform's redelivery of it, on whichever replica, is a duplicate, so
// no one else will send them. t is the turn the update took.
type LateFunc func(ev Event, replies []Reply, t Turn)

// MaxUnsure bounds the writes in doubt a Bot keeps (each holds one event and its replies). Past
// it, a doubtful write whose update is then found handled loses its replies (logged).
const MaxUnsure = 10_000

// unsure is one write in doubt: the event, what the engine made of it and how to find out.
type unsure struct {
	ev      Event
	applied func(ctx context.Context) (bool, error)
	res     Result
	saved   Session
	lang    string
	erase   bool // the write went through and the erasure the user asked for did not
	settled bool // decided by whoever held mu: delivered, or known not applied
}

// unsures are a Bot's writes in doubt, by channel, user and update.
type unsures struct {
	mu      sync.Mutex
	m       map[string]*unsure
	late    map[string]LateFunc
	running bool       // the resolver goroutine
	settle  sync.Mutex // one of the resolver and a redelivery settles a write; settling is rare and short
}

func unsureKey(ev Event) string { return ev.Channel + "\x00" + ev.User + "\x00" + ev.Update }

// OnLate sets how a channel delivers the replies of an update whose write was in doubt and
// turned out applied (see LateFunc); call before serving. Without one, such replies are lost
// unless the platform's redelivery reaches this process.
func (b *Bot) OnLate(channel string, f LateFunc) {
	b.unsure.mu.Lock()
	defer b.unsure.mu.Unlock()
	if b.unsure.late == nil {
		b.unsure.late = map[string]LateFunc{}
	}
	b.unsure.late[channel] = f
}

// keepUnsure remembers a write in doubt and starts the resolver that settles it once the store
// answers again.
func (b *Bot) keepUnsure(u *unsure) {
	b.unsure.mu.Lock()
	defer b.unsure.mu.Unlock()
	if b.unsure.m == nil {
		b.unsure.m = map[string]*unsure{}
	}
	if len(b.unsure.m) >= MaxUnsure {
		b.log.Warn("too many store writes in doubt; one more is not followed up", "user", u.ev.User)
		return
	}
	b.unsure.m[unsureKey(u.ev)] = u
	if !b.unsure.running {
		b.unsure.running = true
		go b.resolve()
	}
}

// takeUnsure returns the write in doubt of ev's update, if any.
func (b *Bot) takeUnsure(ev Event) *unsure {
	if ev.Update == "" {
		return nil
	}
	b.unsure.mu.Lock()
	defer b.unsure.mu.Unlock()
	return b.unsure.m[unsureKey(ev)]
}

func (b *Bot) dropUnsure(u *unsure) {
	b.unsure.mu.Lock()
	defer b.unsure.mu.Unlock()
	if b.unsure.m[unsureKey(u.ev)] == u {
		delete(b.unsure.m, unsureKey(u.ev))
	}
}

// settle finds out whether a write in doubt went through. applied: its replies are returned (and
// the handoff run) for the caller to send; not applied: ok with no replies, and the update is
// free to be handled. err: the store still fails, the write stays in doubt.
func (b *Bot) settle(ctx context.Context, u *unsure) (replies []Reply, turn Turn, applied bool, err error) {
	b.unsure.settle.Lock()
	defer b.unsure.settle.Unlock()
	if u.settled {
		return nil, Turn{}, false, ErrDuplicate // settled by the other party meanwhile
	}
	ok, err := u.applied(ctx)
	if err != nil {
		return nil, Turn{}, false, err
	}
	if ok && u.erase {
		if err := b.store.Erase(ctx, u.ev.User); err != nil {
			return nil, Turn{}, false, err
		}
	}
	u.settled = true
	b.dropUnsure(u)
	if !ok {
		return nil, Turn{}, false, nil
	}
	turn = Turn{N: u.saved.Turn}
	if u.erase {
		turn = Turn{}
	}
	return b.finish(ctx, time.Now(), u.ev, u.res, u.saved, u.lang), turn, true, nil
}

// resolve settles the writes in doubt, trying every so often while the store fails, and ends
// when none is left. The replies of those applied go out through the channel's LateFunc.
func (b *Bot) resolve() {
	pause := 100 * time.Millisecond
	for {
		time.Sleep(pause)
		b.unsure.mu.Lock()
		if len(b.unsure.m) == 0 {
			b.unsure.running = false
			b.unsure.mu.Unlock()
			return
		}
		todo := make([]*unsure, 0, len(b.unsure.m))
		for _, u := range b.unsure.m {
			todo = append(todo, u)
		}
		b.unsure.mu.Unlock()
		failed := false
		for _, u := range todo {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			replies, turn, applied, err := b.settle(ctx, u)
			cancel()
			switch {
			case errors.Is(err, ErrDuplicate):
			case err != nil:
				failed = true
			case applied:
				b.unsure.mu.Lock()
				late := b.unsure.late[u.ev.Channel]
				b.unsure.mu.Unlock()
				if late == nil {
					b.log.Warn("replies of an update saved in doubt have no way out", "user", u.ev.User)
					continue
				}
				late(u.ev, replies, turn)
			}
			if failed {
				break // still down: the rest wait for the next round
			}
		}
		if failed {
			pause = min(2*pause, 2*time.Second)
		} else {
			pause = 100 * time.Millisecond
		}
	}
}
