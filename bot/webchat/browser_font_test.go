package webchat_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot/webchat"
	"github.com/returnbot/returnbot/locales"
)

// ethiopicFace is the state of the page's Ethiopic font face ("unloaded" until the browser
// needed it).
const ethiopicFace = `(function(){var s='none';document.fonts.forEach(function(f){if(f.family.indexOf('Returnbot Ethiopic')>=0){s=f.status}});return s})()`

// anyButton waits for the answer's buttons.
var anyButton = chromedp.CSS(".msg.bot .buttons:not([hidden]) button")

// pickLanguage presses the language button and then the language named label.
func pickLanguage(label string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(chromedp.ID("lang")),
		chromedp.WaitVisible(liveButton(label)),
		chromedp.Click(liveButton(label)),
	)
}

// TestBrowserRealContentScripts, with the shipped content: an English page never loads the
// Ethiopic font; Tigrinya loads it (the page's own subset, which is a valid font), and its
// answer is laid out in it; Dari and Arabic pages write times with the digits the bot's hours
// and phone numbers use. Screenshots at 360 px in English, Arabic and Tigrinya.
func TestBrowserRealContentScripts(t *testing.T) {
	o := newOffice(t, time.Date(2027, 3, 30, 11, 0, 0, 0, osloLoc(t)), webchat.Config{})
	fonts := &fontFetches{h: o.h}
	url, newTab := browserFor(t, fonts, chromedp.Env("FONTCONFIG_FILE="+withoutEthiopicFonts(t)))
	ctx := newTab()
	do(t, ctx, "English", chromedp.EmulateViewport(360, 740), chromedp.Navigate(url+"/"), chromedp.WaitVisible(anyButton), chromedp.Sleep(300*time.Millisecond))
	if s := eval[string](t, ctx, ethiopicFace); s != "unloaded" {
		t.Logf("Ethiopic on the page: %q", eval[string](t, ctx, `(document.body.textContent.match(/[ሀ-፿]+/g)||[]).join(' ')`))
		t.Errorf("the Ethiopic font is %q on an English page, want unloaded (not fetched)", s)
	}
	screenshot(t, ctx, "webchat-real-en-360.png")
	do(t, ctx, "Tigrinya", pickLanguage("ትግርኛ"), chromedp.WaitVisible(anyButton), chromedp.Poll[chromedp.Void](ethiopicFace+` === 'loaded'`))
	if n := fonts.n.Load(); n != 1 {
		t.Errorf("with Tigrinya on screen the font was fetched %d times, want once", n)
	}
	// Laid out in the page's font: the same text is as wide in it as in the shipped font alone,
	// and not as wide as in the fallback (where Ethiopic has no glyphs).
	widths := eval[map[string]float64](t, ctx, `(function(){var c=document.createElement('canvas').getContext('2d'), s='ሰላም ትግርኛ ሓበሬታ';
		c.font='18px "Returnbot Ethiopic"'; var a=c.measureText(s).width; c.font='18px monospace'; var b=c.measureText(s).width; return {ours:a, fallback:b}})()`)
	if widths["ours"] == widths["fallback"] {
		t.Errorf("Tigrinya measures the same in the page's font and the fallback %v: the font is not used", widths)
	}
	// The file the page ships is a font the browser can use, whatever the device has.
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new FontFace('ShippedEthiopic','url(/webchat/ethiopic.woff2)').load().then(function(){return true},function(){return false})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Error("/webchat/ethiopic.woff2 does not load as a font")
	}
	if dir := eval[string](t, ctx, `document.documentElement.lang`); dir != "ti" {
		t.Errorf("page language %q after picking Tigrinya", dir)
	}
	screenshot(t, ctx, "webchat-real-ti-360.png")
	for _, tc := range []struct{ lang, label string }{{"fa", "دری"}, {"ar", "العربية"}} {
		do(t, ctx, tc.lang, pickLanguage(tc.label), chromedp.WaitVisible(anyButton), chromedp.Sleep(300*time.Millisecond))
		times := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('.msg .meta time')).slice(-3).map(function(t){return t.textContent})`)
		for _, s := range times {
			if !regexp.MustCompile(`^[0-9]{2}:[0-9]{2}`).MatchString(s) {
				t.Errorf("%s: time %q, want digits 0-9 like the office hours", tc.lang, s)
			}
		}
	}
	screenshot(t, ctx, "webchat-real-ar-360.png")
}

// fontFetches counts the requests for the Ethiopic font.
type fontFetches struct {
	h http.Handler
	n atomic.Int32
}

func (f *fontFetches) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/webchat/ethiopic.woff2" {
		f.n.Add(1)
	}
	f.h.ServeHTTP(w, r)
}

// withoutEthiopicFonts writes a fontconfig file that hides the machine's Ethiopic fonts, so that
// Chromium is like a phone without them.
func withoutEthiopicFonts(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fonts.conf")
	conf := `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>
<include ignore_missing="yes">/etc/fonts/fonts.conf</include>
<selectfont><rejectfont><glob>*Ethiopic*</glob><glob>*Abyssinica*</glob></rejectfont></selectfont></fontconfig>`
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEthiopicSubsetCoversTigrinya: every Ethiopic character of the Tigrinya texts is in the
// range the font subset and its CSS unicode-range cover, and the subset is a WOFF2 file.
func TestEthiopicSubsetCoversTigrinya(t *testing.T) {
	b, err := locales.FS.ReadFile("ti.json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatal("ti.json is not JSON")
	}
	n := 0
	for _, r := range string(b) {
		if r >= 0x1200 && r <= 0x139F || r >= 0x2D80 && r <= 0x2DDF || r >= 0xAB00 && r <= 0xAB2F {
			n++
			if r > 0x137F {
				t.Errorf("ti.json uses %U, outside the subset (U+1200-137F)", r)
			}
		}
	}
	if n < 1000 {
		t.Errorf("only %d Ethiopic characters in ti.json", n)
	}
	font, err := webchat.Asset("ethiopic.woff2")
	if err != nil || len(font) < 4 || string(font[:4]) != "wOF2" {
		t.Fatalf("ethiopic.woff2 is not WOFF2 (%v)", err)
	}
	css, _ := webchat.Asset("app.css")
	if !regexp.MustCompile(`unicode-range: U\+1200-137F`).Match(css) {
		t.Error("app.css does not limit the Ethiopic font to U+1200-137F (it would load for every page)")
	}
	if _, err := os.Stat("assets/OFL.txt"); err != nil {
		t.Errorf("the font's licence: %v", err)
	}
}
