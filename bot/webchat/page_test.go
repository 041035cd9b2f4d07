package webchat_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"html"
	"io"
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
			`<noscript><p class="status">` + text(bot.MsgPageNoScript) + `</p></noscript>`,
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

// TestLogoAndGzip: an office's own logo replaces the built-in one (one too large does not);
// the page and its script go gzipped to a browser that takes gzip, and decompress to the
// embedded files; the font goes as it is (WOFF2 is compressed already).
func TestLogoAndGzip(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 200)...)
	get := func(h *webchat.Handler, path string, gz bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		if gz {
			r.Header.Set("Accept-Encoding", "gzip, br")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	own, _ := newHandler(t, webchat.Config{Logo: png})
	if w := get(own, "/webchat/logo", true); w.Header().Get("Content-Type") != "image/png" || !bytes.Equal(w.Body.Bytes(), png) {
		t.Errorf("the office's logo: %s, %d bytes", w.Header().Get("Content-Type"), w.Body.Len())
	}
	big, _ := newHandler(t, webchat.Config{Logo: append(png, make([]byte, webchat.MaxLogo)...)})
	builtin, _ := webchat.Asset("logo.svg")
	if w := get(big, "/webchat/logo", false); w.Header().Get("Content-Type") != "image/svg+xml" || !bytes.Equal(w.Body.Bytes(), builtin) {
		t.Errorf("a logo over MaxLogo: %s, want the built-in one", w.Header().Get("Content-Type"))
	}
	for _, name := range []string{"app.js", "app.css"} {
		w := get(own, "/webchat/"+name, true)
		want, _ := webchat.Asset(name)
		if w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
			t.Fatalf("%s: Content-Encoding %q", name, w.Header().Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, want) || w.Body.Len() > len(want)/2 {
			t.Errorf("%s: gzipped %d bytes of %d, decompressed equal %v", name, w.Body.Len(), len(want), bytes.Equal(got, want))
		}
		if plain := get(own, "/webchat/"+name, false); plain.Header().Get("Content-Encoding") != "" || !bytes.Equal(plain.Body.Bytes(), want) {
			t.Errorf("%s without gzip: %q", name, plain.Header().Get("Content-Encoding"))
		}
	}
	if w := get(own, "/webchat/", true); w.Header().Get("Content-Encoding") != "gzip" {
		t.Error("the page is not gzipped")
	}
	if w := get(own, "/webchat/ethiopic.woff2", true); w.Header().Get("Content-Encoding") != "" || w.Header().Get("Content-Type") != "font/woff2" {
		t.Errorf("the font: %q %q", w.Header().Get("Content-Encoding"), w.Header().Get("Content-Type"))
	}
}

// TestEmbedLabelInTheVisitorsLanguage: the embed's button says "Open the chat" in the
// visitor's language, as a JavaScript string.
func TestEmbedLabelInTheVisitorsLanguage(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{})
	for lang, want := range map[string]string{"ar": `/*open*/"افتح المحادثة"`, "en-GB": `/*open*/"Open the chat"`} {
		r := httptest.NewRequest("GET", "/webchat/embed.js", nil)
		r.Header.Set("Accept-Language", lang)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !strings.Contains(w.Body.String(), want) || w.Header().Get("Cross-Origin-Resource-Policy") != "cross-origin" {
			t.Errorf("%s: embed.js lacks %s (CORP %q)", lang, want, w.Header().Get("Cross-Origin-Resource-Policy"))
		}
	}
}
