package webchat_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/storetest"
	"github.com/returnbot/returnbot/bot/webchat"
	"github.com/returnbot/returnbot/internal/chromium"
)

// browser starts a headless Chromium for a test server running the web chat and returns the
// server's URL and a function that opens a fresh tab (its own sessionStorage, so its own user).
func browser(t testing.TB) (string, func() context.Context) {
	t.Helper()
	h, _ := newHandler(t, webchat.Config{})
	return browserFor(t, h)
}

// browserFor is browser for a given handler; extra options go to the browser's start (an
// environment without some fonts, for example).
func browserFor(t testing.TB, h http.Handler, extra ...chromedp.ExecAllocatorOption) (string, func() context.Context) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	browser := chromium.Start(t, 1024, 768, extra...)
	newTab := func() context.Context { return chromium.Tab(t, browser, 60*time.Second) }
	return srv.URL, newTab
}

// artifacts is where screenshots go: $RETURNBOT_ARTIFACTS or artifacts/ at the module root.
func artifacts(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("RETURNBOT_ARTIFACTS")
	if dir == "" {
		root, err := filepath.Abs(".")
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatal("no go.mod above the test directory")
			}
			root = parent
		}
		dir = filepath.Join(root, "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	do(t, ctx, "settle before "+name, chromedp.Sleep(400*time.Millisecond))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifacts(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// liveButton is the XPath of the last enabled option button with a label.
func liveButton(label string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`(//button[@data-choice and normalize-space()=%q and not(@disabled)])[last()]`, label))
}

// botSaid is the XPath of a bot bubble containing text.
func botSaid(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//div[contains(@class,"bot")]/div[contains(@class,"bubble") and contains(., %q)]`, text))
}

// userSaid is the XPath of the user's bubble with exactly text.
func userSaid(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//div[contains(@class,"me")]/div[.=%q]`, text))
}

