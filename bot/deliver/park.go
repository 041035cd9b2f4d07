package deliver

import (
	"context"
	"encoding/json"
	"time"
)

// parkedCall is one call waiting in the delivery queue: the method and its JSON body as the
// channel rendered it (addressed to the chat, so the queue seals it), and the turn the runtime
// records once the call is out. A call without body is a turn marker: it sends nothing.
// Telegram's calls parked before bot/deliver took them over read the same.
type parkedCall struct {
	Method string          `json:"m,omitempty"`
	Body   json.RawMessage `json:"b,omitempty"`
	// Raw holds a body that is not JSON (Body holds JSON as it is, as items parked before Raw
	// existed do).
	Raw  []byte `json:"r,omitempty"`
	Kind string `json:"k,omitempty"`
	Turn uint64 `json:"t,omitempty"`
	Last bool   `json:"l,omitempty"`
}

// readParked reads a parked item. An item that is no parkedCall, neither a call nor a marker
// (markers always carry a turn), is a message body parked whole, as WhatsApp parked them before
// bot/deliver took its sending over: it is sent as it is.
func readParked(item []byte) (parkedCall, error) {
	var pc parkedCall
	if err := json.Unmarshal(item, &pc); err != nil {
		return pc, err
	}
	if len(pc.body()) == 0 && pc.Turn == 0 && pc.Method == "" {
		pc.Body = item
	}
	return pc, nil
}

// body is the call's body, wherever it was kept.
func (pc parkedCall) body() []byte {
	if len(pc.Body) > 0 {
		return pc.Body
	}
	return pc.Raw
}

// park puts a message the platform did not take into the delivery queue, behind whatever waits
// there for the chat, and marks the chat parked so that its next messages queue behind it. It
// reports false (the message is lost, counted and logged) when the message cannot be parked:
// an ack (late by now anyway), or the queue fails.
func (s *Sender) park(q *queue, it item, since time.Time, err error) bool {
	return s.parkAfter(q, it, since, err, 0, 0)
}

