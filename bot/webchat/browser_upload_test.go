package webchat_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/webchat"
)

// TestBrowserUpload: from the chat page in real Chromium (same origin, the browser's own Origin
// header and Content-Type), a voice note outside a chat gets the voice answer, a GIF posted as
// image/png is refused (415) with the kind answer in the user's language, and, once the user
// waits for a counsellor, a PNG reaches the staff chat as the medium itself — the very bytes,
// typed by their signature, with the ticket's line — while the page gets no reply.
func TestBrowserUpload(t *testing.T) {
	o := newOffice(t, time.Date(2027, 3, 30, 11, 0, 0, 0, osloLoc(t)), webchat.Config{})
	url, tab := browserFor(t, o.h)
	ctx := tab()
	do(t, ctx, "open the page", chromedp.Navigate(url+"/webchat/"), chromedp.WaitVisible(chromedp.ID("text")))
	cat := handofftest.Content(t).Catalog
	const id = "BrowserUploader_0123456789"
	post := func(query string, data []byte, claimed string) (int, string) {
		t.Helper()
		arr, _ := json.Marshal(intsOf(data))
		js := `fetch('/webchat/api/upload?` + query + `', {method: 'POST', headers: {'Content-Type': ` + jsString(claimed) + `},
			body: new Blob([new Uint8Array(` + string(arr) + `)])}).then(function (r) { return r.json().then(function (b) {
			return JSON.stringify({status: r.status, text: (b.replies && b.replies.length) ? b.replies[0].text : ''}) }) })`
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("upload from the page: %v", err)
		}
		var res struct {
			Status int
			Text   string
		}
		_ = json.Unmarshal([]byte(out), &res)
		return res.Status, res.Text
	}
	if st, text := post("id="+id+"&msg_id=b1&lang=fa", upOgg, "audio/ogg"); st != 200 || text != cat.Display("fa", cat.Text("fa", bot.MsgMediaVoice, "")) {
		t.Errorf("voice outside a chat: %d %q", st, text)
	}
	if st, text := post("id="+id+"&msg_id=b2&lang=fa", pad("GIF89a"), "image/png"); st != 415 || text != cat.Display("fa", cat.Text("fa", bot.MsgMediaType, "")) {
		t.Errorf("gif posted as png: %d %q", st, text)
	}
	body, _ := json.Marshal(map[string]any{"id": id, "choice": bot.OptionData("handoff.start", "chat"), "lang": "fa"})
	if w := postTo(t, o.h, "/webchat/api/message", string(body)); w.Code != 200 {
		t.Fatalf("chat request: %d", w.Code)
	}
	code := o.staff.LastCode()
	if st, text := post("id="+id+"&msg_id=b3&lang=fa", upPng, "application/octet-stream"); st != 200 || text != "" {
		t.Errorf("png in a chat: %d %q (the bot should stay silent)", st, text)
	}
	var got []handofftest.Medium
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = o.staff.Media(); len(got) > 0 {
			break
		}
	}
	if len(got) != 1 || got[0].Kind != bot.MediumPhoto || got[0].MIME != "image/png" || !bytes.Equal(got[0].Data, upPng) ||
		!strings.Contains(got[0].Text, code) || !strings.Contains(got[0].Text, "[photo · 2 KB]") {
		t.Fatalf("staff got %+v", got)
	}
}

func intsOf(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }
