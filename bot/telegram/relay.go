package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
)

// Relay of media during a handoff: a user's medium into the staff group, as a reply to the
// ticket's card (copyMessage for a Telegram user's, a multipart upload of the bytes streamed from
// the other platform for anyone else's), and a counsellor's medium back to a Telegram user.
// Logs name the kind and size only.

// maxCards bounds the card ids a poster remembers; past it the oldest half is forgotten (media
// about those tickets are posted without a reply, the code in their caption).
const maxCards = 10_000

// cardIDs maps ticket codes to the message ids of their cards, in posting order.
type cardIDs struct {
	ids   map[string]int64
	order []string
}

func (c *cardIDs) keep(code string, id int64) {
	if id == 0 {
		return
	}
	if c.ids == nil {
		c.ids = map[string]int64{}
	}
	if len(c.ids) >= maxCards {
		for _, old := range c.order[:len(c.order)/2] {
			delete(c.ids, old)
		}
		c.order = append([]string(nil), c.order[len(c.order)/2:]...)
	}
	if _, ok := c.ids[code]; !ok {
		c.order = append(c.order, code)
	}
	c.ids[code] = id
}

// deliverMedium posts a medium to the staff group with the post's text as its caption, as a
// reply to its ticket's card when this process posted the card. A medium that cannot be sent
// (gone from its platform, over its limit) leaves staff the text, so they know it came.
func (p *staffPoster) deliverMedium(sp bot.StaffPost) {
	m := sp.Medium
	chat := p.c.cfg.StaffChatID
	reply := p.cards.ids[sp.Ticket]
	var caption *string
	if captioned(m) {
		caption = &sp.Text
	} else if id, ok := p.deliver(tgbotapi.NewMessage(chat, sp.Text)); ok {
		p.posted(sp, id, ok)
		reply = id
	}
	call, err := p.c.mediumCall(chat, m, caption, reply)
	if err == nil {
		var id int64
		if id, err = p.c.retried(p.ctx, staffQueue, staffPostMaxAge, func(ctx context.Context) (*tgbotapi.APIResponse, error) {
			return call(ctx, p.api)
		}); err == nil {
			p.posted(sp, id, true)
			return
		}
	}
	p.c.log.Warn("telegram: medium not posted to the staff chat", "kind", m.Kind, "size", m.Size,
		"reason", reasonOf(p.ctx, err), "code", errCode(err))
	if caption != nil { // the text did not go on its own: it goes now
		id, ok := p.deliver(tgbotapi.NewMessage(chat, sp.Text))
		p.posted(sp, id, ok)
	}
}

// mediumCall builds the call that sends m to chat: copyMessage when m is on Telegram, else an
// upload of its bytes.
func (c *Adapter) mediumCall(chat int64, m *bot.Medium, caption *string, replyTo int64) (func(context.Context, *api) (*tgbotapi.APIResponse, error), error) {
	if m.Channel == Channel && m.Message != "" {
		body, err := copyBody(chat, m.Message, caption, replyTo)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, a *api) (*tgbotapi.APIResponse, error) {
			resp, err := a.postFor(ctx, "copyMessage", body, true)
			return resp, scrub(err, a.token)
		}, nil
	}
	if m.Open == nil {
		return nil, errors.New("telegram: medium cannot be read")
	}
	fields := map[string]string{"chat_id": strconv.FormatInt(chat, 10)}
	if caption != nil && *caption != "" {
		fields["caption"] = clipCaption(*caption)
	}
	if replyTo != 0 {
		rp, _ := json.Marshal(map[string]any{"message_id": replyTo, "allow_sending_without_reply": true})
		fields["reply_parameters"] = string(rp)
	}
	return func(ctx context.Context, a *api) (*tgbotapi.APIResponse, error) { return a.upload(ctx, m, fields) }, nil
}

// sendMediumTimeout bounds passing one medium to a user, retries included.
const sendMediumTimeout = time.Minute

// SendMedium implements handoff.MediumSender: a counsellor's medium reaches the Telegram user
// whose route (private chat id) is given, with the caption on it (before it for a sticker).
func (c *Adapter) SendMedium(ctx context.Context, route, user string, m bot.Medium, caption string) error {
	chat, err := strconv.ParseInt(route, 10, 64)
	if err != nil || chat == 0 {
		return errors.New("telegram: bad route")
	}
	a := c.api.Load()
	if a == nil {
		return errors.New("telegram: not connected")
	}
	ctx, cancel := context.WithTimeout(ctx, sendMediumTimeout)
	defer cancel()
	var capt *string
	if captioned(&m) {
		capt = &caption
	} else if caption != "" {
		if _, err := c.retried(ctx, user, sendMediumTimeout, func(ctx context.Context) (*tgbotapi.APIResponse, error) {
			return a.requestResult(ctx, tgbotapi.NewMessage(chat, caption))
		}); err != nil {
			return err
		}
	}
	call, err := c.mediumCall(chat, &m, capt, 0)
	if err != nil {
		return err
	}
	_, err = c.retried(ctx, user, sendMediumTimeout, func(ctx context.Context) (*tgbotapi.APIResponse, error) { return call(ctx, a) })
	if err != nil {
		c.log.Warn("telegram: medium not delivered", "user", user, "kind", m.Kind, "size", m.Size, "reason", reasonOf(ctx, err), "code", errCode(err))
	}
	return err
}