// parkAfter is park for a message the platform asked to wait after with (a retry-after).
func (s *Sender) parkAfter(q *queue, it item, since time.Time, err error, code int, after time.Duration) bool {
	if it.ack() {
		s.lost(q.user, it, "unreachable", err, code)
		return false
	}
	pc := parkedCall{Turn: it.turn, Last: it.last}
	if it.msg != nil {
		pc.Method, pc.Kind = it.msg.Method, it.msg.Kind
		if json.Valid(it.msg.Body) {
			pc.Body = it.msg.Body
		} else {
			pc.Raw = it.msg.Body
		}
	}
	raw, err2 := json.Marshal(pc)
	if err2 != nil {
		s.lost(q.user, it, "unreachable", err2, code)
		return false
	}
	if since.IsZero() {
		since = time.Now()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	if perr := s.rt.ParkAfter(ctx, q.user, raw, since, 0, after); perr != nil {
		s.log.Warn(s.cfg.Channel+": delivery queue unavailable", "user", q.user, "err", perr)
		s.lost(q.user, it, "unreachable", err, code)
		return false
	}
	s.mu.Lock()
	first := !s.parked[q.user]
	s.parked[q.user] = true
	s.mu.Unlock()
	if it.msg != nil {
		s.stats.queued.Add(1)
		s.cfg.Metrics.Reply(s.cfg.Channel, "queued")
	}
	if first {
		s.log.Info(s.cfg.Channel+": chat's replies queued for redelivery", "user", q.user, "code", code, "err", err)
	}
	return true
}

// parkOrLose parks a message the sender had no time left for while stopping, when the queue
// outlives the process (another replica or the next start sends it); otherwise it is lost.
func (s *Sender) parkOrLose(q *queue, it item, since time.Time, err error, code int) bool {
	if !it.ack() && s.rt.Durable() {
		return s.park(q, it, since, err)
	}
	s.lost(q.user, it, "stopped", err, code)
	return false
}

// parkedHere reports whether this process parked messages of the chat (without asking the
// queue whether they are still there).
func (s *Sender) parkedHere(user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parked[user]
}

// isParked reports whether the chat's messages must go into the delivery queue: this process
// parked some, and the queue still holds some (here or being sent by any replica). A queue
// error counts as still parked, which keeps the order.
func (s *Sender) isParked(user string) bool {
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

// parkedElsewhere reports, for a message without a turn (a staff answer, a reminder: no turn
// record orders it), whether another replica or the process before a restart left messages for
// the chat in a shared delivery queue; it then queues behind them. One LLEN, for these rare
// messages only.
func (s *Sender) parkedElsewhere(user string) bool {
	if !s.rt.Durable() {
		return false
	}
	s.joinParked(user)
	return s.parkedHere(user)
}

// joinParked is asked when the turn before did not go out within TurnWait: if that is because
// the chat's replies wait in the delivery queue (parked by another replica, or before a
// restart), this turn's replies join them there instead of overtaking them.
func (s *Sender) joinParked(user string) {
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	pending, err := s.rt.Pending(ctx, user)
	cancel()
	if err == nil && pending {
		s.mu.Lock()
		s.parked[user] = true
		s.mu.Unlock()
	}
}

// parkedChannel is the sender as the durable runtime's Channel.
type parkedChannel struct{ s *Sender }

// Send implements Channel: one paced try of a parked call.
func (d parkedChannel) Send(ctx context.Context, user string, body []byte) Result {
	s := d.s
	pc, err := readParked(body)
	if err != nil {
		return Result{Outcome: Drop, Err: err}
	}
	body = pc.body()
	if len(body) == 0 {
		return Result{Outcome: Sent} // a turn marker
	}
	if s.blocked.has(user) {
		return Result{Outcome: Blocked}
	}
	select {
	case <-s.started:
	case <-ctx.Done():
		return Result{Outcome: Retry, Err: ctx.Err()}
	}
	if !s.pacer.pace(ctx, user) {
		return Result{Outcome: Retry}
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	err = s.p.Post(cctx, Message{Method: pc.Method, Body: body, Kind: pc.Kind})
	cancel()
	if err == nil {
		return Result{Outcome: Sent}
	}
	s.stats.retries.Add(1)
	if ctx.Err() != nil {
		return Result{Outcome: Retry, Err: err}
	}
	f := s.p.Classify(err)
	switch f.Outcome {
	case Retry:
		if f.Throttled {
			s.cfg.Metrics.Reply(s.cfg.Channel, "throttled")
		}
		return Result{Outcome: Retry, After: f.After, Err: err}
	case Blocked:
		s.stats.blocked.Add(1)
		s.Block(user)
		return Result{Outcome: Blocked, Err: err}
	}
	return Result{Outcome: Drop, Err: err}
}

// Done implements Channel: it counts the message, logs a drop (pseudonym, reason and code,
// never content) and records the turn of the call that ended one.
func (d parkedChannel) Done(user string, body []byte, o Outcome, err error) {
	s := d.s
	pc, _ := readParked(body)
	switch {
	case o == Sent && len(pc.body()) > 0:
		s.stats.sent.Add(1)
		s.cfg.Metrics.Reply(s.cfg.Channel, "sent")
	case o != Sent && (len(pc.body()) > 0 || body == nil):
		s.stats.undeliverable.Add(1)
		s.cfg.Metrics.Reply(s.cfg.Channel, "failed")
		code := 0
		if err != nil {
			code = s.p.Classify(err).Code
		}
		s.log.Warn(s.cfg.Channel+": queued message undeliverable", "user", user, "reason", o.String(), "code", code, "err", err)
	}
	if pc.Last && pc.Turn > 0 && s.cfg.Turns != nil {
		// In the runtime's worker, not in the background: the user's next item waits for it.
		s.markUntil(user, pc.Turn, time.Now().Add(5*time.Second))
	}
}
