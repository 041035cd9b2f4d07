package telegram_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// outcome per fixture file; a new fixture without an entry fails the test, so it gets one.
var fixtureOutcome = map[string]string{
	"callback_query_inline_button.json":      "choice",
	"channel_post.json":                      "ignored",
	"command_with_args.json":                 "reply",
	"command_with_bot_mention.json":          "reply",
	"command_with_entities.json":             "reply",
	"contact.json":                           "media",
	"document.json":                          "media",
	"edited_message.json":                    "ignored",
	"location.json":                          "media",
	"my_chat_member_kicked_private.json":     "erased",
	"my_chat_member_private_nutgram.json":    "ignored",
	"photo_with_caption.json":                "media",
	"private_text_language_code.json":        "reply",
	"private_text_link_preview_options.json": "reply",
	"private_text_russian.json":              "reply",
	"start_command_plain.json":               "start",
	"sticker.json":                           "media",
	"supergroup_pinned_message.json":         "ignored",
	"supergroup_text_forum.json":             "ignored",
	"venue.json":                             "media",
	"voice.json":                             "voice",
}

// fixtureFacts are the parts of a fixture the assertions need.
type fixtureFacts struct {
	chat, from int64
	lang       string
	callback   string
}

func factsOf(t *testing.T, raw []byte) fixtureFacts {
	var u struct {
		CallbackQuery *struct {
			ID   string `json:"id"`
			From struct {
				ID   int64  `json:"id"`
				Lang string `json:"language_code"`
			} `json:"from"`
			Message struct {
				Chat struct {
					ID int64 `json:"id"`
				} `json:"chat"`
			} `json:"message"`
		} `json:"callback_query"`
		MyChatMember *struct {
			Chat struct {
				ID int64 `json:"id"`
			} `json:"chat"`
			From struct {
				ID int64 `json:"id"`
			} `json:"from"`
		} `json:"my_chat_member"`
	}
	// The three message kinds share a shape; decode each under its own name.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(raw, &u)
	var f fixtureFacts
	for _, k := range []string{"message", "edited_message", "channel_post"} {
		if m[k] == nil {
			continue
		}
		var one struct {
			From *struct {
				ID   int64  `json:"id"`
				Lang string `json:"language_code"`
			} `json:"from"`
			Chat struct {
				ID int64 `json:"id"`
			} `json:"chat"`
		}
		if err := json.Unmarshal(m[k], &one); err != nil {
			t.Fatal(err)
		}
		f.chat = one.Chat.ID
		if one.From != nil {
			f.from, f.lang = one.From.ID, one.From.Lang
		}
	}
	if q := u.CallbackQuery; q != nil {
		f.chat, f.from, f.lang, f.callback = q.Message.Chat.ID, q.From.ID, q.From.Lang, q.ID
	}
	if c := u.MyChatMember; c != nil {
		f.chat, f.from = c.Chat.ID, c.From.ID
	}
	return f
}

// TestFixtures drives every real payload through webhook and long polling and checks the outcome.
func TestFixtures(t *testing.T) {
	all := fixtures(t)
	for name := range all {
		if _, ok := fixtureOutcome[name]; !ok {
			t.Errorf("fixture %s has no expected outcome in fixtureOutcome", name)
		}
	}
	for name, raw := range all {
		want := fixtureOutcome[name]
		for _, m := range modes {
			t.Run(string(m)+"/"+strings.TrimSuffix(name, ".json"), func(t *testing.T) {
				t.Parallel()
				checkFixture(t, m, raw, want)
			})
		}
	}
}

func checkFixture(t *testing.T, m mode, raw []byte, want string) {
	h := start(t, m)
	f := factsOf(t, raw)
	user := key(f.from)
	if f.from == 0 {
		user = key(f.chat)
	}
	if want == "erased" {
		err := h.store.Update(context.Background(), user, func(s *bot.Session) error {
			s.Lang, s.Flow, s.Node = "en", "main", "menu"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if code := h.deliver(raw); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	lang := userLang(t, f.lang)
	switch want {
	case "ignored":
		h.settle(f.chat)
		if got := h.sent(f.chat); len(got) != 0 {
			t.Errorf("ignored update got replies:%s", telegramtest.Summary(got))
		}
		if n := len(h.srv.Calls("answerCallbackQuery")); n != 0 {
			t.Errorf("%d callback answers for an ignored update", n)
		}
		if s := h.ad.Stats(); s.Ignored != 1 {
			t.Errorf("stats %+v: want 1 ignored", s)
		}
	case "erased":
		if s := h.session(user); s.Lang != "" || s.Flow != "" || s.Node != "" {
			t.Errorf("session not erased: %+v", s)
		}
		if c := h.srv.Calls("sendMessage", "sendVenue"); len(c) != 0 {
			t.Errorf("sent to a user who blocked the bot:%s", telegramtest.Summary(c))
		}
		if s := h.ad.Stats(); s.Blocked != 1 {
			t.Errorf("stats %+v: want 1 blocked", s)
		}
	case "media", "voice":
		got := h.waitSent(f.chat, 1)
		id := bot.MsgMedia
		if want == "voice" {
			id = bot.MsgMediaVoice
		}
		if w := text(t, lang, id); got[0].Params["text"] != w {
			t.Errorf("media reply %q, want %q", got[0].Params["text"], w)
		}
		if len(got[len(got)-1].Keyboard()) == 0 {
			t.Error("media reply offers no buttons")
		}
	case "choice":
		// The webhook answers the press in its response (one call fewer); polling cannot.
		h.srv.WaitFor(5e9, "the callback answer", func(calls []telegramtest.Call) bool {
			for _, c := range calls {
				if c.Method == "answerCallbackQuery" && c.Params["callback_query_id"] == f.callback {
					if c.Inline != (m == webhook) {
						t.Errorf("%s: callback answered in the webhook response: %v", m, c.Inline)
					}
					return true
				}
			}
			return false
		})
		if n := len(h.srv.Calls("answerCallbackQuery")); n != 1 {
			t.Errorf("%d callback answers for one press", n)
		}
		got := h.waitSent(f.chat, 1)
		// "thedata" is no button of ours: the stale-button answer, with the choices of now.
		if w := text(t, lang, bot.MsgOldButton); got[0].Params["text"] != w {
			t.Errorf("reply %q, want %q", got[0].Params["text"], w)
		}
	case "reply":
		got := h.waitSent(f.chat, 1)
		if len(got[len(got)-1].Keyboard()) == 0 {
			t.Errorf("reply without buttons:%s", telegramtest.Summary(got))
		}
	case "start":
		got := h.waitSent(f.chat, 1)
		kb := got[len(got)-1].Keyboard()
		prefix := "o|main.menu|"
		if content(t).Engine.Language().Negotiate(f.lang) == "" {
			prefix = "l|"
		}
		if len(kb) == 0 || !strings.HasPrefix(kb[0].Data, prefix) {
			t.Errorf("/start: keyboard %v, want data %s...", kb, prefix)
		}
	default:
		t.Fatalf("unknown outcome %q", want)
	}
	if s := h.ad.Stats(); s.Received != 1 || s.Undeliverable != 0 || s.Malformed != 0 {
		t.Errorf("stats %+v", s)
	}
	h.stop()
	checkPrivacy(t, h.logs.String(), raw)
}

// checkPrivacy fails when a log line carries a text, a name or a long id from the payload.
func checkPrivacy(t *testing.T, logs string, raw []byte) {
	t.Helper()
	var walk func(k string, v any)
	var leaks []string
	walk = func(k string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k2, v2 := range v {
				walk(k2, v2)
			}
		case []any:
			for _, v2 := range v {
				walk(k, v2)
			}
		case string:
			switch k {
			case "text", "caption", "first_name", "last_name", "username", "title", "address", "phone_number", "vcard", "data":
				if len(v) >= 4 && strings.Contains(logs, v) {
					leaks = append(leaks, k+"="+v)
				}
			}
		case float64:
			if k == "id" && (v >= 1e6 || v <= -1e6) {
				if s := strconv.FormatFloat(v, 'f', -1, 64); strings.Contains(logs, s) {
					leaks = append(leaks, k+"="+s)
				}
			}
		}
	}
	var u any
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatal(err)
	}
	walk("", u)
	if len(leaks) > 0 {
		t.Errorf("logs leak %v:\n%s", leaks, logs)
	}
}
