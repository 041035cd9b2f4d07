package telegram

import (
	"context"
	"time"
)

// awaitTurn holds a chat's queue until the replies of the turn before turn went out, on this
// replica or another (bot.TurnLog), so that one user's replies arrive in the order of the updates
// even when replicas handled them. It waits at most TurnWait: a replica that died with the turn
// before must not silence the chat. Without a shared turn log (one process) there is nothing to
// wait for: the queue is already in turn order.
//
// It reports false, without waiting longer, when an item of an earlier turn reaches q meanwhile:
// that turn's handler finished after this one's, and the turn in between may be waiting on
// another replica for it. Waiting on would hold both chats' queues until TurnWait.
func (s *sender) awaitTurn(q *queue, turn uint64) bool {
	log := s.c.turns
	if log == nil || turn <= 1 {
		return true
	}
	deadline := time.Now().Add(s.c.cfg.TurnWait)
	pause := time.Millisecond
	logged := false
	for {
		if s.earlierQueued(q, turn) {
			return false
		}
		ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
		done, err := log.DeliveredTurn(ctx, q.user)
		cancel()
		switch {
		case err != nil && time.Now().After(deadline):
			s.c.stats.turnTimeouts.Add(1)
			s.c.log.Warn("telegram: turn log unavailable; sending without knowing the turn before went out", "user", q.user, "turn", turn, "err", err)
			s.joinParked(q.user)
			return true
		case err != nil:
			// The store is down for a moment (the update itself was saved before): the order of
			// the chat's replies is worth a short wait, and the wait stays bounded.
			if !logged {
				logged = true
				s.c.log.Warn("telegram: turn log unavailable; waiting", "user", q.user, "err", err)
			}
		case done+1 >= turn:
			q.done = max(q.done, done)
			return true
		case time.Now().After(deadline):
			s.c.stats.turnTimeouts.Add(1)
			s.c.log.Warn("telegram: an earlier turn was not sent in time; sending this one anyway",
				"user", q.user, "turn", turn, "delivered", done)
			// Unless it waits in the delivery queue: then this one queues behind it.
			s.joinParked(q.user)
			return true
		}
		if !sleep(s.ctx, pause) {
			return true
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// turnDone records that a turn's replies went out (or were given up on). When the store is down
// the record is retried in the background until TurnWait is over, so that the chat's next turn,
// perhaps on another replica, does not wait for nothing once the store is back.
func (s *sender) turnDone(q *queue, turn uint64) {
	q.done = max(q.done, turn)
	if s.c.turns == nil || s.mark(q.user, turn) == nil {
		return
	}
	s.background(func() { s.markUntil(q.user, turn, time.Now().Add(s.c.cfg.TurnWait)) })
}

// unorderedDone records the turn of an outage reply, whose update may or may not have been saved
// (Bot.HandleTurn), once the turn before it went out or TurnWait is over. Recording it at once
// would let the chat's next turn overtake replies of the turn before that still wait on another
// replica; waiting in the queue would hold up the outage replies that follow. So it waits aside.
func (s *sender) unorderedDone(q *queue, turn uint64) {
	if s.c.turns == nil {
		return // one process: the queue is in turn order already
	}
	user := q.user
	s.background(func() {
		deadline := time.Now().Add(s.c.cfg.TurnWait)
		for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
			ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
			done, err := s.c.turns.DeliveredTurn(ctx, user)
			cancel()
			if (err == nil && done+1 >= turn) || time.Now().After(deadline) {
				break
			}
			if !sleep(s.ctx, pause) {
				return
			}
		}
		s.markUntil(user, turn, deadline.Add(s.c.cfg.TurnWait))
	})
}

// background runs f in a goroutine that Close waits for.
func (s *sender) background(f func()) {
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		f()
	}()
}

// markUntil records turn in the turn log, retrying while the store fails until deadline.
func (s *sender) markUntil(user string, turn uint64, deadline time.Time) {
	for pause := 50 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		if s.mark(user, turn) == nil {
			return
		}
		if !time.Now().Before(deadline) {
			break
		}
		if !sleep(s.ctx, pause) {
			return // stopping: the drain bound is over
		}
	}
	s.c.log.Warn("telegram: turn log not updated", "user", user, "turn", turn)
}

func (s *sender) mark(user string, turn uint64) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 2*time.Second)
	defer cancel()
	return s.c.turns.MarkDelivered(ctx, user, turn)
}
