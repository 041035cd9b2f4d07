package webchat_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/webchat"
)

// cutUploads drops the connection of every upload while it is set: the page sees what it sees
// when the network goes away in the middle of sending a file.
type cutUploads struct {
	http.Handler
	cut atomic.Bool
}

func (c *cutUploads) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.cut.Load() && r.URL.Path == "/webchat/api/upload" {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	c.Handler.ServeHTTP(w, r)
}

// TestBrowserAttach: the page's file button, in real Chromium, by its file input. A GIF named
// .png is refused by the server with the kind answer; a 6 MB photo the browser calls image/png
// gets the too-large answer without being sent; the same bytes under a name the browser cannot
// type go to the server, which refuses them by their signature (413) with the same answer. In a
// chat with a counsellor, a voice note reaches the staff chat byte for byte, and a photo whose
// upload lost its connection is marked not sent, says so, and arrives once the user presses
// the retry button.
func TestBrowserAttach(t *testing.T) {
	o := newOffice(t, time.Date(2027, 3, 30, 11, 0, 0, 0, osloLoc(t)), webchat.Config{})
	cut := &cutUploads{Handler: o.h}
	url, tab := browserFor(t, cut)
	ctx := tab()
	cat := handofftest.Content(t).Catalog
	do(t, ctx, "open the page", chromedp.Navigate(url+"/webchat/"), chromedp.WaitVisible(chromedp.ID("attach")))
	lang := eval[string](t, ctx, `document.documentElement.lang`)
	if got, want := eval[string](t, ctx, `document.getElementById('attach').getAttribute('aria-label')`), cat.Text(lang, bot.MsgPageAttach, ""); got != want || got == "" {
		t.Errorf("attach button named %q, want %q", got, want)
	}
	if got := eval[string](t, ctx, `document.getElementById('file').accept`); got != "audio/*,image/*,application/pdf" {
		t.Errorf("file input accepts %q", got)
	}
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pick := func(step, name string, data []byte) {
		t.Helper()
		do(t, ctx, step, chromedp.SetUploadFiles(chromedp.ID("file"), []string{file(name, data)}))
	}
	count := func(text string) int {
		return eval[int](t, ctx, fmt.Sprintf(`Array.from(document.querySelectorAll('.msg.bot .bubble')).filter(function(b){return b.textContent.indexOf(%q)>=0}).length`, text))
	}
	waitCount := func(step, text string, n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if count(text) == n {
				return
			}
		}
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.ID("log")))
		t.Fatalf("%s: %d bubbles with %q, want %d\nlog: %s", step, count(text), text, n, html)
	}
	state := func(name string) string {
		return eval[string](t, ctx, fmt.Sprintf(`(function(){var m=Array.from(document.querySelectorAll('.msg.me')).filter(function(e){return e.textContent.indexOf(%q)>=0});
			if(!m.length)return 'none';var e=m[m.length-1];return (e.classList.contains('failed')?'failed':'ok')+(e.querySelector('.retry')?'+retry':'')})()`, name))
	}
	wrongType, tooLarge := cat.Display(lang, cat.Text(lang, bot.MsgMediaType, "")), cat.Display(lang, cat.Text(lang, bot.MsgMediaTooLarge, ""))

	pick("pick a GIF named .png", "scan.png", pad("GIF89a"))
	waitCount("the server's answer to a GIF", wrongType, 1)
	if s := state("scan.png"); s != "failed" {
		t.Errorf("the refused GIF's bubble is %q, want failed without retry", s)
	}
	big := append(append([]byte{}, upPng...), bytes.Repeat([]byte{0}, 6<<20)...)
	pick("pick a 6 MB PNG", "big.png", big)
	waitCount("the page's answer to a 6 MB PNG", tooLarge, 1)
	pick("pick the same bytes untyped", "big.data", big)
	waitCount("the server's answer to 6 MB of PNG", tooLarge, 2)
	if got := o.staff.Media(); len(got) != 0 {
		t.Fatalf("outside a chat staff got %d media", len(got))
	}

	id := eval[string](t, ctx, `sessionStorage.getItem('returnbot.id')`)
	body, _ := json.Marshal(map[string]any{"id": id, "choice": bot.OptionData("handoff.start", "chat"), "lang": lang})
	if w := postTo(t, o.h, "/webchat/api/message", string(body)); w.Code != 200 {
		t.Fatalf("chat request: %d", w.Code)
	}
	code := o.staff.LastCode()
	media := func(n int) []handofftest.Medium {
		t.Helper()
		var got []handofftest.Medium
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got = o.staff.Media(); len(got) >= n {
				return got
			}
		}
		t.Fatalf("staff got %d media, want %d", len(got), n)
		return nil
	}
	pick("pick a voice note", "voice.ogg", upOgg)
	got := media(1)
	if got[0].Kind != bot.MediumVoice || !bytes.Equal(got[0].Data, upOgg) || !strings.Contains(got[0].Text, code) {
		t.Fatalf("staff got %+v", got[0])
	}
	for deadline := time.Now().Add(5 * time.Second); state("voice.ogg") != "ok" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if s := state("voice.ogg"); s != "ok" {
		t.Errorf("the delivered voice note's bubble is %q", s)
	}

	cut.cut.Store(true)
	pick("pick a photo while the connection drops", "photo.png", upPng)
	for deadline := time.Now().Add(10 * time.Second); state("photo.png") != "failed+retry" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if s := state("photo.png"); s != "failed+retry" {
		t.Fatalf("the cut-off photo's bubble is %q, want failed+retry", s)
	}
	if st := eval[string](t, ctx, `document.getElementById('status').hidden ? '' : document.getElementById('status').textContent`); !strings.Contains(st, cat.Text(lang, bot.MsgPageUploadFailed, "")) {
		t.Errorf("status after the cut: %q", st)
	}
	if n := len(o.staff.Media()); n != 1 {
		t.Fatalf("staff got %d media during the cut", n)
	}
	cut.cut.Store(false)
	do(t, ctx, "press retry", chromedp.Click(chromedp.Search(`//button[@data-retry]`)))
	got = media(2)
	if got[1].Kind != bot.MediumPhoto || !bytes.Equal(got[1].Data, upPng) {
		t.Fatalf("staff got %+v after the retry", got[1])
	}
	for deadline := time.Now().Add(5 * time.Second); state("photo.png") != "ok" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if s := state("photo.png"); s != "ok" {
		t.Errorf("the retried photo's bubble is %q", s)
	}
}
