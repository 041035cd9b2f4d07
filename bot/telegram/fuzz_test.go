package telegram

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// fuzzStaffChat is the staff chat of the fuzzed adapters: the supergroup of the fixture
// supergroup_text_forum.json, so that the seeds reach the staff path.
const fuzzStaffChat = -1001234567489

// fuzzSeeds are edge cases next to the real payloads in testdata/fuzz: shapes Telegram does not
// send but a broken proxy or a changed Bot API could.
var fuzzSeeds = []string{
	``,
	`{}`,
	`null`,
	`[]`,
	`"update"`,
	`{"update_id":"1"}`,
	`{"update_id":1,"message":"hello there"}`,
	`{"update_id":1,"message":{"chat":"private chat text"}}`,
	`{"update_id":1,"message":{"chat":{"id":"42","type":"private"},"text":"wrong id type"}}`,
	`{"update_id":1,"message":{"chat":{"id":4242.5,"type":"private"},"text":"float id"}}`,
	`{"update_id":99999999999999999999999,"message":{"chat":{"id":99999999999999999999,"type":"private"},"text":"huge ids"}}`,
	`{"update_id":9223372036854775807,"message":{"from":{"id":-9223372036854775808},"chat":{"id":9223372036854775807,"type":"private"},"text":"edge ids"}}`,
	`{"update_id":2,"message":{"chat":{"id":0,"type":"private"},"text":"zero chat"}}`,
	"{\"update_id\":3,\"message\":{\"chat\":{\"id\":5,\"type\":\"private\"},\"text\":\"\xff\xfe invalid \xc3 utf8\"}}",
	`{"update_id":4,"message":{"chat":{"id":5,"type":"private"},"text":"\ud800 lone surrogate"}}`,
	`{"update_id":5,"message":null,"edited_message":null,"callback_query":{"id":"q1","from":null,"message":null,"data":null}}`,
	`{"update_id":6,"callback_query":{"id":"q2","from":{"id":5},"message":{"chat":{"id":5,"type":"private"}},"data":null}}`,
	`{"update_id":7,"callback_query":{"id":"q3","from":{"id":5},"message":{"chat":{"id":5,"type":"private"}},"data":""}}`,
	`{"update_id":8,"message":{"chat":{"id":5,"type":"private"},"voice":null,"photo":[],"sticker":{}}}`,
	`{"update_id":9,"message":{"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":"yes"},"text":"bot flag"}}`,
	`{"update_id":10,"my_chat_member":{"chat":{"id":5,"type":"private"},"from":{"id":5},"new_chat_member":{"status":null}}}`,
	`{"update_id":11,"my_chat_member":{"chat":{"id":5,"type":"private"},"from":{"id":5},"new_chat_member":{"status":"kicked"}}}`,
	`{"update_id":12,"edited_message":{"chat":{"id":-1001234567489,"type":"supergroup"},"from":{"id":7},"text":"staff edit"}}`,
	`{"update_id":13,"message":{"chat":{"id":-1001234567489,"type":"supergroup"},"from":{"id":7,"first_name":"Staffer"},"text":"/reply 3 a staff answer","reply_to_message":{"message_id":1,"chat":{"id":-1001234567489,"type":"supergroup"},"text":"quoted"}}}`,
	`{"update_id":14,"callback_query":{"id":"q4","from":{"id":7},"message":{"chat":{"id":-1001234567489,"type":"supergroup"}},"data":"take:abc"}}`,
	`{"update_id":15,"message":{"chat":{"id":-1001234567489,"type":"supergroup"},"from":{"id":"seven"},"text":"staff wrong type"}}`,
	`{"update_id":16,"MESSAGE":{"CHAT":{"ID":5,"TYPE":"private"},"TEXT":"keys in capitals"}}`,
	`{"update_id":17,"message":{"chat":{"id":5,"type":"private"},"text":"dup keys"},"message":{"chat":{"id":6,"type":"group"}}}`,
	`{"update_id":18,"message":{"chat":{"id":5,"type":"private","type":"private"},"text":null,"location":null,"venue":{"location":null}}}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	`{"update_id":19,"message":{"chat":{"id":5,"type":"private"},"text":"truncated`,
}

// FuzzDecode feeds arbitrary bodies through decode and actionFor, the whole reading of an
// update: nothing may panic, errSyntax must mean exactly "not JSON", and what actionFor makes of
// an update must be consistent with it (events only from private chats and users, pseudonyms
// instead of ids, the staff chat only when configured).
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	clock := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := decode(raw)
		if valid := json.Valid(raw); errors.Is(err, errSyntax) == valid {
			t.Fatalf("json.Valid = %v but decode error %v", valid, err)
		}
		if err != nil {
			if u != nil {
				t.Fatalf("decode returned an update with error %v", err)
			}
			return
		}
		for _, staff := range []int64{0, fuzzStaffChat} {
			c := &Adapter{cfg: Config{Secret: []byte("fuzz-secret"), StaffChatID: staff, Now: func() time.Time { return clock }}}
			checkAction(t, c, u, c.actionFor(u))
		}
	})
}

