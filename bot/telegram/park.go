package telegram

import (
	"context"
	"encoding/json"
	"time"

	"github.com/returnbot/returnbot/bot/deliver"
)

// parkedCall is one Bot API call waiting in the delivery queue: the method and its JSON body as
// jsonCall built it (the chat id is in it, so the queue seals it), and the turn the runtime
// records once the call is out. A call without method is a turn marker: it sends nothing.
type parkedCall struct {
	Method string          `json:"m,omitempty"`
	Body   json.RawMessage `json:"b,omitempty"`
	Turn   uint64          `json:"t,omitempty"`
	Last   bool            `json:"l,omitempty"`
}

// park puts a message the Bot API did not take into the delivery queue, behind whatever waits
// there for the chat, and marks the chat parked so that its next messages queue behind it. It
// reports false (the message is lost, counted and logged) when the message cannot be parked:
// a callback answer (only a button's spinner; it is late by now anyway), or the queue fails.
func (s *sender) park(q *queue, it item, since time.Time, err error) bool {
	if it.callback != "" {
		s.lost(q.user, it, "unreachable", err)
		return false
	}
	pc := parkedCall{Turn: it.turn, Last: it.last}
	if it.msg != nil {
		method, body, ok := jsonCall(it.msg)
		if !ok {
			s.lost(q.user, it, "unreachable", err)
			return false
		}
		pc.Method, pc.Body = method, body
	}
	raw, _ := json.Marshal(pc)
	if since.IsZero() {
		since = time.Now()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	if perr := s.rt.Park(ctx, q.user, raw, since, 0); perr != nil {
		s.c.log.Warn("telegram: delivery queue unavailable", "user", q.user, "err", perr)
		s.lost(q.user, it, "unreachable", err)
		return false
	}
	s.mu.Lock()
	first := !s.parked[q.user]
	s.parked[q.user] = true
	s.mu.Unlock()
	if it.msg != nil {
		s.c.stats.queued.Add(1)
		s.c.cfg.Metrics.Reply(Channel, "queued")
	}
	if first {
		s.c.log.Info("telegram: chat's replies queued for redelivery", "user", q.user, "code", errCode(err), "err", err)
	}
	return true
}

// parkOrLose parks a message the sender had no time left for while stopping, when the queue
// outlives the process (another replica or the next start sends it); otherwise it is lost.
func (s *sender) parkOrLose(q *queue, it item, since time.Time, err error) bool {
	if it.callback == "" && s.rt.Durable() {
		return s.park(q, it, since, err)
	}
	s.lost(q.user, it, "stopped", err)
	return false
}

// parkedHere reports whether this process parked messages of the chat (without asking the
// queue whether they are still there).
func (s *sender) parkedHere(user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parked[user]
}

// isParked reports whether the chat's messages must go into the delivery queue: this process
// parked some, and the queue still holds some (here or being sent by any replica). A queue
// error counts as still parked, which keeps the order.
func (s *sender) isParked(user string) bool {
	s.mu.Lock()
	p := s.parked[user]
	s.mu.Unlock()
	if !p {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 2*time.Second)
	pending, err := s.rt.Pending(ctx, user)
	cancel()
	if err != nil || pending {
		return true
	}
	s.mu.Lock()
	delete(s.parked, user)
	s.mu.Unlock()
	return false
}

// joinParked is asked when the turn before did not go out within TurnWait: if that is because
// the chat's replies wait in the delivery queue (parked by another replica, or before a
// restart), this turn's replies join them there instead of overtaking them.
func (s *sender) joinParked(user string) {
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	pending, err := s.rt.Pending(ctx, user)
	cancel()
	if err == nil && pending {
		s.mu.Lock()
		s.parked[user] = true
		s.mu.Unlock()
	}
}

// deliverChannel is the sender as the delivery runtime's deliver.Channel.
type deliverChannel struct{ s *sender }

// Send implements deliver.Channel: one paced try of a parked call.
func (d deliverChannel) Send(ctx context.Context, user string, body []byte) deliver.Result {
	s := d.s
	var pc parkedCall
	if err := json.Unmarshal(body, &pc); err != nil {
		return deliver.Result{Outcome: deliver.Drop, Err: err}
	}
	if pc.Method == "" {
		return deliver.Result{Outcome: deliver.Sent}
	}
	s.mu.Lock()
	blockedUser := s.blocked[user]
	s.mu.Unlock()
	if blockedUser {
		return deliver.Result{Outcome: deliver.Blocked}
	}
	select {
	case <-s.started:
	case <-ctx.Done():
		return deliver.Result{Outcome: deliver.Retry, Err: ctx.Err()}
	}
	if !s.pace(user) {
		return deliver.Result{Outcome: deliver.Retry}
	}
	cctx, cancel := context.WithTimeout(ctx, s.c.cfg.SendTimeout)
	_, err := s.api.post(cctx, pc.Method, pc.Body)
	cancel()
	if err == nil {
		return deliver.Result{Outcome: deliver.Sent}
	}
	err = scrub(err, s.api.token)
	out, wait := classify(ctx, err)
	s.c.stats.retries.Add(1)
	switch out {
	case throttled:
		s.c.cfg.Metrics.Reply(Channel, "throttled")
		return deliver.Result{Outcome: deliver.Retry, After: wait, Err: err}
	case blocked:
		s.c.stats.blocked.Add(1)
		s.block(user)
		return deliver.Result{Outcome: deliver.Blocked, Err: err}
	case permanent:
		return deliver.Result{Outcome: deliver.Drop, Err: err}
	}
	return deliver.Result{Outcome: deliver.Retry, Err: err}
}

// Done implements deliver.Channel: it counts the message, logs a drop (pseudonym, reason and
// code, never content) and records the turn of the call that ended one.
func (d deliverChannel) Done(user string, body []byte, o deliver.Outcome, err error) {
	s := d.s
	var pc parkedCall
	_ = json.Unmarshal(body, &pc)
	switch {
	case o == deliver.Sent && pc.Method != "":
		s.c.stats.sent.Add(1)
		s.c.cfg.Metrics.Reply(Channel, "sent")
	case o != deliver.Sent && (pc.Method != "" || body == nil):
		s.c.stats.undeliverable.Add(1)
		s.c.cfg.Metrics.Reply(Channel, "failed")
		s.c.log.Warn("telegram: queued message undeliverable", "user", user, "reason", o.String(), "code", errCode(err), "err", err)
	}
	if pc.Last && pc.Turn > 0 && s.c.turns != nil {
		// In the runtime's worker, not in the background: the user's next item waits for it.
		s.markUntil(user, pc.Turn, time.Now().Add(5*time.Second))
	}
}
