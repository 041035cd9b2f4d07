package webchat_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot/webchat"
)

// hostPage is an office's web page with the embed line.
const hostPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Office</title></head>
<body><main><h1>The office</h1><p>Welcome.</p></main>
<script src="/webchat/embed.js" data-label="Chat with us"></script></body></html>`

// TestBrowserEmbedStartsOnOpen: the embed adds only a button; the chat (and so a session on
// the server) starts when the visitor opens it; its close button hides it again, and opening
// it again shows the same conversation without a new start.
func TestBrowserEmbedStartsOnOpen(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{})
	ml := &messageLog{h: h}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /host.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(hostPage))
	})
	mux.Handle("/", ml)
	url, newTab := browserFor(t, mux)
	ctx := newTab()
	open := chromedp.Search(`//button[normalize-space()="Chat with us"]`)
	do(t, ctx, "an office page with the embed", chromedp.Navigate(url+"/host.html"), chromedp.WaitVisible(open), chromedp.Sleep(time.Second))
	if n := eval[int](t, ctx, `document.querySelectorAll('iframe').length`); n != 0 {
		t.Errorf("%d frames before the visitor opened the chat, want none", n)
	}
	if n, _ := ml.handled("/start"); n != 0 {
		t.Errorf("%d sessions started before the visitor opened the chat", n)
	}
	do(t, ctx, "open the chat",
		chromedp.Click(open),
		chromedp.Poll[chromedp.Void](`(function(){var f=document.querySelector('iframe');var d=f&&f.contentDocument;
			return !!(d && d.querySelector('.msg.bot .buttons button'))})()`),
	)
	if n, _ := ml.handled("/start"); n != 1 {
		t.Errorf("%d starts after opening, want 1", n)
	}
	state := eval[map[string]any](t, ctx, `(function(){var f=document.querySelector('iframe'), c=f.contentDocument.getElementById('close');
		return {shown: getComputedStyle(f).display, close: !c.hidden, label: c.getAttribute('aria-label'),
		expanded: document.querySelector('button[aria-expanded]').getAttribute('aria-expanded')}})()`)
	if state["shown"] != "block" || state["close"] != true || state["label"] != "Close the chat" || state["expanded"] != "true" {
		t.Errorf("open embed %v, want the frame shown with a close button", state)
	}
	do(t, ctx, "close it from inside",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('iframe').contentDocument.getElementById('close').click()`),
		chromedp.Poll[chromedp.Void](`getComputedStyle(document.querySelector('iframe')).display === 'none'`),
	)
	if exp := eval[string](t, ctx, `document.querySelector('button[aria-expanded]').getAttribute('aria-expanded')`); exp != "false" {
		t.Errorf("closed, the button says aria-expanded=%s", exp)
	}
	if f := eval[string](t, ctx, `document.activeElement.textContent`); f != "Chat with us" {
		t.Errorf("closed, the focus is on %q, want the chat button", f)
	}
	do(t, ctx, "open again", chromedp.Click(open), chromedp.Poll[chromedp.Void](`getComputedStyle(document.querySelector('iframe')).display === 'block'`), chromedp.Sleep(500*time.Millisecond))
	if n, _ := ml.handled("/start"); n != 1 {
		t.Errorf("%d starts after opening twice, want 1 (the same conversation)", n)
	}
	// Outside an embed the page has no close button.
	do(t, ctx, "the page itself", chromedp.Navigate(url+"/webchat/"), chromedp.WaitVisible(liveButton("Information")))
	if hidden := eval[bool](t, ctx, `document.getElementById('close').hidden`); !hidden {
		t.Error("the page on its own shows a close button")
	}
}