// checkAction asserts what an action must be for the update it came from.
func checkAction(t *testing.T, c *Adapter, u *update, a action) {
	t.Helper()
	again := c.actionFor(u)
	if (a.event.Medium == nil) != (again.event.Medium == nil) ||
		a.event.Medium != nil && (a.event.Medium.Describe() != again.event.Medium.Describe() || a.event.Medium.Ref != again.event.Medium.Ref ||
			a.event.Medium.Message != again.event.Medium.Message || a.event.Medium.Caption != again.event.Medium.Caption) {
		t.Fatalf("actionFor is not deterministic: medium %+v then %+v", a.event.Medium, again.event.Medium)
	}
	a.event.Medium, again.event.Medium = nil, nil
	if again != a {
		t.Fatalf("actionFor is not deterministic: %+v then %+v", a, again)
	}
	switch a.kind {
	case actIgnore:
		if a.why == "" {
			t.Fatalf("ignored without a reason: %+v", a)
		}
		if a.user != "" || a.chatID != 0 || a.event != (bot.Event{}) {
			t.Fatalf("an ignored update carries a user: %+v", a)
		}
		if a.callback != "" && (u.CallbackQuery == nil || a.callback != u.CallbackQuery.ID) {
			t.Fatalf("answers callback %q that the update does not carry", a.callback)
		}
	case actStaff:
		if c.cfg.StaffChatID == 0 {
			t.Fatalf("staff action without a staff chat: %+v", a)
		}
		if a.user != "" || a.chatID != 0 {
			t.Fatalf("staff action carries a user: %+v", a)
		}
		inStaff := false
		for _, m := range []*message{u.Message, u.EditedMessage} {
			inStaff = inStaff || m != nil && m.Chat.ID == c.cfg.StaffChatID
		}
		if q := u.CallbackQuery; q != nil && q.Message != nil && q.Message.Chat.ID == c.cfg.StaffChatID {
			inStaff = true
		}
		if !inStaff {
			t.Fatalf("staff action for an update not from the staff chat: %+v", a)
		}
	case actBlocked, actUnblocked:
		m := u.MyChatMember
		if u.Message != nil || u.EditedMessage != nil || u.ChannelPost != nil || u.EditedChannelPost != nil ||
			u.CallbackQuery != nil || m == nil || m.Chat.Type != "private" {
			t.Fatalf("block state from something other than a private my_chat_member: %+v", a)
		}
		if a.chatID != m.Chat.ID || a.user != pseudonym(c, &m.From, m.Chat) {
			t.Fatalf("block state for the wrong user: %+v", a)
		}
	case actEvent:
		checkEvent(t, c, u, a)
	default:
		t.Fatalf("unknown action kind %d", a.kind)
	}
}

func checkEvent(t *testing.T, c *Adapter, u *update, a action) {
	t.Helper()
	ev := a.event
	if ev.Channel != Channel || ev.User != a.user || a.user == "" || !ev.Time.Equal(c.now()) {
		t.Fatalf("event %+v for action user %q", ev, a.user)
	}
	if ev.Route != strconv.FormatInt(a.chatID, 10) {
		t.Fatalf("route %q for chat %d", ev.Route, a.chatID)
	}
	var m *message
	switch {
	case u.Message != nil:
		m = u.Message
		if m.From != nil && m.From.IsBot {
			t.Fatalf("event from a bot: %+v", a)
		}
		if a.user != pseudonym(c, m.From, m.Chat) || ev.Lang != langOf(m.From) {
			t.Fatalf("event user or language not the sender's: %+v", a)
		}
		switch ev.Kind {
		case bot.KindText:
			if m.Text == nil || ev.Text != *m.Text || ev.Media != "" || ev.Data != "" {
				t.Fatalf("text event %+v from message text %v", ev, m.Text)
			}
		case bot.KindMedia:
			if m.Text != nil || ev.Media == "" || ev.Media != m.media() || ev.Text != "" {
				t.Fatalf("media event %+v", ev)
			}
		default:
			t.Fatalf("message made event kind %d", ev.Kind)
		}
	case u.CallbackQuery != nil && u.EditedMessage == nil && u.ChannelPost == nil && u.EditedChannelPost == nil:
		q := u.CallbackQuery
		if q.Message != nil {
			m = &message{Chat: q.Message.Chat}
		}
		if m == nil || q.Data == nil || ev.Kind != bot.KindChoice || ev.Data != *q.Data || a.callback != q.ID {
			t.Fatalf("choice event %+v from callback query %+v", a, q)
		}
		if a.user != pseudonym(c, &q.From, m.Chat) || ev.Lang != q.From.LanguageCode {
			t.Fatalf("choice event user or language not the presser's: %+v", a)
		}
	default:
		t.Fatalf("event from an update that is neither a message nor a callback query: %+v", a)
	}
	if m.Chat.Type != "private" || a.chatID != m.Chat.ID || c.isStaff(m.Chat.ID) {
		t.Fatalf("event for chat %d of type %q (staff %d)", a.chatID, m.Chat.Type, c.cfg.StaffChatID)
	}
}

// pseudonym is the expected user key: the sender's id, or the private chat's when the sender
// has none.
func pseudonym(c *Adapter, from *user, ch chat) string {
	id := ch.ID
	if from != nil && from.ID != 0 {
		id = from.ID
	}
	return bot.UserKey(c.cfg.Secret, Channel, strconv.FormatInt(id, 10))
}
