package webchat_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/webchat"
)

// axeViolation is one rule axe-core found broken, with the elements that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// runAxe injects axe-core (testdata/axe.min.js) and runs every rule, best practices included,
// on the page as it is.
func runAxe(t *testing.T, ctx context.Context) []axeViolation {
	t.Helper()
	src, err := os.ReadFile("testdata/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+";typeof axe === 'object'")); err != nil {
		t.Fatalf("injecting axe-core: %v", err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](
		`axe.run(document, {resultTypes: ['violations']}).then(function (r) { return r.violations; })`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core: %v", err)
	}
	return v
}

// TestBrowserAccessibility: axe-core finds no violation of any impact, left to right (English)
// and right to left (Arabic), with the page in its fullest state: answers with buttons, a
// phone link, a map pin card, a content link, a visit card and the question about this device.
func TestBrowserAccessibility(t *testing.T) {
	for _, lang := range []string{"en", "ar"} {
		t.Run(lang, func(t *testing.T) {
			h, _ := newHandler(t, webchat.Config{})
			url, newTab := browserFor(t, h)
			ctx := newTab()
			do(t, ctx, "open", chromedp.EmulateViewport(360, 740), chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
			office, info := "Office address", "Information"
			if lang == "ar" {
				pickArabic(t, ctx)
				office, info = "عنوان المكتب", "معلومات"
			}
			check := func(when string) {
				t.Helper()
				for _, v := range runAxe(t, ctx) {
					var where []string
					for _, n := range v.Nodes {
						where = append(where, n.HTML)
					}
					t.Errorf("%s: axe %s (%s): %s\n  %s", when, v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
				}
			}
			check("the first answer")
			do(t, ctx, "office and information",
				chromedp.Click(liveButton(office)),
				chromedp.WaitVisible(chromedp.CSS(".venue")),
				chromedp.Click(liveButton(map[string]string{"en": "Main menu", "ar": "القائمة الرئيسية"}[lang])),
				chromedp.Click(liveButton(info)),
				chromedp.WaitVisible(chromedp.CSS("a.url")),
			)
			user := userOf(t, ctx, "sessionStorage")
			if err := h.SendTo(user, user, []bot.Reply{{Lang: lang, Text: "Your visit: Tuesday\nYour code: K7Q2", Handoff: bot.HandoffVisit}}); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, "a visit card and the question", chromedp.WaitVisible(botSaid("K7Q2")), chromedp.WaitVisible(chromedp.ID("ask")))
			check("a full conversation")
			// axe really looks: an image without a text alternative is found.
			do(t, ctx, "break a rule", chromedp.Evaluate[chromedp.Void](`document.getElementById('log').appendChild(document.createElement('img')).src='/webchat/logo'`))
			found := false
			for _, v := range runAxe(t, ctx) {
				found = found || v.ID == "image-alt"
			}
			if !found {
				t.Error("axe-core did not find an image without alt: the check does not work")
			}
		})
	}
}
