package webchat_test

import (
	"encoding/json"
	"html"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/webchat"
)

// TestPageSpeaksEveryLanguage: with the shipped content, the page is served in each of its
// languages (Accept-Language): its lang and dir, the office's name in the title and header, and
// every label, placeholder and accessible name from that language's locale file; the words for
// the script are valid JSON.
func TestPageSpeaksEveryLanguage(t *testing.T) {
	pack := handofftest.Content(t)
	h := webchat.New(webchat.Config{Bot: bot.New(pack.Engine, inmem.New(time.Hour), nil), Secret: []byte("test-secret-0123456789")})
	l := pack.Engine.Language()
	office := pack.Content.Offices[pack.Content.DefaultOffice].Name
	if len(l.Languages()) != 10 {
		t.Fatalf("the content has %d languages, want 10", len(l.Languages()))
	}
	jsonRe := regexp.MustCompile(`(?s)<script id="ui" type="application/json">(.*?)</script>`)
	for _, code := range l.Languages() {
		r := httptest.NewRequest("GET", "/webchat/", nil)
		r.Header.Set("Accept-Language", code+";q=0.9,en;q=0.5")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		page := w.Body.String()
		text := func(id string) string { return html.EscapeString(l.Text(code, id, "")) }
		want := []string{
			`<html lang="` + code + `" dir="` + webchat.Dir(code) + `">`,
			`<title>` + html.EscapeString(office) + `</title>`,
			`placeholder="` + text(bot.MsgPagePlaceholder) + `"`,
			`aria-label="` + text(bot.MsgPageSend) + `"`,
			`aria-label="` + text(bot.MsgPageLanguage) + `"`,
			`aria-label="` + text(bot.MsgPageRestart) + `"`,
			`aria-label="` + text(bot.MsgPageCard) + `"`,
			`aria-label="` + text(bot.MsgPageClose) + `"`,
			`aria-label="` + text(bot.MsgPageLog) + `"`,
			`aria-label="` + text(bot.MsgBack) + `"`,
			`>` + text(bot.MsgPageInput) + `</label>`,
		}
		for _, s := range want {
			if !strings.Contains(page, s) {
				t.Errorf("%s: the page lacks %s", code, s)
			}
		}
		m := jsonRe.FindStringSubmatch(page)
		var ui webchat.UI
		if m == nil || json.Unmarshal([]byte(m[1]), &ui) != nil {
			t.Fatalf("%s: no valid JSON words for the script", code)
		}
		if ui.Lang != code || ui.Office != office || ui.Queued != l.Text(code, bot.MsgPageQueued, "") || ui.KeepInfo != l.Text(code, bot.MsgPageKeepInfo, "") {
			t.Errorf("%s: words for the script %+v", code, ui)
		}
		for _, id := range bot.PageMessages {
			if s := l.Text(code, id, ""); s == "" || s == id {
				t.Errorf("%s: %s has no text", code, id)
			}
		}
	}
}
