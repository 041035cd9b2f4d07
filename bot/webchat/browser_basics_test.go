package webchat_test

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/webchat"
)

// pageFocus makes the page count as focused or not (document.hasFocus): a headless tab is
// always focused, and a person's phone shows another app or tab.
func pageFocus(on bool) chromedp.Action[chromedp.Void] {
	js := `document.hasFocus = function () { return false; }`
	if on {
		js = `document.hasFocus = function () { return true; }; window.dispatchEvent(new Event('focus'))`
	}
	return chromedp.Evaluate[chromedp.Void](js)
}

// slowFor delays the answers to messages whose text contains "slow", so the typing indicator
// can be seen.
type slowFor struct{ h http.Handler }

func (s slowFor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/webchat/api/message" {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), "slow") {
			time.Sleep(1500 * time.Millisecond)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	s.h.ServeHTTP(w, r)
}

var clockRe = regexp.MustCompile(`^[0-9]{2}:[0-9]{2}`)

// TestBrowserMessagingBasics: the office's name in the header and title with a logo and
// favicon; a time on every message (digits 0-9) and a sent mark; a typing indicator while an
// answer is on its way; earlier buttons collapse; the Back button; the start of a long answer
// is scrolled into view; the text field grows; a title badge and a notification (no text) when
// a counsellor writes while the page has no focus; in English and Arabic, and after a switch to
// Arabic each earlier message keeps its own direction.
func TestBrowserMessagingBasics(t *testing.T) {
	for _, tc := range []struct{ lang, info, back, typing, notice string }{
		{"en", "Information", "Back", "Writing an answer…", "New message from a counsellor"},
		{"ar", "معلومات", "رجوع", "جارٍ كتابة الرد…", "رسالة جديدة من مستشار"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			h, _ := newHandler(t, webchat.Config{})
			url, newTab := browserFor(t, slowFor{h})
			ctx := newTab()
			do(t, ctx, "open", chromedp.EmulateViewport(360, 640), chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
			head := eval[map[string]any](t, ctx, `({h1: document.getElementById('title').textContent, title: document.title,
				icon: document.querySelector('link[rel=icon]').getAttribute('href'), logo: document.querySelector('img.logo').naturalWidth})`)
			if head["h1"] != "Test Office" || head["title"] != "Test Office" || head["icon"] != "/webchat/logo" || head["logo"] == float64(0) {
				t.Errorf("header %v, want the office's name, its logo and favicon", head)
			}
			if tc.lang == "ar" {
				pickArabic(t, ctx)
			}
			firstBot := eval[string](t, ctx, `document.querySelector('.msg.bot .meta time').textContent`)
			if !clockRe.MatchString(firstBot) {
				t.Errorf("time on a message %q, want hh:mm in digits 0-9", firstBot)
			}
			do(t, ctx, "press a button", chromedp.Click(liveButton(tc.info)), chromedp.WaitVisible(chromedp.CSS("a.url")))
			if n := eval[int](t, ctx, `Array.from(document.querySelectorAll('.buttons')).filter(function(g){return !g.hidden}).length`); n != 1 {
				t.Errorf("%d button groups shown, want only the latest (older ones collapse)", n)
			}
			me := eval[map[string]string](t, ctx, `(function(){var m=document.querySelectorAll('.msg.me');m=m[m.length-1];
				return {time: m.querySelector('time').textContent, mark: m.querySelector('.mark').textContent, said: m.querySelector('.meta').textContent}})()`)
			if !clockRe.MatchString(me["time"]) || me["mark"] != "✓" || !strings.Contains(me["said"], map[string]string{"en": "Sent", "ar": "أُرسلت"}[tc.lang]) {
				t.Errorf("the user's message %v, want a time and the sent mark with its words", me)
			}
			do(t, ctx, "Back", chromedp.Click(chromedp.ID("back")), chromedp.WaitVisible(userSaid(tc.back)), chromedp.WaitVisible(liveButton(tc.info)))

			do(t, ctx, "a slow answer shows the typing indicator",
				chromedp.SendKeys(chromedp.ID("text"), "slow question"),
				chromedp.KeyEvent("\r"),
				chromedp.WaitVisible(chromedp.CSS(".msg.typing")),
			)
			if s := eval[string](t, ctx, `document.querySelector('.msg.typing').textContent`); !strings.Contains(s, tc.typing) {
				t.Errorf("typing indicator says %q, want %q", s, tc.typing)
			}
			do(t, ctx, "and goes when the answer is there", chromedp.WaitNotPresent(chromedp.CSS(".msg.typing")))

			// The text field grows with the text, up to a limit. (KeyEvent's Enter also types a
			// line break, which the page trims away; clear it first.)
			do(t, ctx, "empty", chromedp.Evaluate[chromedp.Void](`(function(){var i=document.getElementById('text');i.value='';i.dispatchEvent(new Event('input'))})()`))
			h1 := eval[float64](t, ctx, `document.getElementById('text').getBoundingClientRect().height`)
			do(t, ctx, "type four lines", chromedp.Evaluate[chromedp.Void](`(function(){var i=document.getElementById('text');i.value='one\ntwo\nthree\nfour';i.dispatchEvent(new Event('input'))})()`))
			h4 := eval[float64](t, ctx, `document.getElementById('text').getBoundingClientRect().height`)
			if h4 < h1*1.8 {
				t.Errorf("text field %v px high with one line and %v px with four, want it to grow", h1, h4)
			}
			do(t, ctx, "clear", chromedp.Evaluate[chromedp.Void](`(function(){var i=document.getElementById('text');i.value='';i.dispatchEvent(new Event('input'))})()`))

			// A long counsellor answer while the page has no focus: its first line is scrolled
			// into view, the title gets a badge, and a notification says only that one came.
			do(t, ctx, "no focus, notifications allowed", pageFocus(false), chromedp.Evaluate[chromedp.Void](`(function(){window.__notes=[];
				var N=function(title,o){window.__notes.push({title:title,body:o&&o.body})};N.permission='granted';window.Notification=N})()`))
			user := userOf(t, ctx, "sessionStorage")
			long := "Counsellor:\nFIRST LINE of a long answer" + strings.Repeat("\nmore of the answer", 60)
			if err := h.SendTo(user, user, []bot.Reply{{Lang: tc.lang, Text: long}}); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, "the long answer arrives", chromedp.WaitReady(botSaid("FIRST LINE")), chromedp.Sleep(400*time.Millisecond))
			seen := eval[bool](t, ctx, `(function(){var b=Array.from(document.querySelectorAll('.msg.bot .bubble')).filter(function(x){return x.textContent.indexOf('FIRST LINE')>=0})[0];
				var r=b.getBoundingClientRect(), l=document.getElementById('log').getBoundingClientRect();return r.top>=l.top-2 && r.top<l.bottom})()`)
			if !seen {
				t.Error("the start of the long answer is not in view (scrolled to its end?)")
			}
			if title := eval[string](t, ctx, `document.title`); title != "(1) Test Office" {
				t.Errorf("title %q, want the badge (1)", title)
			}
			notes := eval[[]map[string]string](t, ctx, `window.__notes`)
			if len(notes) != 1 || notes[0]["body"] != tc.notice || strings.Contains(notes[0]["body"], "FIRST") {
				t.Errorf("notifications %v, want one saying %q without the text", notes, tc.notice)
			}
			do(t, ctx, "focus again clears the badge", pageFocus(true),
				chromedp.Poll[chromedp.Void](`document.title === 'Test Office'`))

			if tc.lang == "en" {
				// Switch to Arabic: earlier English messages stay left to right.
				pickArabic(t, ctx)
				dirs := eval[map[string]string](t, ctx, `(function(){var m=document.querySelectorAll('.msg.bot');return {first:getComputedStyle(m[0]).direction,
					last:getComputedStyle(m[m.length-1]).direction, page:document.documentElement.dir, me:getComputedStyle(document.querySelector('.msg.me .bubble')).direction}})()`)
				if dirs["first"] != "ltr" || dirs["last"] != "rtl" || dirs["page"] != "rtl" || dirs["me"] != "ltr" {
					t.Errorf("directions after a switch to Arabic %v: earlier English ltr, the Arabic answer and page rtl", dirs)
				}
			}
		})
	}
}
