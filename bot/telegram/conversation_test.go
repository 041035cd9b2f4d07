package telegram_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// TestConversation is a whole conversation of a Persian-speaking user, in both modes: /start,
// a button press, a venue, a voice note, then the user blocks the bot.
func TestConversation(t *testing.T) {
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			conversation(t, m)
		})
	}
}

func conversation(t *testing.T, m mode) {
	const chat = 700100200
	h := start(t, m)
	user := key(chat)
	langs := content(t).Engine.Language().Languages()
	persian := slices.Contains(langs, "fa")

	// /start from a fa user: the Persian menu when Persian ships, else the language picker.
	got := h.turn(chat, msg(1, chat, "fa", "/start"))
	if len(got) == 0 {
		t.Fatal("no answer to /start")
	}
	kb := got[len(got)-1].Keyboard()
	if persian {
		if len(kb) == 0 || !strings.HasPrefix(kb[0].Data, "o|main.menu|") {
			t.Fatalf("fa /start: want the Persian menu, got %v", kb)
		}
		if w := text(t, "fa", "main.menu"); got[0].Params["text"] != w {
			t.Errorf("fa /start: text %q, want %q", got[0].Params["text"], w)
		}
	} else {
		if len(kb) != len(langs) || !strings.HasPrefix(kb[0].Data, "l|") {
			t.Fatalf("fa /start with Persian not shipped: want the language picker, got %v", kb)
		}
		if w := text(t, langs[0], "language.choose"); got[0].Params["text"] != w {
			t.Errorf("picker text %q, want %q", got[0].Params["text"], w)
		}
	}

	// Press the first button the bot sent: answered, and the conversation moves on.
	sess0 := h.session(user)
	before := sess0.Position()
	got = h.turn(chat, press(2, chat, "fa", "cbq-1", kb[0].Data))
	if !slices.ContainsFunc(h.srv.Calls("answerCallbackQuery"), func(c telegramtest.Call) bool {
		return c.Params["callback_query_id"] == "cbq-1" && c.Status == 200
	}) {
		t.Error("the button press was not answered with answerCallbackQuery")
	}
	if len(got) == 0 {
		t.Fatal("no answer to the button press")
	}
	s := h.session(user)
	if s.Position() == before || s.Lang == "" {
		t.Fatalf("button press did not move on: %q -> %q (lang %q)", before, s.Position(), s.Lang)
	}
	if w := text(t, s.Lang, bot.MsgOldButton); got[0].Params["text"] == w {
		t.Fatal("a button the bot sent was answered as out of date")
	}

	// Address and hours: find the contact option on the menu the user is at now, expect a pin.
	var contactData string
	for _, b := range got[len(got)-1].Keyboard() {
		if strings.HasSuffix(b.Data, "|contact") {
			contactData = b.Data
		}
	}
	if contactData != "" {
		got = h.turn(chat, press(3, chat, "fa", "cbq-2", contactData))
		var venue *telegramtest.Call
		for i := range got {
			if got[i].Method == "sendVenue" {
				venue = &got[i]
			}
		}
		if venue == nil {
			t.Fatalf("no sendVenue after %s:%s", contactData, telegramtest.Summary(got))
		}
		match := false
		for _, o := range content(t).Content.Offices {
			match = match || (venue.Params["title"] == o.Name && strings.HasPrefix(venue.Params["address"], o.Address))
		}
		if !match {
			t.Errorf("venue %v is no office's name and address", venue.Params)
		}
		if venue.Params["latitude"] == "" || venue.Params["longitude"] == "" {
			t.Errorf("venue without coordinates: %v", venue.Params)
		}
	}

	// A voice note: the kind reply in the user's language, with buttons to go on.
	got = h.turn(chat, withMedia(4, chat, "fa", "voice", map[string]any{"duration": 2, "mime_type": "audio/ogg", "file_id": "x", "file_unique_id": "y"}))
	if w := text(t, h.session(user).Lang, bot.MsgMediaVoice); len(got) == 0 || got[0].Params["text"] != w {
		t.Errorf("voice reply:%s\nwant %q", telegramtest.Summary(got), w)
	} else if len(got[len(got)-1].Keyboard()) == 0 {
		t.Error("voice reply offers no buttons")
	}

	// The user blocks the bot: Telegram answers 403; nothing more goes to that chat.
	h.srv.Block(chat)
	h.deliver(msg(5, chat, "fa", "/menu"))
	h.srv.WaitFor(5*time.Second, "the 403", func(calls []telegramtest.Call) bool {
		return slices.ContainsFunc(calls, func(c telegramtest.Call) bool { return c.Status == 403 })
	})
	waitStats(t, h, func(s statsT) bool { return s.Blocked == 1 && s.Undeliverable >= 1 })
	attempts := len(sendsTo(h.srv, chat))
	h.ad.Send(chat, user, numbered("m", 2))
	waitStats(t, h, func(s statsT) bool { return s.Undeliverable >= 3 })
	if a := len(sendsTo(h.srv, chat)); a != attempts {
		t.Errorf("%d more sends to a chat that answered 403", a-attempts)
	}

	// my_chat_member kicked: the session is erased.
	h.deliver(member(6, chat, "kicked"))
	if s := h.session(user); s.Lang != "" || s.Flow != "" || s.Node != "" {
		t.Errorf("session kept after the user blocked the bot: %+v", s)
	}

	// The user restarts the bot: it answers again.
	h.srv.Unblock(chat)
	h.deliver(member(7, chat, "member"))
	if got := h.turn(chat, msg(8, chat, "fa", "/start")); len(got) == 0 {
		t.Error("no answer after the user restarted the bot")
	}
}

type statsT = telegram.Stats

// waitStats waits until cond holds for the adapter's counters.
func waitStats(t *testing.T, h *harness, cond func(statsT) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := h.ad.Stats()
		if cond(s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v never reached the expected state", s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sendsTo is every send attempt to a chat, whatever the answer.
func sendsTo(s *telegramtest.Server, chat int64) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range s.Calls("sendMessage", "sendVenue") {
		if c.ChatID() == chat {
			out = append(out, c)
		}
	}
	return out
}

// TestLanguageHint: an IETF tag from language_code reaches the engine on first contact.
func TestLanguageHint(t *testing.T) {
	l := content(t).Engine.Language()
	for _, tc := range []struct{ code, want string }{{"nb-NO", "nb"}, {"nn", "nb"}, {"en-GB", "en"}} {
		if l.Negotiate(tc.code) != tc.want {
			continue // that language is not shipped in this content
		}
		h := start(t, webhook)
		h.deliver(msg(1, 42, tc.code, "/start"))
		got := h.waitSent(42, 1)
		if w := text(t, tc.want, "main.menu"); got[0].Params["text"] != w {
			t.Errorf("%s: /start answered %q, want the %s menu %q", tc.code, got[0].Params["text"], tc.want, w)
		}
	}
}
