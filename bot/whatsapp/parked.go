package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot/deliver"
)

// park puts msgs, in order, into the delivery queue behind whatever waits there for the user,
// and marks the user parked so that their next messages queue behind them. It returns nil when
// they are queued (the runtime delivers them), or the error when the queue fails too.
func (a *Adapter) park(ctx context.Context, user string, msgs []OutMessage, cause error) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := time.Now()
	for i, m := range msgs {
		body, err := json.Marshal(m)
		if err == nil {
			err = a.rt.Park(pctx, user, body, now, 0)
		}
		if err != nil {
			a.cfg.Log.Warn("whatsapp: delivery queue unavailable; messages lost", "user", user, "count", len(msgs)-i, "err", err)
			for range msgs[i:] {
				a.failed()
			}
			if cause != nil {
				return cause
			}
			return err
		}
		a.stats.queued.Add(1)
		a.cfg.Metrics.Reply(Channel, "queued")
	}
	a.parkMu.Lock()
	first := !a.parked[user]
	a.parked[user] = true
	a.parkMu.Unlock()
	if first {
		a.cfg.Log.Info("whatsapp: user's replies queued for redelivery", "user", user, "err", cause)
	}
	return nil
}

// isParked reports whether the user's messages must go into the delivery queue: items wait
// there for them. With a queue shared by replicas (Redis) it asks the queue every time, as
// another replica or the process before a restart may have parked them; otherwise only for
// users this process parked. A queue error counts as parked, which keeps the order.
func (a *Adapter) isParked(ctx context.Context, user string) bool {
	a.parkMu.Lock()
	p := a.parked[user]
	a.parkMu.Unlock()
	if !p && !a.rt.Durable() {
		return false
	}
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	pending, err := a.rt.Pending(qctx, user)
	cancel()
	if err != nil {
		return p
	}
	if !pending && p {
		a.parkMu.Lock()
		delete(a.parked, user)
		a.parkMu.Unlock()
	}
	return pending
}

// Run delivers the messages waiting in the delivery queue, this process's and those that other
// replicas or an earlier run left, until ctx ends.
func (a *Adapter) Run(ctx context.Context) { a.rt.Run(ctx) }

// deliverChannel is the adapter as the delivery runtime's deliver.Channel.
type deliverChannel struct{ a *Adapter }

// Send implements deliver.Channel: one try of a parked message.
func (d deliverChannel) Send(ctx context.Context, _ string, body []byte) deliver.Result {
	a := d.a
	url := strings.TrimRight(a.cfg.Endpoint, "/") + "/" + a.cfg.PhoneNumberID + "/messages"
	retry, err := a.postOnce(ctx, url, body)
	if err == nil {
		return deliver.Result{Outcome: deliver.Sent}
	}
	a.stats.retries.Add(1)
	var se *SendError
	if errors.As(err, &se) && se.Status == http.StatusTooManyRequests {
		a.cfg.Metrics.Reply(Channel, "throttled")
	}
	if retry < 0 && ctx.Err() == nil {
		return deliver.Result{Outcome: deliver.Drop, Err: err}
	}
	return deliver.Result{Outcome: deliver.Retry, After: max(retry, 0), Err: err}
}

// Done implements deliver.Channel: it counts the message and logs a drop (pseudonym, reason and
// Graph status, never content or number).
func (d deliverChannel) Done(user string, _ []byte, o deliver.Outcome, err error) {
	a := d.a
	if o == deliver.Sent {
		a.stats.sent.Add(1)
		a.cfg.Metrics.Reply(Channel, "sent")
		return
	}
	a.failed()
	status := 0
	var se *SendError
	if errors.As(err, &se) {
		status = se.Status
	}
	a.cfg.Log.Warn("whatsapp: queued message undeliverable", "user", user, "reason", o.String(), "status", status, "err", err)
}
