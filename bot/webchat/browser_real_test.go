package webchat_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot/webchat"
)

// TestBrowserRealVisitCard, with the shipped content and its handoff service: planning a visit
// by pressing its buttons gives a visit card (with its code) that the page marks, offers to keep
// on this device and shows again on request; asking to chat with a counsellor asks (once) to
// allow notifications. English, Arabic and Tigrinya at 360 px (the screenshots in docs/).
func TestBrowserRealVisitCard(t *testing.T) {
	for _, tc := range []struct{ lang, pick, plan, interpNo, chat, code string }{
		{"en", "", "Plan a visit", "No, thank you", "Chat now", "Your code:"},
		{"ar", "العربية", "ترتيب زيارة", "لا، شكرًا", "محادثة الآن", ""},
		{"ti", "ትግርኛ", "ምብጻሕ መድቡ", "ኣይፋል፡ የቐንየለይ", "ሕጂ ብቻት ተዛረቡ", ""},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// A Tuesday morning: the office is open and has days to offer.
			o := newOffice(t, time.Date(2027, 3, 30, 11, 0, 0, 0, osloLoc(t)), webchat.Config{})
			url, newTab := browserFor(t, o.h)
			ctx := newTab()
			do(t, ctx, "open", chromedp.EmulateViewport(360, 740), chromedp.Navigate(url+"/"), chromedp.WaitVisible(anyButton))
			if tc.pick != "" {
				do(t, ctx, "pick the language", pickLanguage(tc.pick), chromedp.WaitVisible(anyButton))
			}
			do(t, ctx, "plan a visit",
				chromedp.SendKeys(chromedp.ID("text"), "/counsellor"),
				chromedp.Click(chromedp.ID("send")),
				chromedp.Click(liveButton(tc.plan)),
				chromedp.WaitVisible(chromedp.CSS(`.buttons:not([hidden]) button[data-choice^="v|"]`)),
				chromedp.Click(chromedp.CSS(`.buttons:not([hidden]) button[data-choice^="v|"]`)),
				chromedp.Click(liveButton(tc.interpNo)),
				chromedp.WaitVisible(chromedp.CSS(".msg.card")),
				chromedp.WaitVisible(chromedp.ID("ask")),
			)
			card := eval[string](t, ctx, `document.querySelector('.msg.card .bubble').textContent`)
			if tc.code != "" && !strings.Contains(card, tc.code) {
				t.Errorf("the card says %q, want its code", card)
			}
			if hidden := eval[bool](t, ctx, `document.getElementById('card').hidden`); hidden {
				t.Error("no 'show my visit card' button after planning a visit")
			}
			do(t, ctx, "the card in view", chromedp.Evaluate[chromedp.Void](`(function(){var l=document.getElementById('log');l.scrollTop=document.querySelector('.msg.card').offsetTop-8})()`))
			if y := eval[float64](t, ctx, `window.scrollY + document.scrollingElement.scrollTop`); y != 0 {
				t.Errorf("the page itself scrolled by %v px (the header must stay)", y)
			}
			screenshot(t, ctx, "webchat-card-"+tc.lang+"-360.png")
			do(t, ctx, "keep it", chromedp.Click(chromedp.ID("ask-yes")), chromedp.Poll[chromedp.Void](`localStorage.getItem('returnbot.keep') === '1'`))

			// Asking to chat: the page asks once to allow notifications.
			do(t, ctx, "notifications not decided yet", chromedp.Evaluate[chromedp.Void](`(function(){window.__asked=0;
				var N=function(){};N.permission='default';N.requestPermission=function(){window.__asked++;return Promise.resolve('default')};window.Notification=N})()`))
			do(t, ctx, "chat now",
				chromedp.SendKeys(chromedp.ID("text"), "/counsellor"),
				chromedp.Click(chromedp.ID("send")),
				chromedp.Click(liveButton(tc.chat)),
				chromedp.Poll[chromedp.Void](`window.__asked === 1`),
			)
		})
	}
}
