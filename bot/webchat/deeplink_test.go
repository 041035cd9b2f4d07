package webchat_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/webchat"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

// shippedHandler is a web chat on the default content, which has a reach.yaml.
func shippedHandler(t testing.TB) (*webchat.Handler, *flow.Pack) {
	t.Helper()
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return webchat.New(webchat.Config{Bot: bot.New(p.Engine, inmem.New(time.Hour), nil), Secret: []byte("test-secret-0123456789")}), p
}

// TestDeepLinkAPI: the page's query goes with "/start" as is; the domain reads it, so the
// conversation starts in that language at that topic. Odd queries are a plain start.
func TestDeepLinkAPI(t *testing.T) {
	h, p := shippedHandler(t)
	resp := decode(t, post(t, h, `{"id":"`+testID+`","text":"/start","lang":"en-US","start":"?lang=fa&topic=cash&src=poster"}`))
	if len(resp.Replies) == 0 {
		t.Fatal("no replies")
	}
	want := p.Catalog.Display("fa", p.Catalog.Text("fa", p.Content.Node("support.cash").Say[0], ""))
	if r := resp.Replies[0]; r.Lang != "fa" || r.Dir != "rtl" || !strings.HasPrefix(r.Text, want[:40]) {
		t.Errorf("first reply %q (%s %s), want the Dari cash page", r.Text, r.Lang, r.Dir)
	}
	for _, odd := range []string{`?lang=<b>`, `?` + strings.Repeat("x", 600), `%%`, `?topic=cash&topic=office`} {
		resp := decode(t, post(t, h, `{"id":"`+testID+`","text":"/start","lang":"en-US","start":"`+odd+`"}`))
		if len(resp.Replies) == 0 {
			t.Errorf("start %q: no replies", odd)
		}
	}
}

// TestBrowserDeepLink opens /?lang=ti&topic=office&src=poster: the Tigrinya office page comes
// first, and the query leaves the address so a reload does not start over.
func TestBrowserDeepLink(t *testing.T) {
	h, p := shippedHandler(t)
	url, newTab := browserFor(t, h)
	ctx := newTab()
	first := strings.SplitN(p.Catalog.Text("ti", p.Content.Node("contact.office").Say[0], ""), "\n", 2)[0]
	do(t, ctx, "open the poster link",
		chromedp.Navigate(url+"/?lang=ti&topic=office&src=poster"),
		chromedp.WaitVisible(botSaid(first)),
	)
	if l := eval[string](t, ctx, `document.documentElement.lang`); l != "ti" {
		t.Errorf("page language %q, want ti", l)
	}
	if q := eval[string](t, ctx, `location.search`); q != "" {
		t.Errorf("the address kept its query %q", q)
	}
	// The page ends with "Was this helpful?": 👍 is live next to the page's own buttons, and a
	// tap is thanked in Tigrinya.
	menu := p.Catalog.Text("ti", bot.MsgMenu, "")
	do(t, ctx, "answer 👍",
		chromedp.WaitVisible(botSaid(p.Catalog.Text("ti", bot.MsgHelpfulAsk, ""))),
		chromedp.WaitVisible(liveButton(menu)),
		chromedp.Click(liveButton(bot.HelpfulYes)),
		chromedp.WaitVisible(botSaid(p.Catalog.Text("ti", bot.MsgHelpfulThanks, ""))),
		chromedp.WaitVisible(liveButton(menu)),
	)
}
