package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/internal/jsonerr"
)

// handle takes one decoded update through dedupe, the bot and the send queue. It never fails:
// whatever goes wrong is logged (with the pseudonym only) and the update counts as handled, so
// Telegram does not deliver it again and again; except when the store fails for a user's
// message (retry): then the update was not acted on, and the caller has Telegram deliver it
// again (a 503, an unconfirmed offset) until the store is back. The user is told of the outage
// once (Bot.HandleTurn).
//
// With inline (the webhook), the callback query the update carries is not queued but returned,
// for the webhook to answer in its response: one Bot API call fewer per button press, and the
// button's spinner stops at once instead of after the replies of the turn before.
func (c *Adapter) handle(ctx context.Context, raw []byte, u *update, inline bool) (answer string, retry bool) {
	c.stats.received.Add(1)
	var a action
	defer func() {
		if p := recover(); p != nil {
			// The value only: a stack or the update could carry what users wrote.
			c.log.Error("telegram: panic while handling an update", "user", a.user, "panic", fmt.Sprint(p))
		}
	}()
	id := strconv.FormatInt(u.UpdateID, 10)
	a = c.actionFor(u)
	// A user's event is deduplicated in the write of their session (Store.UpdateOnce); anything
	// else here, first.
	if a.kind != actEvent && c.cfg.Bot.Duplicate(ctx, Channel, id) {
		c.duplicate()
		return "", false
	}
	switch a.kind {
	case actIgnore:
		c.stats.ignored.Add(1)
		c.cfg.Metrics.Update(Channel, "ignored")
		c.log.Debug("telegram: update ignored", "why", a.why)
		if a.callback != "" && inline {
			return a.callback, false
		}
		if a.callback != "" {
			c.send.Ack(callbackAnswer(a.callback))
		}
	case actStaff:
		c.staff(ctx, raw)
	case actBlocked:
		c.stats.blocked.Add(1)
		dropped := c.send.Block(a.user)
		erase := c.cfg.Bot.Store().Erase
		if c.cfg.Blocked != nil {
			erase = c.cfg.Blocked
		}
		if err := erase(ctx, a.user); err != nil {
			c.log.Error("telegram: user blocked the bot; erasing the session failed", "user", a.user, "err", err)
			return "", false
		}
		c.log.Info("telegram: user blocked the bot; session erased", "user", a.user, "dropped", dropped)
	case actUnblocked:
		c.send.Unblock(a.user)
	case actEvent:
		// A user who writes has not blocked the bot (any more).
		c.send.Unblock(a.user)
		a.event.Update = id
		replies, turn, err := c.cfg.Bot.HandleTurn(ctx, a.event)
		if errors.Is(err, bot.ErrDuplicate) {
			c.duplicate() // answered when it came first
			return "", false
		}
		if err != nil {
			// Not acted on: the redelivery is. The outage notice (first time only) goes out at
			// once, without order; the button's spinner is stopped by the redelivery.
			c.stats.retried.Add(1)
			c.log.Debug("telegram: the bot could not handle an update; Telegram will deliver it again", "user", a.user, "err", err)
			if len(replies) > 0 {
				c.send.Enqueue(chatKey(a.chatID), a.user, nil, replies, bot.Turn{}, false)
			}
			return "", true
		}
		if inline {
			answer, a.callback = a.callback, ""
		}
		c.send.Enqueue(chatKey(a.chatID), a.user, ackFor(a.callback), replies, turn, true)
	}
	return answer, false
}

// late sends the replies of an update whose write was in doubt and turned out saved
// (bot.LateFunc): its redelivery was a duplicate.
func (c *Adapter) late(ev bot.Event, replies []bot.Reply, t bot.Turn) {
	chatID, err := strconv.ParseInt(ev.Route, 10, 64)
	if err != nil {
		return
	}
	c.send.Enqueue(chatKey(chatID), ev.User, nil, replies, t, true)
}

// staff passes an update from the staff chat to Config.StaffHandler.
func (c *Adapter) staff(ctx context.Context, raw []byte) {
	if c.cfg.StaffHandler == nil {
		c.stats.ignored.Add(1)
		c.cfg.Metrics.Update(Channel, "ignored")
		return
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		c.malformed()
		c.log.Warn("telegram: staff chat update not readable by the library", "err", jsonerr.Describe(err))
		return
	}
	c.cfg.StaffHandler(ctx, u)
}

// errSyntax marks a body that is not JSON at all.
var errSyntax = errors.New("telegram: update is not valid JSON")

// decode reads one update. It returns errSyntax for broken JSON and another error when a field
// the bot reads has an unexpected type; unknown fields are ignored.
func decode(raw []byte) (*update, error) {
	var u update
	if err := json.Unmarshal(raw, &u); err != nil {
		// Unmarshal checks the whole input's syntax before it decodes anything, so this costs
		// no second pass as json.Valid would.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, errSyntax
		}
		return nil, err
	}
	return &u, nil
}

func (c *Adapter) duplicate() {
	c.stats.duplicates.Add(1)
	c.cfg.Metrics.Update(Channel, "duplicate")
}

func (c *Adapter) malformed() {
	c.stats.malformed.Add(1)
	c.cfg.Metrics.Update(Channel, "malformed")
}
