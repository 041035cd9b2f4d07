package telegram

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// The update is decoded into the few fields the bot needs rather than into tgbotapi.Update: a
// field whose type Telegram changes in a future Bot API version must not make a whole update
// (or, in long polling, a whole batch) undecodable. Content the bot cannot read is only tested
// for presence.

type update struct {
	UpdateID          int64              `json:"update_id"`
	Message           *message           `json:"message"`
	EditedMessage     *message           `json:"edited_message"`
	ChannelPost       *message           `json:"channel_post"`
	EditedChannelPost *message           `json:"edited_channel_post"`
	CallbackQuery     *callbackQuery     `json:"callback_query"`
	MyChatMember      *chatMemberUpdated `json:"my_chat_member"`
}

type user struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	LanguageCode string `json:"language_code"`
}

type chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

type message struct {
	MessageID int64   `json:"message_id"`
	From      *user   `json:"from"`
	Chat      chat    `json:"chat"`
	Text      *string `json:"text"`
	Caption   *string `json:"caption"`

	// What a user can send that the bot cannot read, in the order they are tested: a venue
	// carries a location too, an animation a document too.
	Venue     json.RawMessage `json:"venue"`
	Location  json.RawMessage `json:"location"`
	Animation json.RawMessage `json:"animation"`
	Document  json.RawMessage `json:"document"`
	Voice     json.RawMessage `json:"voice"`
	Audio     json.RawMessage `json:"audio"`
	Photo     json.RawMessage `json:"photo"`
	Video     json.RawMessage `json:"video"`
	VideoNote json.RawMessage `json:"video_note"`
	Sticker   json.RawMessage `json:"sticker"`
	Contact   json.RawMessage `json:"contact"`
	Dice      json.RawMessage `json:"dice"`
	Poll      json.RawMessage `json:"poll"`
	Story     json.RawMessage `json:"story"`
	PaidMedia json.RawMessage `json:"paid_media"`
	Game      json.RawMessage `json:"game"`
	Invoice   json.RawMessage `json:"invoice"`
}

type callbackQuery struct {
	ID      string        `json:"id"`
	From    user          `json:"from"`
	Message *pressedOnMsg `json:"message"`
	Data    *string       `json:"data"`
}

// pressedOnMsg is the message whose button was pressed: only its chat is read. Telegram sends the
// whole message, text and keyboard included, which need not be copied out.
type pressedOnMsg struct {
	Chat chat `json:"chat"`
}

type chatMemberUpdated struct {
	Chat          chat       `json:"chat"`
	From          user       `json:"from"`
	NewChatMember chatMember `json:"new_chat_member"`
}

type chatMember struct {
	Status string `json:"status"`
}

// media names the unreadable content of m ("voice", "photo", ...), or "" when there is none.
func (m *message) media() string {
	kinds := []struct {
		name string
		raw  json.RawMessage
	}{
		{"venue", m.Venue}, {"location", m.Location}, {"animation", m.Animation}, {"document", m.Document},
		{"voice", m.Voice}, {"audio", m.Audio}, {"photo", m.Photo}, {"video", m.Video},
		{"video_note", m.VideoNote}, {"sticker", m.Sticker}, {"contact", m.Contact}, {"dice", m.Dice},
		{"poll", m.Poll}, {"story", m.Story}, {"paid_media", m.PaidMedia}, {"game", m.Game},
		{"invoice", m.Invoice},
	}
	for _, k := range kinds {
		if len(k.raw) > 0 && string(k.raw) != "null" {
			return k.name
		}
	}
	return ""
}

// What an update asks the channel to do.
type actionKind uint8

const (
	// actIgnore: nothing to do (an answered callback query aside).
	actIgnore actionKind = iota
	// actEvent: hand Event to the bot and send the replies to Chat.
	actEvent
	// actBlocked: the user blocked the bot; stop sending and erase the session.
	actBlocked
	// actUnblocked: the user (re)started the bot.
	actUnblocked
	// actStaff: an update from the staff chat, for Config.StaffHandler.
	actStaff
)

// action is an update reduced to what the channel does with it. It holds the raw chat id only
// for sending; the id is never logged or stored.
type action struct {
	kind actionKind
	// why names the reason for actIgnore, for debug logs and counters ("edited", "group", ...).
	why      string
	chatID   int64
	user     string // pseudonym
	event    bot.Event
	callback string // callback query id to answer, if any
}

// actionFor maps an update to what the channel does with it. See the package documentation for
// the policy per update kind.
func (c *Adapter) actionFor(u *update) action {
	switch {
	case u.Message != nil:
		return c.messageAction(u.Message)
	case u.EditedMessage != nil:
		m := u.EditedMessage
		if c.isStaff(m.Chat.ID) {
			return action{kind: actStaff}
		}
		// The original message was answered; answering the edit too would repeat or contradict.
		return action{kind: actIgnore, why: "edited"}
	case u.ChannelPost != nil, u.EditedChannelPost != nil:
		return action{kind: actIgnore, why: "channel"}
	case u.CallbackQuery != nil:
		return c.callbackAction(u.CallbackQuery)
	case u.MyChatMember != nil:
		return c.memberAction(u.MyChatMember)
	}
	return action{kind: actIgnore, why: "other"}
}

func (c *Adapter) messageAction(m *message) action {
	if c.isStaff(m.Chat.ID) {
		return action{kind: actStaff}
	}
	if m.Chat.Type != "private" {
		return action{kind: actIgnore, why: "group"}
	}
	if m.Chat.ID == 0 {
		// Telegram always names the chat; without it there is nobody to answer.
		return action{kind: actIgnore, why: "no_chat"}
	}
	if m.From != nil && m.From.IsBot {
		return action{kind: actIgnore, why: "bot"}
	}
	a := action{kind: actEvent, chatID: m.Chat.ID, user: c.userKey(m.From, m.Chat)}
	a.event = bot.Event{Channel: Channel, User: a.user, Lang: langOf(m.From), Time: c.now(), Route: route(m.Chat.ID)}
	a.event.Route = strconv.FormatInt(m.Chat.ID, 10) // handoff: sealed by bot/handoff, never logged
	switch {
	case m.Text != nil:
		a.event.Kind, a.event.Text = bot.KindText, *m.Text
	case m.media() != "":
		a.event.Kind, a.event.Media = bot.KindMedia, m.media()
		a.event.Medium = c.mediumOf(m)
	default:
		// A service message (pinned message, auto-delete timer, ...): nothing the user said.
		return action{kind: actIgnore, why: "service"}
	}
	return a
}

func (c *Adapter) callbackAction(q *callbackQuery) action {
	a := action{kind: actIgnore, callback: q.ID}
	if q.Message == nil {
		// From an inline message: the bot sends none.
		a.why = "inline"
		return a
	}
	if c.isStaff(q.Message.Chat.ID) {
		// The staff handler answers its own callback queries.
		return action{kind: actStaff}
	}
	if q.Message.Chat.Type != "private" {
		a.why = "group"
		return a
	}
	if q.Data == nil {
		a.why = "game"
		return a
	}
	if q.Message.Chat.ID == 0 {
		a.why = "no_chat"
		return a
	}
	a.kind, a.chatID = actEvent, q.Message.Chat.ID
	a.user = c.userKey(&q.From, q.Message.Chat)
	a.event = bot.Event{Channel: Channel, User: a.user, Lang: q.From.LanguageCode, Kind: bot.KindChoice,
		Data: *q.Data, Time: c.now(), Route: route(q.Message.Chat.ID)}
	a.event.Route = strconv.FormatInt(q.Message.Chat.ID, 10) // handoff: sealed by bot/handoff, never logged
	return a
}

func (c *Adapter) memberAction(m *chatMemberUpdated) action {
	if m.Chat.Type != "private" {
		// The bot was added to or removed from a group; the staff chat is configured, not joined.
		return action{kind: actIgnore, why: "group"}
	}
	a := action{chatID: m.Chat.ID, user: c.userKey(&m.From, m.Chat)}
	switch m.NewChatMember.Status {
	case "kicked", "left":
		a.kind = actBlocked
	case "member":
		a.kind = actUnblocked
	default:
		return action{kind: actIgnore, why: "member"}
	}
	return a
}

// userKey is the pseudonym of the user behind a private chat: from.id, which in a private chat
// is the chat id too.
func (c *Adapter) userKey(from *user, ch chat) string {
	id := ch.ID
	if from != nil && from.ID != 0 {
		id = from.ID
	}
	return bot.UserKey(c.cfg.Secret, Channel, strconv.FormatInt(id, 10))
}

func (c *Adapter) isStaff(chatID int64) bool {
	return c.cfg.StaffChatID != 0 && chatID == c.cfg.StaffChatID
}

// route is the address bot/handoff keeps (sealed) to write to the user first: the private
// chat's id. It travels in the event only; it is never logged.
func route(chatID int64) string { return strconv.FormatInt(chatID, 10) }

func langOf(u *user) string {
	if u == nil {
		return ""
	}
	return u.LanguageCode
}

func (c *Adapter) now() time.Time { return c.cfg.Now() }
