package telegram

import (
	"encoding/json"
	"errors"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
)

// Staff side of the handoff (bot/handoff): what the staff chat hook needs from the adapter.

// staffQueue names the staff chat's pacing bucket (tg:chat:staff-chat; not a user pseudonym).
const staffQueue = "staff-chat"

// StaffAction is an update from the staff chat reduced to what staff commands need. It carries
// the staff member's id and first name for the allow-list and the staff chat only; never log them.
type StaffAction struct {
	UserID int64
	Name   string
	Text   string
	// ReplyTo is the reference of the message replied to ("<chat id>:<message id>", as
	// bot.StaffPost.Posted gives them), "" for none; ReplyToBot says a bot wrote it.
	ReplyTo    string
	ReplyToBot bool
	Data       string // pressed button
	CallbackID string // to be answered with AnswerCallback
	// Medium is a voice note, photo, ... staff sent (Text is then its caption), to be copied to
	// a user; give it Adapter.Fetchable for users on other platforms.
	Medium *bot.Medium
}

// StaffActionOf reads a staff chat update; ok is false for updates with nothing to act on.
func StaffActionOf(u tgbotapi.Update) (StaffAction, bool) {
	switch {
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		if q.From == nil {
			return StaffAction{CallbackID: q.ID}, false
		}
		return StaffAction{UserID: q.From.ID, Name: q.From.FirstName, Data: q.Data, CallbackID: q.ID}, true
	case u.Message != nil:
		m := u.Message
		if m.From == nil || m.From.IsBot {
			return StaffAction{}, false
		}
		a := StaffAction{UserID: m.From.ID, Name: m.From.FirstName, Text: m.Text}
		if a.Medium = staffMedium(m); a.Medium != nil {
			a.Text = m.Caption
		} else if m.Text == "" {
			return StaffAction{}, false
		}
		if r := m.ReplyToMessage; r != nil {
			chat := m.Chat
			if r.Chat != nil {
				chat = r.Chat
			}
			if chat != nil {
				a.ReplyTo = strconv.FormatInt(chat.ID, 10) + ":" + strconv.Itoa(r.MessageID)
			}
			a.ReplyToBot = r.From != nil && r.From.IsBot
		}
		return a, true
	}
	return StaffAction{}, false
}

// staffMedium reads the medium of a staff chat message (the library's types, encoded back to
// the wire format the user side reads).
func staffMedium(m *tgbotapi.Message) *bot.Medium {
	if m.Chat == nil {
		return nil
	}
	raw := func(v any) json.RawMessage {
		b, _ := json.Marshal(v)
		return b
	}
	md := mediumIn(raw(m.Voice), raw(m.Audio), raw(m.Photo), raw(m.Video), raw(m.VideoNote), raw(m.Document), raw(m.Sticker))
	if md != nil {
		md.Message = strconv.FormatInt(m.Chat.ID, 10) + ":" + strconv.Itoa(m.MessageID)
	}
	return md
}

// PostStaff sends a post to the staff chat: posts about one ticket in order, different tickets'
// posts in turns (staffPoster). Once a message is delivered, its reference goes to p.Posted.
func (c *Adapter) PostStaff(p bot.StaffPost) {
	if c.cfg.StaffChatID == 0 {
		return
	}
	c.posts.post(p)
}

// AnswerCallback stops the spinner of a pressed button in the staff chat.
func (c *Adapter) AnswerCallback(id string) {
	if id != "" {
		c.send.Ack(callbackAnswer(id))
	}
}

// SendTo writes first to a user whose route (the private chat id, kept sealed by bot/handoff) is
// known: staff replies and reminders.
func (c *Adapter) SendTo(route, user string, replies []bot.Reply) error {
	id, err := strconv.ParseInt(route, 10, 64)
	if err != nil || id == 0 {
		return errors.New("telegram: bad route")
	}
	c.Send(id, user, replies)
	return nil
}
