// Package chromium starts the headless Chromium that the browser tests drive with chromedp:
// where it is expected, the flags every test needs, and a tab with a deadline of its own. The
// web chat's, the staff workspace's and the posters' tests share it.
package chromium

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path is where the browser tests expect Chromium (scripts/test installs it).
const Path = "/usr/bin/chromium"

// Start starts one headless Chromium with a window of width × height for the rest of the test
// and returns its browser context; extra options go to the browser's start (an environment
// without some fonts, for example). A machine without Chromium fails the test: the browser
// tests are part of the suite, not optional.
func Start(t testing.TB, width, height int, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		t.Fatalf("the browser tests need Chromium at %s (apt-get install chromium; scripts/test installs it): %v", Path, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("accept-lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The first Run starts the browser; it must not carry a timeout (that would stop the browser).
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium at %s: %v", Path, err)
	}
	return bctx
}

// Tab opens a tab of browser (a context from Start) that ends with the test or after timeout;
// opts choose, for example, a browser context of its own (chromedp.WithNewBrowserContext: its
// own cookies, another person signed in).
func Tab(t testing.TB, browser context.Context, timeout time.Duration, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(browser, opts...)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab, timeout)
	t.Cleanup(func() { cancel(); cancelTab() })
	return ctx
}
