package webchat_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/webchat"
)

// TestBrowserInboxShowsCounsellorMessages: a counsellor's answer put into the outbox (as the
// handoff service does through SendTo) appears in the open page without the user typing, once,
// in order with a later reminder, and stays once after a reload.
func TestBrowserInboxShowsCounsellorMessages(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{})
	polls := &pollCounter{h: h}
	url, newTab := browserFor(t, polls)
	ctx := newTab()

	do(t, ctx, "open the page",
		chromedp.EmulateViewport(1024, 768),
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(botSaid("Hello! What would you like to know?")),
		chromedp.WaitVisible(liveButton("Information")),
	)
	id := eval[string](t, ctx, `sessionStorage.getItem('returnbot.id')`)
	user := bot.UserKey([]byte("test-secret-0123456789"), webchat.Channel, id)
	before := eval[int](t, ctx, `document.querySelectorAll('.msg').length`)

	if err := h.SendTo(user, user, []bot.Reply{{Lang: "en", Text: "Counsellor:\nWe can meet on Tuesday."}}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the counsellor's answer appears without typing",
		chromedp.WaitVisible(botSaid("We can meet on Tuesday.")),
	)
	if err := h.SendTo(user, user, []bot.Reply{{Lang: "en", Text: "Reminder: your visit is tomorrow.",
		Buttons: []bot.Button{{Label: "Main menu", Data: "c|menu"}}}}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the reminder appears after it, with a live button",
		chromedp.WaitVisible(botSaid("Reminder: your visit is tomorrow.")),
		chromedp.WaitVisible(liveButton("Main menu")),
	)
	order := eval[string](t, ctx, `Array.from(document.querySelectorAll('.msg.bot .bubble')).slice(-2).map(function(b){return b.textContent}).join(' | ')`)
	if order != "Counsellor:\nWe can meet on Tuesday. | Reminder: your visit is tomorrow." {
		t.Errorf("last two bubbles: %q", order)
	}
	// More polls (focus polls at once): nothing is shown twice.
	polls.focus(t, ctx)
	polls.focus(t, ctx)
	if n := eval[int](t, ctx, `document.querySelectorAll('.msg').length`); n != before+2 {
		t.Errorf("%d messages, want %d", n, before+2)
	}
	do(t, ctx, "reload keeps each message once",
		chromedp.Reload(),
		chromedp.WaitVisible(botSaid("Reminder: your visit is tomorrow.")),
	)
	polls.focus(t, ctx)
	if n := eval[int](t, ctx, `document.querySelectorAll('.msg').length`); n != before+2 {
		t.Errorf("after reload %d messages, want %d", n, before+2)
	}
	do(t, ctx, "the reminder's button works",
		chromedp.Click(liveButton("Main menu")),
		chromedp.WaitVisible(userSaid("Main menu")),
	)
	screenshot(t, ctx, "webchat-inbox.png")
}

// pollCounter counts the inbox polls that were answered.
type pollCounter struct {
	h http.Handler
	n atomic.Int64
}

func (p *pollCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.h.ServeHTTP(w, r)
	if r.URL.Path == "/webchat/api/inbox" {
		p.n.Add(1)
	}
}

// focus focuses the window, which makes the page poll at once, and waits for that poll's answer
// to be rendered.
func (p *pollCounter) focus(t *testing.T, ctx context.Context) {
	t.Helper()
	before := p.n.Load()
	do(t, ctx, "focus", chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event('focus'))`))
	deadline := time.Now().Add(10 * time.Second)
	for p.n.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("focusing the window did not poll the inbox")
		}
		time.Sleep(10 * time.Millisecond)
	}
	do(t, ctx, "settle", chromedp.Sleep(200*time.Millisecond))
}
