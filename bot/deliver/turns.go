package deliver

import (
	"context"
	"time"
)

// Turns remembers, per user, the last turn (bot.Turn.N) whose replies went out. Replicas that
// each send the replies of their own updates use it to keep one user's replies in the order of
// the turns: turn n is sent once the record reaches n-1. Stores shared by replicas implement it
// (bot/redis); the records expire with the session and are erased with it.
type Turns interface {
	// DeliveredTurn returns the user's last delivered turn, 0 when none is known.
	DeliveredTurn(ctx context.Context, user string) (uint64, error)
	// MarkDelivered records that the replies of turn went out (or were given up on). The record
	// never goes back: a lower turn than the recorded one leaves it as it is.
	MarkDelivered(ctx context.Context, user string, turn uint64) error
}

// awaitTurn holds a chat's queue until the replies of the turn before turn went out, on this
// replica or another (Turns), so that one user's replies arrive in the order of the updates
// even when replicas handled them. It waits at most TurnWait: a replica that died with the turn
// before must not silence the chat. Without a shared record (one process) there is nothing to
// wait for: the queue is already in turn order.
//
// It reports false, without waiting longer, when an item of an earlier turn reaches q meanwhile:
// that turn's handler finished after this one's, and the turn in between may be waiting on
// another replica for it. Waiting on would hold both chats' queues until TurnWait.
func (s *Sender) awaitTurn(q *queue, turn uint64) bool {
	log := s.cfg.Turns
	if log == nil || turn <= 1 {
		return true
	}
	deadline := time.Now().Add(s.cfg.TurnWait)
	pause := time.Millisecond
	logged, asked := false, false
	ch := s.cfg.Channel
	for {
		if s.earlierQueued(q, turn) {
			return false
		}
		ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
		done, err := log.DeliveredTurn(ctx, q.user)
		cancel()
		switch {
		case err != nil && time.Now().After(deadline):
			s.stats.turnTimeouts.Add(1)
			s.log.Warn(ch+": turn log unavailable; sending without knowing the turn before went out", "user", q.user, "turn", turn, "err", err)
			s.joinParked(q.user)
			return true
		case err != nil:
			// The store is down for a moment (the update itself was saved before): the order of
			// the chat's replies is worth a short wait, and the wait stays bounded.
			if !logged {
				logged = true
				s.log.Warn(ch+": turn log unavailable; waiting", "user", q.user, "err", err)
			}
		case done+1 >= turn:
			q.done = max(q.done, done)
			return true
		case !asked && s.rt.Durable():
			// The turn before may wait in the shared delivery queue (parked by another replica,
			// or before a restart), where it is not recorded until it is out: then this turn
			// queues behind it at once rather than after TurnWait. One LLEN, only when the turn
			// before is not out already.
			asked = true
			if s.joinParked(q.user); s.parkedHere(q.user) {
				return true
			}
		case time.Now().After(deadline):
			s.stats.turnTimeouts.Add(1)
			s.log.Warn(ch+": an earlier turn was not sent in time; sending this one anyway",
				"user", q.user, "turn", turn, "delivered", done)
			// Unless it waits in the delivery queue: then this one queues behind it.
			s.joinParked(q.user)
			return true
		}
		if !Sleep(s.ctx, pause) {
			return true
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// turnDone records that a turn's replies went out (or were given up on). When the store is down
// the record is retried in the background until TurnWait is over, so that the chat's next turn,
// perhaps on another replica, does not wait for nothing once the store is back.
func (s *Sender) turnDone(q *queue, turn uint64) {
	q.done = max(q.done, turn)
	s.recent.done(q.user, turn)
	if s.cfg.Turns == nil || s.mark(q.user, turn) == nil {
		return
	}
	s.background(func() { s.markUntil(q.user, turn, time.Now().Add(s.cfg.TurnWait)) })
}

// unorderedDone records the turn of an outage reply, whose update may or may not have been saved
// (Bot.HandleTurn), once the turn before it went out or TurnWait is over. Recording it at once
// would let the chat's next turn overtake replies of the turn before that still wait on another
// replica; waiting in the queue would hold up the outage replies that follow. So it waits aside.
func (s *Sender) unorderedDone(q *queue, turn uint64) {
	turns := s.cfg.Turns
	if turns == nil {
		return // one process: the queue is in turn order already
	}
	user := q.user
	s.background(func() {
		deadline := time.Now().Add(s.cfg.TurnWait)
		for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
			ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
			done, err := turns.DeliveredTurn(ctx, user)
			cancel()
			if (err == nil && done+1 >= turn) || time.Now().After(deadline) {
				break
			}
			if !Sleep(s.ctx, pause) {
				return
			}
		}
		s.markUntil(user, turn, deadline.Add(s.cfg.TurnWait))
	})
}

// background runs f in a goroutine that Drain waits for.
func (s *Sender) background(f func()) {
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		f()
	}()
}

// markUntil records turn, retrying while the store fails until deadline.
func (s *Sender) markUntil(user string, turn uint64, deadline time.Time) {
	for pause := 50 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		if s.mark(user, turn) == nil {
			return
		}
		if !time.Now().Before(deadline) {
			break
		}
		if !Sleep(s.ctx, pause) {
			return // stopping: the drain bound is over
		}
	}
	s.log.Warn(s.cfg.Channel+": turn log not updated", "user", user, "turn", turn)
}

func (s *Sender) mark(user string, turn uint64) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 2*time.Second)
	defer cancel()
	return s.cfg.Turns.MarkDelivered(ctx, user, turn)
}
