package poster_test

import (
	"context"
	"image"
	"image/color"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/poster"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

var links = poster.Links{Telegram: "@ReturnHelpBot", WhatsApp: "+47 400 00 000", Web: "https://chat.example.org/"}

func pack(t testing.TB) *flow.Pack {
	t.Helper()
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	figureRe = regexp.MustCompile(`(?s)<figure data-channel="([a-z]+)" data-url="([^"]*)">.*?(<svg.*?</svg>)`)
	viewRe   = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	moduleRe = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`)
)

// rasterize draws an SVG from QRSVG back into pixels, scale pixels per module, from its path.
func rasterize(t *testing.T, svg string, scale int) image.Image {
	t.Helper()
	m := viewRe.FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no viewBox in %.80s", svg)
	}
	n, _ := strconv.Atoi(m[1])
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, mod := range moduleRe.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(mod[1])
		y, _ := strconv.Atoi(mod[2])
		w, _ := strconv.Atoi(mod[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img
}

// decode reads a QR code from an image with ZXing's decoder.
func decode(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("QR code not readable: %v", err)
	}
	return res.GetText()
}

// TestCodesDecode: every code on every poster decodes (ZXing) to the expected link, and each
// link, followed, starts the conversation in the poster's language with its source counted.
func TestCodesDecode(t *testing.T) {
	p := pack(t)
	pages, err := poster.Pages(p.Engine, poster.Options{Links: links, Source: "poster"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != len(p.Catalog.Languages()) {
		t.Fatalf("%d posters for %d languages", len(pages), len(p.Catalog.Languages()))
	}
	for _, pg := range pages {
		html, err := poster.Render(pg)
		if err != nil {
			t.Fatal(err)
		}
		figs := figureRe.FindAllStringSubmatch(string(html), -1)
		if len(figs) != 3 {
			t.Fatalf("%s: %d codes, want 3", pg.Lang, len(figs))
		}
		prefill := p.Catalog.Text(pg.Lang, bot.MsgPrefill, "")
		want := map[string]string{
			"telegram": "https://t.me/ReturnHelpBot?start=" + pg.Lang + "-poster",
			"whatsapp": "https://wa.me/4740000000?text=" + strings.ReplaceAll(url.QueryEscape(prefill+" #"+pg.Lang+"-poster"), "+", "%20"),
			"web":      "https://chat.example.org/?lang=" + pg.Lang + "&src=poster",
		}
		for _, f := range figs {
			got := decode(t, rasterize(t, f[3], 6))
			if got != want[f[1]] {
				t.Errorf("%s %s code decodes to %q, want %q", pg.Lang, f[1], got, want[f[1]])
			}
			follow(t, p, f[1], got, pg.Lang)
		}
		for _, s := range []string{pg.Title, pg.Invite, pg.Free, pg.Hours} {
			if s == "" || strings.Contains(s, "{{") || strings.HasPrefix(s, "poster.") {
				t.Errorf("%s: text %q not rendered", pg.Lang, s)
			}
		}
		if !strings.Contains(pg.Hours, p.Content.Offices[p.Content.DefaultOffice].Hours.Mon) {
			t.Errorf("%s: hours %q lack the office's hours", pg.Lang, pg.Hours)
		}
	}
}

// follow plays what a phone does with a decoded link: the message it makes the user send.
func follow(t *testing.T, p *flow.Pack, channel, link, lang string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	switch channel {
	case "telegram":
		text = "/start " + u.Query().Get("start")
	case "whatsapp":
		text = u.Query().Get("text")
	case "web":
		text = "/start " + bot.StartFromQuery("?"+u.RawQuery)
	}
	b := bot.New(p.Engine, inmem.New(time.Hour), nil)
	ctx := context.Background()
	if _, err := b.Handle(ctx, bot.Event{Channel: channel, User: "u", Lang: "en", Kind: bot.KindText, Text: text, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var s bot.Session
	_ = b.Store().Update(ctx, "u", func(got *bot.Session) error { s = *got; return nil })
	if s.Lang != lang || s.Position() != "main.menu" {
		t.Errorf("%s link %q: lang %q at %q, want %s at the menu", channel, link, s.Lang, s.Position(), lang)
	}
}

// TestTopicAndMissingLinks: a topic goes into every link; a poster without a web address has
// two codes; no address at all is an error.
func TestTopicAndMissingLinks(t *testing.T) {
	p := pack(t)
	codes, err := poster.LinksFor(p.Engine, poster.Options{Links: poster.Links{Telegram: "B", Web: "https://x.example/chat"}, Topic: "cash", Source: "flyer"}, "so")
	if err != nil || len(codes) != 2 {
		t.Fatalf("%v %v", codes, err)
	}
	if codes[0].URL != "https://t.me/B?start=so-cash-flyer" || codes[1].URL != "https://x.example/chat?lang=so&src=flyer&topic=cash" {
		t.Errorf("links %q %q", codes[0].URL, codes[1].URL)
	}
	if _, err := poster.Pages(p.Engine, poster.Options{}); err == nil {
		t.Error("posters without any link were made")
	}
	if _, err := poster.LinksFor(p.Engine, poster.Options{Links: poster.Links{Web: "chat.example"}}, "en"); err == nil {
		t.Error("a relative web address was accepted")
	}
}
