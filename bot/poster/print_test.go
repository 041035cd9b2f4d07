package poster_test

import (
	"bytes"
	"context"
	"image"
	_ "image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot/poster"
	"github.com/returnbot/returnbot/internal/chromium"
)

var mediaBoxRe = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]`)
var pageRe = regexp.MustCompile(`/Type\s*/Page[^s]`)

// TestPrintPosters prints the Arabic, Dari and Tigrinya posters to PDF in Chromium: each is one
// A4 page (595 × 842 points). The Dari poster's Telegram code is read back from a screenshot of
// the page as the browser drew it, and the screenshot is kept (artifacts/poster-fa.png).
func TestPrintPosters(t *testing.T) {
	p := pack(t)
	langs := []string{"ar", "fa", "ti"}
	pages, err := poster.Pages(p.Engine, poster.Options{Links: links, Source: "reception", Langs: langs})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, pg := range pages {
		if files[poster.FileName(pg.Lang)], err = poster.Render(pg); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[filepath.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)

	bctx := chromium.Start(t, 794, 1123) // A4 at 96 dpi
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	for _, lang := range langs {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"+poster.FileName(lang)), chromedp.WaitVisible(chromedp.CSS("figure svg"))); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(func(p *page.PrintToPDFParams) {
			yes := true
			p.PreferCSSPageSize = &yes
		}))
		if err != nil {
			t.Fatalf("%s: print: %v", lang, err)
		}
		if len(pdf) < 5000 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("%s: PDF of %d bytes", lang, len(pdf))
		}
		if n := len(pageRe.FindAll(pdf, -1)); n != 1 {
			t.Errorf("%s: %d pages, want 1", lang, n)
		}
		m := mediaBoxRe.FindSubmatch(pdf)
		if m == nil {
			t.Fatalf("%s: no MediaBox in the PDF", lang)
		}
		w, _ := strconv.ParseFloat(string(m[1]), 64)
		h, _ := strconv.ParseFloat(string(m[2]), 64)
		if w < 594 || w > 596 || h < 841 || h > 843 {
			t.Errorf("%s: page %.1f × %.1f points, want A4 (595 × 842)", lang, w, h)
		}
		dir, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).direction`))
		if want := map[string]string{"ar": "rtl", "fa": "rtl", "ti": "ltr"}[lang]; dir != want {
			t.Errorf("%s: direction %q, want %q", lang, dir, want)
		}
		t.Logf("%s: PDF %d bytes, 1 page %.0f × %.0f pt", lang, len(pdf), w, h)
	}

	// The code as the browser drew it, read back from pixels.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"+poster.FileName("fa")), chromedp.WaitVisible(chromedp.CSS("figure svg"))); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(`figure[data-channel="telegram"] svg`)))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := decode(t, img), "https://t.me/ReturnHelpBot?start=fa-reception"; got != want {
		t.Errorf("the drawn Telegram code reads %q, want %q", got, want)
	}
	full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("RETURNBOT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "poster-fa.png"), full, 0o644)
	}
}
