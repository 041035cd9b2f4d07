package webchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpnet "github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot/webchat"
)

// emulateNetwork sets the tab's connection: offline, or online with a latency (ms) and a
// download and upload speed (bytes/s, -1 for no limit). navigator.onLine follows.
func emulateNetwork(offline bool, latency, down, up float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, cdpnet.Enable, cdpnet.EnableParams{}); err != nil {
			return err
		}
		conds := []*cdpnet.Conditions{{Offline: offline, Latency: latency, DownloadThroughput: down, UploadThroughput: up}}
		if _, err := cdp.Call(ctx, t, cdpnet.EmulateNetworkConditionsByRule, cdpnet.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conds}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, cdpnet.OverrideNetworkState, cdpnet.OverrideNetworkStateParams{Offline: offline, Latency: latency, DownloadThroughput: down, UploadThroughput: up})
		return err
	})
}

// messageLog records what reaches POST /webchat/api/message: each request's msg_id and text or
// choice, and whether the server answered it as a duplicate.
type messageLog struct {
	h    http.Handler
	mu   sync.Mutex
	reqs []loggedMessage
}

type loggedMessage struct {
	MsgID, Text, Choice string
	Duplicate           bool
}

func (l *messageLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/webchat/api/message" {
		l.h.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req webchat.Request
	_ = json.Unmarshal(body, &req)
	rec := &recorder{ResponseWriter: w}
	l.h.ServeHTTP(rec, r)
	var resp webchat.Response
	_ = json.Unmarshal(rec.body.Bytes(), &resp)
	l.mu.Lock()
	l.reqs = append(l.reqs, loggedMessage{MsgID: req.MsgID, Text: req.Text, Choice: req.Choice, Duplicate: resp.Duplicate})
	l.mu.Unlock()
}

// handled counts the requests with text (or a choice containing it) the server acted on (not
// duplicates), and returns all msg_ids it saw for them.
func (l *messageLog) handled(text string) (int, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	var ids []string
	for _, m := range l.reqs {
		if m.Text == text || (m.Choice != "" && strings.Contains(m.Choice, text)) {
			ids = append(ids, m.MsgID)
			if !m.Duplicate {
				n++
			}
		}
	}
	return n, ids
}

// recorder passes a response through and keeps a copy of its body.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

// Unwrap lets http.ResponseController reach the connection (to cut it, dropFirstAnswer).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// countBubbles counts the bot bubbles containing text.
func countBubbles(t *testing.T, ctx context.Context, text string) int {
	t.Helper()
	return eval[int](t, ctx, fmt.Sprintf(`Array.from(document.querySelectorAll('.msg.bot .bubble')).filter(function(b){return b.textContent.indexOf(%q)>=0}).length`, text))
}

