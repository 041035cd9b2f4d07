package webchat_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/webchat"
)

// recordedHandler is the web chat of the test pack with info.text recorded in English (2.5 s)
// and Arabic (1.8 s), the committed fixtures of bot/audio.
func recordedHandler(t testing.TB) (*webchat.Handler, *audio.Library) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "audio", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pack := testPack(t)
	lib, probs := audio.Load(fstest.MapFS{
		"en/info.text.ogg": {Data: read("opus-2500ms.ogg")},
		"ar/info.text.ogg": {Data: read("opus-1800ms.ogg")},
	}, audio.Catalog{Languages: pack.Catalog.Languages(), Known: pack.Catalog.Has})
	if len(probs) > 0 || lib.Len() != 2 {
		t.Fatalf("recordings: %v", probs)
	}
	pack.Engine.SetRecordings(lib)
	h := webchat.New(webchat.Config{
		Bot: bot.New(pack.Engine, inmem.New(time.Hour), nil), Secret: []byte("test-secret-0123456789"), Audio: lib,
	})
	return h, lib
}

// TestAudioAnswer: Listen on a recorded page answers with the recording's address, which is
// its content hash under /webchat/audio/.
func TestAudioAnswer(t *testing.T) {
	h, lib := recordedHandler(t)
	resp := decode(t, post(t, h, `{"id":"`+testID+`","choice":"o|main.menu|info"}`))
	last := resp.Replies[len(resp.Replies)-1]
	var listen string
	for _, b := range last.Buttons {
		if strings.HasPrefix(b.Data, "a|") {
			listen = b.Data
		}
	}
	if listen != "a|info.start" {
		t.Fatalf("no Listen on the recorded page: %+v", last.Buttons)
	}
	resp = decode(t, post(t, h, `{"id":"`+testID+`","choice":"`+listen+`"}`))
	want := webchat.AudioPath + lib.Clip("en", "info.text").Hash + ".ogg"
	if len(resp.Replies) != 1 || resp.Replies[0].Audio != want || resp.Replies[0].Text != "" {
		t.Fatalf("answer to Listen %+v, want %s", resp.Replies, want)
	}
}

// TestAudioFile: a recording is served as audio/ogg, immutable for a year, with ranges and
// conditional requests; any name but a known hash is 404, however it is spelt.
func TestAudioFile(t *testing.T) {
	h, lib := recordedHandler(t)
	c := lib.Clip("en", "info.text")
	get := func(path string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://x"+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := get(webchat.AudioPath + c.Hash + ".ogg")
	if w.Code != 200 || w.Body.String() != string(c.Data) {
		t.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
	}
	for k, v := range map[string]string{
		"Content-Type": "audio/ogg", "Cache-Control": "public, max-age=31536000, immutable",
		"ETag": `"` + c.Hash + `"`, "X-Content-Type-Options": "nosniff", "Accept-Ranges": "bytes",
	} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if w := get(webchat.AudioPath+c.Hash+".ogg", "Range", "bytes=0-3"); w.Code != http.StatusPartialContent || w.Body.String() != "OggS" {
		t.Errorf("range: %d %q", w.Code, w.Body.String())
	}
	if w := get(webchat.AudioPath+c.Hash+".ogg", "If-None-Match", `"`+c.Hash+`"`); w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", w.Code)
	}
	for _, p := range []string{
		webchat.AudioPath + strings.Repeat("0", 32) + ".ogg", // well formed, unknown
		webchat.AudioPath + strings.ToUpper(c.Hash) + ".ogg",
		webchat.AudioPath + c.Hash,
		webchat.AudioPath + c.Hash + ".ogg.bak",
		webchat.AudioPath + c.Hash[:31] + ".ogg",
		webchat.AudioPath + "..%2f..%2fgo.mod",
		webchat.AudioPath + "%2e%2e/" + c.Hash + ".ogg",
		webchat.AudioPath + "en/info.text.ogg",
		webchat.AudioPath + "info.text.ogg",
		webchat.AudioPath,
	} {
		if w := get(p); w.Code == 200 || strings.HasPrefix(w.Header().Get("Content-Type"), "audio/") {
			t.Errorf("%s: %d %s", p, w.Code, w.Header().Get("Content-Type"))
		}
	}
	// A handler without recordings serves none.
	plain, _ := newHandler(t, webchat.Config{})
	r := httptest.NewRequest("GET", webchat.AudioPath+c.Hash+".ogg", nil)
	pw := httptest.NewRecorder()
	plain.ServeHTTP(pw, r)
	if pw.Code != 404 {
		t.Errorf("no library: %d", pw.Code)
	}
}

// TestBrowserAudioPlayer: in Chromium, Listen shows an <audio> player that loads the recording
// (the page's CSP allows it) and knows its duration from the Ogg stream; in Arabic the Arabic
// recording plays.
func TestBrowserAudioPlayer(t *testing.T) {
	h, _ := recordedHandler(t)
	url, newTab := browserFor(t, h)
	ctx := newTab()
	listen := chromedp.Search(`(//button[starts-with(@data-choice,"a|") and not(@disabled)])[last()]`)
	do(t, ctx, "open and go to a recorded page",
		chromedp.Navigate(url+"/"),
		chromedp.Click(liveButton("Information")),
		chromedp.WaitVisible(botSaid("Return is voluntary.")),
		chromedp.WaitVisible(listen),
	)
	do(t, ctx, "Listen", chromedp.Click(listen), chromedp.WaitVisible(chromedp.CSS(".msg.bot .audio audio")))
	do(t, ctx, "the player loads the metadata",
		chromedp.Poll[chromedp.Void](`(function(){var a=document.querySelector('.audio audio');return a.readyState>=1&&isFinite(a.duration)})()`))
	got := eval[map[string]any](t, ctx, `(function(){var a=document.querySelector('.audio audio');
		return {d: a.duration, err: a.error ? a.error.code : 0, controls: a.controls, src: a.currentSrc,
		  w: a.getBoundingClientRect().width}})()`)
	if d, _ := got["d"].(float64); d < 2.45 || d > 2.55 || got["err"] != float64(0) || got["controls"] != true || got["w"].(float64) < 100 {
		t.Errorf("player %v, want 2.5 s, no error, controls shown", got)
	}
	if src, _ := got["src"].(string); !strings.Contains(src, webchat.AudioPath) {
		t.Errorf("player source %q", src)
	}
	screenshot(t, ctx, "webchat-audio-player.png")

	ar := newTab()
	do(t, ar, "Arabic", chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
	pickArabic(t, ar)
	do(t, ar, "Arabic recorded page and Listen",
		chromedp.Click(liveButton("معلومات")),
		chromedp.WaitVisible(listen),
		chromedp.Click(listen),
		chromedp.Poll[chromedp.Void](`(function(){var a=document.querySelector('.audio audio');return a&&a.readyState>=1&&isFinite(a.duration)})()`),
	)
	if d := eval[float64](t, ar, `document.querySelector('.audio audio').duration`); d < 1.75 || d > 1.85 {
		t.Errorf("Arabic recording lasts %.2f s, want 1.8", d)
	}
}
