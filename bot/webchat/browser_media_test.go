package webchat_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/webchat"
)

// TestBrowserStaffMedium: in real Chromium, a counsellor's voice note and photo reach the page
// by its poll, each fetched once into the page (an <audio> player and an <img>, from blob:
// addresses the page's CSP allows) — after which the server no longer has them — and axe-core
// finds no violation with them on screen.
func TestBrowserStaffMedium(t *testing.T) {
	o := newOffice(t, time.Date(2027, 3, 30, 11, 0, 0, 0, osloLoc(t)), webchat.Config{})
	url, tab := browserFor(t, o.h)
	ctx := tab()
	do(t, ctx, "open the page", chromedp.Navigate(url+"/webchat/"), chromedp.WaitVisible(chromedp.ID("text")))
	id := eval[string](t, ctx, `sessionStorage.getItem('returnbot.id')`)
	code := o.chatting(t, id)
	for _, m := range []struct {
		kind string
		data []byte
	}{{bot.MediumVoice, upOgg}, {bot.MediumPhoto, upPng}} {
		if ans := o.staffMedium(t, code, m.kind, m.data, "from the office"); !strings.Contains(ans, code) {
			t.Fatalf("staff answer %q", ans)
		}
	}
	src := func(sel string) string {
		return eval[string](t, ctx, fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e?e.getAttribute('src'):''})()`, sel))
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if strings.HasPrefix(src(".msg.bot .media audio"), "blob:") && strings.HasPrefix(src(".msg.bot .media img"), "blob:") {
			break
		}
	}
	if a, i := src(".msg.bot .media audio"), src(".msg.bot .media img"); !strings.HasPrefix(a, "blob:") || !strings.HasPrefix(i, "blob:") {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.ID("log")))
		t.Fatalf("audio %q, img %q\nlog: %s", a, i, html)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.msg.bot .media audio[controls]').length`); n != 1 {
		t.Errorf("%d audio players", n)
	}
	// The page took both: the server hands out neither again.
	tokens := eval[[]string](t, ctx, `JSON.parse(sessionStorage.getItem('returnbot.history')).filter(function(e){return e.reply&&e.reply.media}).map(function(e){return e.reply.media.token})`)
	if len(tokens) != 2 {
		t.Fatalf("the page kept %d media tokens, want 2", len(tokens))
	}
	for _, tok := range tokens {
		if st, _, _ := fetchMedium(t, o, id, tok); st != 404 {
			t.Errorf("the server still hands out a medium the page fetched: %d", st)
		}
	}
	if v := runAxe(t, ctx); len(v) != 0 {
		t.Errorf("axe-core: %+v", v)
	}
}
