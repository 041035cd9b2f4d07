package webchat_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/webchat"
)

// TestBrowserPageWordsFollowTheLanguage: the page's own words (text field, send, language and
// start-over buttons, error notices) come from the locale files in the conversation's language,
// English first and Arabic (right to left) after a switch, and stay after a reload.
func TestBrowserPageWordsFollowTheLanguage(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{})
	var fail atomic.Int32 // 1: the next messages fail (400); 2: they are refused as too many (429)
	url, newTab := browserFor(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/webchat/api/message" {
			switch fail.Load() {
			case 1:
				http.Error(w, `{"error":"test"}`, http.StatusBadRequest)
				return
			case 2:
				w.Header().Set("Retry-After", "3")
				http.Error(w, `{"error":"test"}`, http.StatusTooManyRequests)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	ctx := newTab()
	words := func() map[string]string {
		js := `(function(){var q=function(s){return document.querySelector(s)};return {
			placeholder: q('#text').placeholder, input: q('label[for="text"]').textContent,
			send: q('#send').getAttribute('aria-label'), language: q('#lang').getAttribute('aria-label'),
			restart: q('#restart').getAttribute('aria-label'), restartTitle: q('#restart').title}})()`
		return eval[map[string]string](t, ctx, js)
	}
	check := func(when string, want map[string]string) {
		t.Helper()
		got := words()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s is %q, want %q", when, k, got[k], v)
			}
		}
	}
	do(t, ctx, "open the page",
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(liveButton("Information")),
	)
	english := map[string]string{"placeholder": "Type a question, e.g. opening hours", "input": "Message", "send": "Send",
		"language": "Change language", "restart": "Start again", "restartTitle": "Start again"}
	check("English", english)
	fail.Store(1)
	do(t, ctx, "a message that fails in English",
		chromedp.SendKeys(chromedp.ID("text"), "hello"),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("status")),
	)
	if s := eval[string](t, ctx, `document.getElementById('status').textContent`); s != "⚠ Connection problem. Please try again." {
		t.Errorf("English error notice %q", s)
	}
	fail.Store(0)
	do(t, ctx, "pick Arabic from the language button",
		chromedp.Click(chromedp.ID("lang")),
		chromedp.WaitVisible(liveButton("العربية")),
		chromedp.Click(liveButton("العربية")),
		chromedp.WaitVisible(botSaid("مرحبًا! ماذا تريد أن تعرف؟")),
	)
	arabic := map[string]string{"placeholder": "اكتب سؤالك، مثلًا: ساعات العمل", "input": "رسالة", "send": "إرسال",
		"language": "تغيير اللغة", "restart": "البدء من جديد", "restartTitle": "البدء من جديد"}
	check("Arabic", arabic)
	if dir := eval[string](t, ctx, `getComputedStyle(document.getElementById('text')).direction`); dir != "rtl" {
		t.Errorf("Arabic text field direction %q", dir)
	}
	fail.Store(1)
	do(t, ctx, "a message that fails in Arabic",
		chromedp.SendKeys(chromedp.ID("text"), "مرحبا"),
		chromedp.KeyEvent("\r"),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.indexOf('مشكلة في الاتصال') >= 0`),
	)
	fail.Store(2)
	do(t, ctx, "a message refused as too many, in Arabic",
		chromedp.SendKeys(chromedp.ID("text"), "مرحبا"),
		chromedp.KeyEvent("\r"),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.indexOf('انتظر قليلًا') >= 0`),
	)
	if s := eval[string](t, ctx, `document.getElementById('status').textContent`); !strings.Contains(s, "3") {
		t.Errorf("the wait notice does not say how long: %q", s)
	}
	fail.Store(0)
	screenshot(t, ctx, "webchat-ar-labels-360.png")
	do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(botSaid("مرحبًا! ماذا تريد أن تعرف؟")))
	check("Arabic after a reload", arabic)
}

// TestAnswerCarriesPageWordsInItsLanguage: the API sends the page's own words with each answer,
// in the language of the last reply, and none with an answer that has no replies.
func TestAnswerCarriesPageWordsInItsLanguage(t *testing.T) {
	// Two replicas on one store: each keeps its own answers for resends.
	b := bot.New(testPack(t).Engine, inmem.New(time.Hour), nil)
	h := webchat.New(webchat.Config{Bot: b, Secret: []byte("test-secret-0123456789")})
	replica := webchat.New(webchat.Config{Bot: b, Secret: []byte("test-secret-0123456789")})
	resp := decode(t, post(t, h, `{"id":"`+testID+`","text":"/start","lang":"ar"}`))
	if resp.UI == nil || resp.UI.Lang != "ar" || resp.UI.Dir != "rtl" || resp.UI.Send != "إرسال" || resp.UI.Placeholder != "اكتب سؤالك، مثلًا: ساعات العمل" || resp.UI.Offline != "مشكلة في الاتصال. حاول مرة أخرى." {
		t.Errorf("ui of an Arabic answer: %+v", resp.UI)
	}
	body := `{"id":"` + testID + `","text":"hello","lang":"en","msg_id":"m1"}`
	decode(t, post(t, h, body))
	// A resend gets the kept answer with its words; once that is gone (another replica, or
	// later), no replies and no words.
	if dup := decode(t, post(t, h, body)); !dup.Duplicate || len(dup.Replies) == 0 || dup.UI == nil || dup.UI.Lang != "ar" {
		t.Errorf("a resend: duplicate %v, %d replies, ui %+v; want the kept answer with its Arabic words", dup.Duplicate, len(dup.Replies), dup.UI)
	}
	body2 := `{"id":"` + testID + `","text":"hello","lang":"en","msg_id":"m2"}`
	decode(t, post(t, h, body2))
	if dup := decode(t, post(t, replica, body2)); !dup.Duplicate || len(dup.Replies) != 0 || dup.UI != nil {
		t.Errorf("a resend to another replica: %+v, want an empty duplicate without words", dup)
	}
}
