package webchat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/webchat"
)

// pickArabic switches the conversation to Arabic with the language button.
func pickArabic(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "pick Arabic",
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Click(liveButton("العربية")),
		chromedp.WaitVisible(botSaid("مرحبًا! ماذا تريد أن تعرف؟")),
	)
}

// userOf is the pseudonym of the page's current browser id.
func userOf(t *testing.T, ctx context.Context, area string) string {
	t.Helper()
	id := eval[string](t, ctx, area+`.getItem('returnbot.id')`)
	if id == "" {
		t.Fatalf("no id in %s", area)
	}
	return bot.UserKey([]byte("test-secret-0123456789"), webchat.Channel, id)
}

// TestBrowserLinks: phone numbers are tel: links that never break across lines, addresses from
// the content are links that open apart (rel=noopener), an address the user typed or a
// counsellor wrote is not a link, and a map pin is a card with the address and a directions
// link; in English and Arabic.
func TestBrowserLinks(t *testing.T) {
	for _, tc := range []linkCase{
		{"en", "Office address", "Information", "Directions"},
		{"ar", "عنوان المكتب", "معلومات", "الاتجاهات"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			h, _ := newHandler(t, webchat.Config{})
			url, newTab := browserFor(t, h)
			ctx := newTab()
			do(t, ctx, "open", chromedp.EmulateViewport(360, 740), chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
			if tc.lang == "ar" {
				pickArabic(t, ctx)
			}
			do(t, ctx, "office address", chromedp.Click(liveButton(tc.office)), chromedp.WaitVisible(chromedp.CSS(".venue .directions")))
			tel := eval[map[string]any](t, ctx, `(function(){var a=document.querySelector('.msg.bot a.call');if(!a)return {};
				return {href:a.getAttribute('href'), text:a.textContent, ws:getComputedStyle(a).whiteSpace, lines:a.getClientRects().length}})()`)
			if tel["href"] != "tel:+4711223344" || tel["text"] != "+47 11 22 33 44" || tel["ws"] != "nowrap" || tel["lines"] != float64(1) {
				t.Errorf("phone link %v, want tel:+4711223344 on one line (nowrap)", tel)
			}
			venue := eval[map[string]any](t, ctx, `(function(){var v=document.querySelector('.venue');return {name:v.querySelector('.name').textContent,
				addr:v.querySelector('a.addr').textContent, dir:v.querySelector('a.directions').getAttribute('href'), dirText:v.querySelector('a.directions').textContent,
				rel:v.querySelector('a.directions').rel, map:v.querySelector('a.map').getAttribute('href')}})()`)
			if venue["name"] != "Test Office" || !strings.HasPrefix(venue["addr"].(string), "Main Street 1") || venue["dir"] != "https://www.openstreetmap.org/directions?to=59.91273%2C10.74609" ||
				!strings.Contains(venue["dirText"].(string), tc.directions) || !strings.Contains(venue["rel"].(string), "noopener") ||
				!strings.HasPrefix(venue["map"].(string), "https://www.openstreetmap.org/?mlat=59.91273") {
				t.Errorf("map pin card %v", venue)
			}
			do(t, ctx, "information, whose text has the form's address",
				chromedp.Click(liveButton(tc.menu())),
				chromedp.Click(liveButton(tc.info)),
				chromedp.WaitVisible(chromedp.CSS("a.url")),
			)
			link := eval[map[string]string](t, ctx, `(function(){var a=document.querySelector('a.url');return {href:a.getAttribute('href'), rel:a.rel, target:a.target, text:a.textContent}})()`)
			if link["href"] != "https://apply.example.org/form" || link["text"] != "https://apply.example.org/form" || !strings.Contains(link["rel"], "noopener") || link["target"] != "_blank" {
				t.Errorf("content link %v (the sentence's full stop must stay outside)", link)
			}
			// A typed address and one a counsellor wrote are not links.
			do(t, ctx, "type an address",
				chromedp.SendKeys(chromedp.ID("text"), "look at https://apply.example.org/form and https://evil.example/x"),
				chromedp.KeyEvent("\r"),
				chromedp.WaitVisible(userSaid("look at https://apply.example.org/form and https://evil.example/x")),
			)
			user := userOf(t, ctx, "sessionStorage")
			if err := h.SendTo(user, user, []bot.Reply{{Lang: tc.lang, Text: "Counsellor:\nSee https://evil.example/y or call +47 11 22 33 44"}}); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, "a counsellor's answer with an address", chromedp.WaitVisible(botSaid("https://evil.example/y")))
			if n := eval[int](t, ctx, `document.querySelectorAll('.msg.me a').length`); n != 0 {
				t.Errorf("%d links in what the user typed", n)
			}
			hrefs := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('.msg.bot a')).map(function(a){return a.getAttribute('href')})`)
			for _, h := range hrefs {
				if strings.Contains(h, "evil.example") || !(strings.HasPrefix(h, "tel:") || strings.HasPrefix(h, "https://")) {
					t.Errorf("link %q: only tel: and the content's https addresses may be links", h)
				}
			}
			if n := eval[int](t, ctx, `(function(){var m=document.querySelectorAll('.msg.bot');return m[m.length-1].querySelectorAll('a.call').length})()`); n != 1 {
				t.Errorf("the counsellor's phone number: %d tel: links, want 1", n)
			}
			screenshot(t, ctx, "webchat-links-"+tc.lang+"-360.png")
		})
	}
}

type linkCase struct{ lang, office, info, directions string }

func (tc linkCase) menu() string {
	if tc.lang == "ar" {
		return "القائمة الرئيسية"
	}
	return "Main menu"
}

// TestBrowserForgetClearsTheDevice: after /forget is confirmed the screen shows only the
// confirmation, the device keeps nothing of the conversation (sessionStorage and
// localStorage), a new anonymous id is used, and a reload shows nothing of before.
func TestBrowserForgetClearsTheDevice(t *testing.T) {
	for _, tc := range []struct{ lang, yes, said string }{
		{"en", "en:common.forget_yes", "Iraq"},
		{"ar", "ar:common.forget_yes", "العراق"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			h, _ := newHandler(t, webchat.Config{})
			url, newTab := browserFor(t, h)
			ctx := newTab()
			do(t, ctx, "open", chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
			if tc.lang == "ar" {
				pickArabic(t, ctx)
			}
			do(t, ctx, "answer a question",
				chromedp.SendKeys(chromedp.ID("text"), tc.said),
				chromedp.KeyEvent("\r"),
				chromedp.WaitVisible(userSaid(tc.said)),
			)
			// Kept on the device first, so that the test sees localStorage emptied too.
			user := userOf(t, ctx, "sessionStorage")
			if err := h.SendTo(user, user, []bot.Reply{{Lang: tc.lang, Text: "Counsellor:\nHello"}}); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, "keep it on this device", chromedp.WaitVisible(chromedp.ID("ask-yes")), chromedp.Click(chromedp.ID("ask-yes")),
				chromedp.Poll[chromedp.Void](`localStorage.getItem('returnbot.keep') === '1'`))
			oldID := eval[string](t, ctx, `localStorage.getItem('returnbot.id')`)
			do(t, ctx, "/forget and confirm",
				chromedp.SendKeys(chromedp.ID("text"), "/forget"),
				chromedp.KeyEvent("\r"),
				chromedp.Click(liveButton(tc.yes)),
				chromedp.WaitVisible(botSaid(tc.lang+":common.forgotten")),
			)
			if n := eval[int](t, ctx, `document.querySelectorAll('.msg').length`); n != 1 {
				t.Errorf("%d messages on screen after /forget, want only the confirmation", n)
			}
			left := eval[string](t, ctx, `JSON.stringify([Object.keys(localStorage), sessionStorage.getItem('returnbot.history'), localStorage.getItem('returnbot.history')])`)
			if strings.Contains(left, tc.said) || strings.Contains(left, "returnbot.keep") || strings.Contains(left, "returnbot.history") && !strings.Contains(left, "null,null") {
				t.Errorf("left on the device after /forget: %s", left)
			}
			newID := eval[string](t, ctx, `sessionStorage.getItem('returnbot.id') || ''`)
			if newID == "" || newID == oldID {
				t.Errorf("id after /forget %q (before %q), want a new one", newID, oldID)
			}
			// A fresh start, in the browser's language (English here).
			do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(liveButton("Information")))
			html := eval[string](t, ctx, `document.getElementById('log').textContent`)
			if strings.Contains(html, tc.said) || strings.Contains(html, "common.forgotten") || strings.Contains(html, "Counsellor") {
				t.Errorf("after a reload the page shows what was forgotten: %q", html)
			}
		})
	}
}

// TestBrowserKeepOnDevice: a visit card (or a counsellor's answer) brings the question whether
// to keep the conversation on this device, saying what that means on a shared phone, in the
// user's language. Kept, it is there in a new tab; not kept, a new tab starts afresh. "Show my
// visit card" shows it again, and "Start over" asks before wiping it.
func TestBrowserKeepOnDevice(t *testing.T) {
	card := func(lang string) []bot.Reply {
		return []bot.Reply{{Lang: lang, Text: "Your visit: Tuesday 30.03.2027, 10–15\nYour code: K7Q2", Handoff: bot.HandoffVisit}}
	}
	for _, tc := range []keepCase{
		{"en", "Anyone who uses this device can read them", "Keep it on this device", "Not now", "including your visit card", "Cancel"},
		{"ar", "يستطيع كل من يستخدم هذا الجهاز قراءتها", "احتفظ بها على هذا الجهاز", "ليس الآن", "ومعها بطاقة زيارتك", "إلغاء"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			h, _ := newHandler(t, webchat.Config{})
			url, newTab := browserFor(t, h)
			ctx := newTab()
			do(t, ctx, "open", chromedp.EmulateViewport(360, 740), chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
			if tc.lang == "ar" {
				pickArabic(t, ctx)
			}
			user := userOf(t, ctx, "sessionStorage")
			do(t, ctx, "the user is typing", chromedp.Focus(chromedp.ID("text")))
			if err := h.SendTo(user, user, card(tc.lang)); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, "the card brings the question", chromedp.WaitVisible(botSaid("K7Q2")), chromedp.WaitVisible(chromedp.ID("ask")))
			if f := eval[string](t, ctx, `document.activeElement.id`); f != "text" {
				t.Errorf("the question took the focus (%q) from the text field: an Enter would answer it", f)
			}
			ask := eval[map[string]string](t, ctx, `({text: document.getElementById('ask-text').textContent, yes: document.getElementById('ask-yes').textContent, no: document.getElementById('ask-no').textContent})`)
			if !strings.Contains(ask["text"], tc.info) || ask["yes"] != tc.yes || ask["no"] != tc.no {
				t.Errorf("the question %v", ask)
			}
			if hidden := eval[bool](t, ctx, `document.getElementById('card').hidden`); hidden {
				t.Error("no 'show my visit card' button with a card on screen")
			}
			screenshot(t, ctx, "webchat-keep-"+tc.lang+"-360.png")
			do(t, ctx, "keep it", chromedp.Click(chromedp.ID("ask-yes")), chromedp.Poll[chromedp.Void](`localStorage.getItem('returnbot.keep') === '1'`))
			if s := eval[string](t, ctx, `String(sessionStorage.getItem('returnbot.history'))`); s != "null" {
				t.Errorf("kept on the device, the tab still has its own copy: %.80s", s)
			}
			// Another tab on this device (a closed and reopened page): the card is there.
			other := newTab()
			do(t, other, "a new tab shows the kept conversation", chromedp.Navigate(url+"/"), chromedp.WaitVisible(botSaid("K7Q2")))
			if hidden := eval[bool](t, other, `document.getElementById('card').hidden`); hidden {
				t.Error("no 'show my visit card' button in the new tab")
			}
			do(t, other, "show my visit card again",
				chromedp.Click(liveButton(tc.menu())),
				chromedp.WaitVisible(liveButton(tc.menu2())),
				chromedp.Click(chromedp.ID("card")),
				chromedp.WaitVisible(chromedp.CSS(".msg.again")),
			)
			if last := eval[string](t, other, `(function(){var m=document.querySelectorAll('.msg');return m[m.length-1].textContent})()`); !strings.Contains(last, "K7Q2") {
				t.Errorf("the last message after 'show my visit card' is %q", last)
			}
			do(t, other, "start over asks first; cancel keeps the card",
				chromedp.Click(chromedp.ID("restart")),
				chromedp.WaitVisible(chromedp.ID("ask")),
			)
			if q := eval[string](t, other, `document.getElementById('ask-text').textContent`); !strings.Contains(q, tc.restartAsk) {
				t.Errorf("start over asks %q", q)
			}
			if no := eval[string](t, other, `document.getElementById('ask-no').textContent`); no != tc.cancel {
				t.Errorf("the cancel button says %q", no)
			}
			do(t, other, "cancel", chromedp.Click(chromedp.ID("ask-no")), chromedp.Sleep(300*time.Millisecond))
			if n := countBubbles(t, other, "K7Q2"); n < 1 {
				t.Error("cancelling 'start over' wiped the card")
			}
			do(t, other, "start over, confirmed",
				chromedp.Click(chromedp.ID("restart")),
				chromedp.Click(chromedp.ID("ask-yes")),
				chromedp.WaitVisible(liveButton(tc.menu())),
			)
			if n := countBubbles(t, other, "K7Q2"); n != 0 {
				t.Error("the card is still on screen after a confirmed start over")
			}
		})
	}
	t.Run("not kept", func(t *testing.T) {
		h, _ := newHandler(t, webchat.Config{})
		url, newTab := browserFor(t, h)
		ctx := newTab()
		do(t, ctx, "open", chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
		user := userOf(t, ctx, "sessionStorage")
		if err := h.SendTo(user, user, card("en")); err != nil {
			t.Fatal(err)
		}
		do(t, ctx, "not now", chromedp.WaitVisible(chromedp.ID("ask-no")), chromedp.Click(chromedp.ID("ask-no")))
		if k := eval[string](t, ctx, `String(localStorage.getItem('returnbot.history'))`); k != "null" {
			t.Errorf("not kept, yet localStorage has the conversation: %.80s", k)
		}
		other := newTab()
		do(t, other, "a new tab starts afresh", chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
		if n := countBubbles(t, other, "K7Q2"); n != 0 {
			t.Error("a conversation not kept shows in another tab")
		}
	})
}

type keepCase struct{ lang, info, yes, no, restartAsk, cancel string }

func (tc keepCase) menu() string {
	return map[string]string{"en": "Information", "ar": "معلومات"}[tc.lang]
}

func (tc keepCase) menu2() string {
	return map[string]string{"en": "Main menu", "ar": "القائمة الرئيسية"}[tc.lang]
}