// TestBrowserOfflineMessageIsQueuedAndSentOnce: with the connection gone, a pressed button and
// a typed message wait on the page (marked as waiting, a notice in the user's language, the
// buttons and the text field still usable); when the connection is back they are sent by
// themselves, in order, and each is handled once and answered once; the notice goes away.
func TestBrowserOfflineMessageIsQueuedAndSentOnce(t *testing.T) {
	for _, tc := range []struct {
		lang, button, answer, typed, typedAnswer, queued string
	}{
		{"en", "Information", "Return is voluntary.", "where is the office", "Main Street 1", "No connection. Your message waits here"},
		{"ar", "معلومات", "العودة طوعية.", "أين المكتب", "Main Street 1", "لا يوجد اتصال. رسالتك تنتظر هنا"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			h, _ := newHandler(t, webchat.Config{})
			ml := &messageLog{h: h}
			url, newTab := browserFor(t, ml)
			ctx := newTab()
			do(t, ctx, "open the page", chromedp.EmulateViewport(360, 740), chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
			if tc.lang == "ar" {
				do(t, ctx, "pick Arabic",
					chromedp.Click(chromedp.ID("lang")),
					chromedp.Click(liveButton("العربية")),
					chromedp.WaitVisible(liveButton(tc.button)),
				)
			}
			do(t, ctx, "go offline and press a button", emulateNetwork(true, 0, -1, -1),
				chromedp.Poll[chromedp.Void](`navigator.onLine === false`),
				chromedp.Click(liveButton(tc.button)),
				chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('status').textContent.indexOf(%q) >= 0`, tc.queued)),
			)
			if st := eval[string](t, ctx, `document.querySelector('.msg.me:last-of-type .meta').textContent`); !strings.Contains(st, "…") {
				t.Errorf("the waiting message is marked %q, want the waiting mark", st)
			}
			// Nothing is locked: the text field and send button take another message.
			if dis := eval[bool](t, ctx, `document.getElementById('send').disabled || document.getElementById('text').disabled`); dis {
				t.Error("the send button or text field is disabled while offline")
			}
			do(t, ctx, "type another message while offline",
				chromedp.SendKeys(chromedp.ID("text"), tc.typed),
				chromedp.KeyEvent("\r"),
				chromedp.WaitVisible(userSaid(tc.typed)),
				chromedp.Sleep(1500*time.Millisecond), // a retry or two fail meanwhile
			)
			if n, _ := ml.handled(tc.typed); n != 0 {
				t.Fatalf("a message reached the server while offline (%d)", n)
			}
			do(t, ctx, "back online: both go out by themselves", emulateNetwork(false, 0, -1, -1),
				chromedp.WaitVisible(botSaid(tc.answer)),
				chromedp.WaitVisible(botSaid(tc.typedAnswer)),
				chromedp.Poll[chromedp.Void](`document.getElementById('status').hidden`),
				chromedp.Sleep(500*time.Millisecond),
			)
			if n, m := countBubbles(t, ctx, tc.answer), countBubbles(t, ctx, tc.typedAnswer); n != 1 || m < 1 {
				t.Errorf("answers shown %d and %d times, want once each", n, m)
			}
			n, ids := ml.handled("info")
			if n != 1 {
				t.Errorf("the pressed button was handled %d times (msg_ids %v), want once", n, ids)
			}
			if n, _ := ml.handled(tc.typed); n != 1 {
				t.Errorf("the typed message was handled %d times, want once", n)
			}
			// In order: the button's answer before the typed one's.
			order := eval[bool](t, ctx, fmt.Sprintf(`(function(){var b=Array.from(document.querySelectorAll('.msg.bot .bubble'));
				var i=b.findIndex(function(x){return x.textContent.indexOf(%q)>=0}), j=b.findIndex(function(x){return x.textContent.indexOf(%q)>=0});
				return i>=0 && j>i})()`, tc.answer, tc.typedAnswer))
			if !order {
				t.Error("the answers are not in the order the messages were written")
			}
			marks := eval[string](t, ctx, `Array.from(document.querySelectorAll('.msg.me .mark')).map(function(m){return m.textContent}).join('')`)
			if strings.Trim(marks, "✓") != "" {
				t.Errorf("marks after delivery %q, want all sent (✓)", marks)
			}
			if q := eval[string](t, ctx, `sessionStorage.getItem('returnbot.queue')`); q != "[]" {
				t.Errorf("queue left on the device: %s", q)
			}
		})
	}
}

// dropFirstAnswer lets the server act on the first message whose choice contains match, then
// cuts the connection before the answer reaches the page (a phone losing its signal).
type dropFirstAnswer struct {
	h       http.Handler
	match   string
	dropped atomic.Bool
}

func (d *dropFirstAnswer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/webchat/api/message" || d.dropped.Load() {
		d.h.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req webchat.Request
	_ = json.Unmarshal(body, &req)
	if !strings.Contains(req.Choice, d.match) {
		d.h.ServeHTTP(w, r)
		return
	}
	d.dropped.Store(true)
	d.h.ServeHTTP(httptest.NewRecorder(), r) // acted on; the answer goes nowhere
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// TestBrowserLostAnswerArrivesOnce: the server acts on a pressed button but the answer is lost
// on the way; the page sends the same msg_id again, the server does not act again and sends the
// kept answer, which shows once.
func TestBrowserLostAnswerArrivesOnce(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{})
	ml := &messageLog{h: &dropFirstAnswer{h: h, match: "info"}}
	url, newTab := browserFor(t, ml)
	ctx := newTab()
	do(t, ctx, "open, press a button whose answer is lost, and wait for it",
		chromedp.Navigate(url+"/"),
		chromedp.Click(liveButton("Information")),
		chromedp.WaitVisible(botSaid("Return is voluntary.")),
		chromedp.Sleep(300*time.Millisecond),
	)
	if n := countBubbles(t, ctx, "Return is voluntary."); n != 1 {
		t.Errorf("the answer shows %d times, want once", n)
	}
	_, ids := ml.handled("info")
	if len(ids) != 2 || ids[0] != ids[1] {
		t.Fatalf("msg_ids of the first attempt and the resends %v, want two with the same id", ids)
	}
	ml.mu.Lock()
	dup := ml.reqs[len(ml.reqs)-1].Duplicate
	ml.mu.Unlock()
	if !dup {
		t.Error("the resend was acted on again, want a duplicate")
	}
}
