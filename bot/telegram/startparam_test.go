package telegram_test

import (
	"bytes"
	"strings"
	"testing"
)

// TestStartParameter: a t.me/BOT?start=LANG-TOPIC-SOURCE link arrives as "/start PARAM" in a
// real update (testdata/fixtures/telegram/command_with_args.json, its text replaced); the adapter
// passes it to the engine unchanged, and the user gets that language at that topic, whatever
// their app's language. A parameter naming nothing known is a plain start.
func TestStartParameter(t *testing.T) {
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			h := start(t, m)
			raw := fixtures(t)["command_with_args.json"] // chat 456, language_code "en"
			const chat = 456
			link := bytes.Replace(raw, []byte(`"/register HR John Doe"`), []byte(`"/start ar-cash-poster"`), 1)
			got := h.turn(chat, link)
			if len(got) == 0 {
				t.Fatal("no answer to /start ar-cash-poster")
			}
			s := h.session(key(chat))
			if s.Lang != "ar" || s.Position() != "support.cash" {
				t.Fatalf("after the link: lang %q at %q, want ar at support.cash", s.Lang, s.Position())
			}
			page := content(t).Content.Node("support.cash")
			if w := text(t, "ar", page.Say[0]); !strings.HasPrefix(got[0].Params["text"], w) {
				t.Errorf("first message %q, want the Arabic cash page %q", got[0].Params["text"], w)
			}

			odd := bytes.Replace(raw, []byte(`"/register HR John Doe"`), []byte(`"/start zz-\u003cscript\u003e-whatever"`), 1)
			odd = bytes.Replace(odd, []byte(`"update_id": 3`), []byte(`"update_id": 4`), 1)
			odd = bytes.Replace(odd, []byte(`"message_id": 123`), []byte(`"message_id": 124`), 1)
			if got := h.turn(chat, odd); len(got) == 0 {
				t.Fatal("no answer to a start parameter naming nothing")
			}
			if s := h.session(key(chat)); s.Position() != "main.menu" || s.Lang != "ar" {
				t.Fatalf("after an unknown parameter: lang %q at %q, want the Arabic menu", s.Lang, s.Position())
			}
		})
	}
}
