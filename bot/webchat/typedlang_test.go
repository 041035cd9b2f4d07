package webchat_test

import (
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/webchat"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

// TestTypedLanguageBeatsBrowserLanguage: with the default content, an Arabic or Dari question
// typed on an English browser is answered in that language (the browser's language is only the
// first hint), and so is a message from a person in danger, with the help numbers.
func TestTypedLanguageBeatsBrowserLanguage(t *testing.T) {
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	h := webchat.New(webchat.Config{Bot: bot.New(p.Engine, inmem.New(time.Hour), nil), Secret: []byte("test-secret-0123456789")})
	for _, c := range []struct{ id, text, lang, contains string }{
		{"ArArArArArArArArArArAr", "بدي احكي مع شخص مش مع بوت", "ar", ""},
		{"FaFaFaFaFaFaFaFaFaFaFa", "سلام آدرس دفتر شما کجاست", "fa", "Skippergata"},
		{"EnEnEnEnEnEnEnEnEnEnEn", "where is your office", "en", "Skippergata"},
		{"CrCrCrCrCrCrCrCrCrCrCr", "ما بدي عيش بعد اليوم بدي موت", "ar", "116 123"},
	} {
		resp := decode(t, post(t, h, `{"id":"`+c.id+`","text":"`+c.text+`","lang":"en-US"}`))
		if len(resp.Replies) == 0 {
			t.Fatalf("%q: no reply", c.text)
		}
		var all strings.Builder
		for _, r := range resp.Replies {
			if r.Lang != c.lang {
				t.Errorf("%q: reply in %q, want %q", c.text, r.Lang, c.lang)
			}
			all.WriteString(r.Text)
			if r.Venue != nil {
				all.WriteString(r.Venue.Address)
			}
		}
		if !strings.Contains(all.String(), c.contains) {
			t.Errorf("%q: replies %q lack %q", c.text, all.String(), c.contains)
		}
	}
}