// do runs steps and fails the test with the conversation so far when one fails.
func do(t testing.TB, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.ID("log")))
		t.Fatalf("%s: %v\nlog: %s", step, err, html)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func TestBrowserConversationEnglish(t *testing.T) {
	url, newTab := browser(t)
	ctx := newTab()

	do(t, ctx, "open the page",
		chromedp.EmulateViewport(1024, 768),
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(botSaid("Hello! What would you like to know?")),
		chromedp.WaitVisible(liveButton("Information")),
	)
	do(t, ctx, "press Information",
		chromedp.Click(liveButton("Information")),
		chromedp.WaitVisible(botSaid("Return is voluntary.")),
	)
	// Keyboard: focus the offered button and press Enter; the focus moves to the new buttons.
	do(t, ctx, "Main menu by keyboard",
		chromedp.Focus(liveButton("Main menu")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(liveButton("Office address")),
	)
	if focused := eval[string](t, ctx, `document.activeElement ? document.activeElement.textContent : ""`); focused != "Information" {
		t.Errorf("after a button the focus is on %q, want the first new button", focused)
	}
	do(t, ctx, "press Office address",
		chromedp.Click(liveButton("Office address")),
		chromedp.WaitVisible(chromedp.CSS(".venue a")),
		chromedp.WaitVisible(botSaid("Main Street 1")),
	)
	if href := eval[string](t, ctx, `document.querySelector('.venue a').href`); !strings.HasPrefix(href, "https://www.openstreetmap.org/?mlat=59.91273&mlon=10.74609#map=18/") {
		t.Errorf("map link %q", href)
	}
	do(t, ctx, "answer a question by typing and Enter",
		chromedp.Click(liveButton("Main menu")),
		chromedp.Click(liveButton("Tell us your country")),
		chromedp.WaitVisible(botSaid("Which country do you want to return to?")),
		chromedp.SendKeys(chromedp.ID("text"), "Iraq"),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(userSaid("Iraq")),
		chromedp.WaitVisible(botSaid("Thank you")),
	)
	do(t, ctx, "type a question and press send",
		chromedp.SendKeys(chromedp.ID("text"), "where is the office"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(userSaid("where is the office")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('.venue').length >= 2`),
	)
	if fs := eval[string](t, ctx, `getComputedStyle(document.querySelector('.bubble')).fontSize`); fs != "18px" {
		t.Errorf("bubble font size %s", fs)
	}
	if dir := eval[string](t, ctx, `getComputedStyle(document.querySelector('.msg.bot')).direction`); dir != "ltr" {
		t.Errorf("English message direction %s", dir)
	}
	screenshot(t, ctx, "webchat-en-desktop.png")

	before := eval[int](t, ctx, `document.querySelectorAll('.msg').length`)
	do(t, ctx, "history survives a reload",
		chromedp.Reload(),
		chromedp.WaitVisible(botSaid("Thank you")),
	)
	if after := eval[int](t, ctx, `document.querySelectorAll('.msg').length`); after != before {
		t.Errorf("after reload %d messages, before %d", after, before)
	}

	do(t, ctx, "phone width", chromedp.EmulateViewport(360, 740), chromedp.Sleep(200*time.Millisecond))
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("at 360 px the page is %d px wide (horizontal scrolling)", w)
	}
	screenshot(t, ctx, "webchat-en-360.png")
}

func TestBrowserConversationArabic(t *testing.T) {
	url, newTab := browser(t)
	ctx := newTab()

	do(t, ctx, "open and pick Arabic from the language button",
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(liveButton("Information")),
		chromedp.Click(chromedp.ID("lang")),
		chromedp.WaitVisible(liveButton("العربية")),
		chromedp.Click(liveButton("العربية")),
		chromedp.WaitVisible(botSaid("مرحبًا! ماذا تريد أن تعرف؟")),
		chromedp.Click(liveButton("معلومات")),
		chromedp.WaitVisible(botSaid("العودة طوعية.")),
	)
	msgDir := eval[string](t, ctx, `(function(){var m=document.querySelectorAll('.msg.bot');return getComputedStyle(m[m.length-1]).direction})()`)
	pageDir := eval[string](t, ctx, `document.documentElement.dir`)
	pageLang := eval[string](t, ctx, `document.documentElement.lang`)
	msgLang := eval[string](t, ctx, `(function(){var m=document.querySelectorAll('.msg.bot');return m[m.length-1].lang})()`)
	// In right-to-left a bot bubble sits at the right edge of the log.
	side := eval[string](t, ctx, `(function(){var m=document.querySelectorAll('.msg.bot .bubble');var b=m[m.length-1].getBoundingClientRect();var l=document.getElementById('log').getBoundingClientRect();return (l.right-b.right)<(b.left-l.left)?'right':'left'})()`)
	if msgDir != "rtl" || pageDir != "rtl" || pageLang != "ar" || msgLang != "ar" || side != "right" {
		t.Errorf("message direction %q lang %q, page dir %q lang %q, bubble on the %s", msgDir, msgLang, pageDir, pageLang, side)
	}
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("at 360 px the page is %d px wide", w)
	}
	screenshot(t, ctx, "webchat-ar-360.png")
}

// TestBrowserResendsDuringOutage: a message the server answers 503 (its store down) is sent again
// by the page itself, with the same msg_id, until it gets through; the outage notice shows once,
// and the answer once, after it.
func TestBrowserResendsDuringOutage(t *testing.T) {
	store := &storetest.Outage{Store: inmem.New(time.Hour)}
	h := webchat.New(webchat.Config{Bot: bot.New(testPack(t).Engine, store, nil), Secret: []byte("test-secret-0123456789")})
	url, newTab := browserFor(t, h)
	ctx := newTab()
	do(t, ctx, "open the page",
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(liveButton("Information")),
	)
	store.Down.Store(true)
	do(t, ctx, "press Information while the store is down",
		chromedp.Click(liveButton("Information")),
		chromedp.WaitVisible(botSaid("en:common.unavailable")),
		chromedp.Sleep(4500*time.Millisecond), // longer than a page that gives up after a few tries waits
	)
	store.Down.Store(false)
	do(t, ctx, "the answer arrives by itself",
		chromedp.WaitVisible(botSaid("Return is voluntary.")),
		chromedp.Sleep(300*time.Millisecond),
	)
	count := func(text string) int {
		return eval[int](t, ctx, fmt.Sprintf(`Array.from(document.querySelectorAll('.msg.bot .bubble')).filter(function(b){return b.textContent.indexOf(%q)>=0}).length`, text))
	}
	if n, m := count("en:common.unavailable"), count("Return is voluntary."); n != 1 || m != 1 {
		t.Errorf("%d outage notices and %d answers shown, want one each", n, m)
	}
	if last := eval[string](t, ctx, `(function(){var m=document.querySelectorAll('.msg.bot .bubble');return m[m.length-1].textContent})()`); !strings.Contains(last, "Return is voluntary.") && !strings.Contains(last, "Main menu") {
		t.Errorf("the last bubble is %q, want the answer after the notice", last)
	}
	if st := eval[bool](t, ctx, `document.getElementById('status').hidden`); !st {
		t.Error("the waiting status is still shown after the answer")
	}
}
