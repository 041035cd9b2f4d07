package webchat_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	cdpnet "github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot/webchat"
)

// Slow 3G as the figures of docs/webchat.md use it: 400 ms latency, about 50 KB/s each way.
const (
	slow3GLatency = 400
	slow3GBytes   = 50 * 1024
)

// pageBytes is what the page itself transferred (bodies as sent, gzip where the server
// compresses): the document and every resource, the font and the API's answers left out.
const pageBytes = `(function(){var n=performance.getEntriesByType('navigation')[0].encodedBodySize;
	performance.getEntriesByType('resource').forEach(function(r){if(r.name.indexOf('/api/')<0 && r.name.indexOf('.woff2')<0){n+=r.encodedBodySize}});return n})()`

// BenchmarkPageWeight is the page's weight in Chromium, gzipped, without the font (budget 30 KB).
func BenchmarkPageWeight(b *testing.B) {
	h, _ := newHandler(b, webchat.Config{})
	url, newTab := browserFor(b, h)
	var kb float64
	for i := 0; i < b.N; i++ {
		ctx := newTab()
		do(b, ctx, "open", chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")), chromedp.Sleep(300*time.Millisecond))
		kb = eval[float64](b, ctx, pageBytes) / 1024
	}
	b.ReportMetric(kb, "KB-gzipped")
	if kb > 30 {
		b.Errorf("the page weighs %.1f KB gzipped without the font, over the 30 KB budget", kb)
	}
}

// BenchmarkFirstAnswerSlow3G is the time from navigation to the first answer on screen, with
// Chromium's network emulation at slow 3G and an empty cache (budget 3 s).
func BenchmarkFirstAnswerSlow3G(b *testing.B) {
	h, _ := newHandler(b, webchat.Config{})
	url, newTab := browserFor(b, h)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		ctx := newTab()
		do(b, ctx, "slow 3G, no cache", emulateNetwork(false, slow3GLatency, slow3GBytes, slow3GBytes), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, cdpnet.SetCacheDisabled, cdpnet.SetCacheDisabledParams{CacheDisabled: true})
			return err
		}))
		start := time.Now()
		do(b, ctx, "open", chromedp.Navigate(url+"/"), chromedp.WaitVisible(botSaid("Hello! What would you like to know?")))
		total += time.Since(start)
	}
	avg := total / time.Duration(b.N)
	b.ReportMetric(float64(avg.Milliseconds()), "ms-first-answer")
	if avg > 3*time.Second {
		b.Errorf("first answer after %v on slow 3G, over the 3 s budget", avg)
	}
}

// BenchmarkHeapAfter200Messages is the page's JavaScript heap (after a garbage collection) once
// 200 messages are on screen: 100 typed messages and their answers.
func BenchmarkHeapAfter200Messages(b *testing.B) {
	h, _ := newHandler(b, webchat.Config{PerID: webchat.Rate{PerSecond: 1000, Burst: 1000}})
	url, newTab := browserFor(b, h)
	var mb float64
	for i := 0; i < b.N; i++ {
		ctx := newTab()
		do(b, ctx, "open", chromedp.Navigate(url+"/"), chromedp.WaitVisible(liveButton("Information")))
		do(b, ctx, "100 messages",
			chromedp.Evaluate[chromedp.Void](`(function(){var f=document.getElementById('form'), t=document.getElementById('text');
				for (var i=0;i<100;i++){t.value='question number '+i;f.requestSubmit()}})()`),
			chromedp.Poll[chromedp.Void](`document.querySelectorAll('.msg.me').length >= 100 && JSON.parse(sessionStorage.getItem('returnbot.queue')).length === 0 && !document.querySelector('.typing')`,
				chromedp.WithPollingTimeout(50*time.Second)),
		)
		n := eval[int](b, ctx, `document.querySelectorAll('.msg').length`)
		if n < 200 {
			b.Fatalf("%d messages on screen, want 200 or more", n)
		}
		used, err := chromedp.Run(ctx, chromedp.Action[float64](func(ctx context.Context, t *chromedp.Target) (float64, error) {
			if _, err := cdp.Call(ctx, t, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
				return 0, err
			}
			u, err := cdp.Call(ctx, t, runtime.GetHeapUsage, cdp.Empty{})
			return u.UsedSize, err
		}))
		if err != nil {
			b.Fatal(err)
		}
		mb = used / (1 << 20)
		b.Logf("%d messages on screen, JS heap %.2f MB", n, mb)
	}
	b.ReportMetric(mb, "MB-heap")
}
