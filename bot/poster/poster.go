package poster

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
)

// Texts a poster uses besides bot.MsgPrefill; every locale needs them (bot.ReachMessages).
const (
	MsgTitle  = "poster.title"
	MsgInvite = "poster.invite"
	MsgFree   = "poster.free"
	MsgHours  = "poster.hours"
	MsgScan   = "poster.scan"
	MsgWeb    = "poster.web"
)

// Links says where the posters' codes lead; an empty field leaves that code out.
type Links struct {
	// Telegram is the bot's username, with or without "@".
	Telegram string
	// WhatsApp is the business number in international form; only its digits are used.
	WhatsApp string
	// Web is the web chat's public address (https://…/); lang and src are added to its query.
	Web string
}

// Options chooses what the posters carry.
type Options struct {
	Links Links
	// Source is the poster's source name from reach.yaml ("" for none); Topic a topic name.
	Source, Topic string
	// Langs are the languages to make posters for; nil means every shipped language.
	Langs []string
}

// Code is one QR code of a poster.
type Code struct {
	// Channel is "telegram", "whatsapp" or "web"; Label is what the poster prints above it.
	Channel, Label string
	// URL is what the code encodes; Short is printed below it for people who cannot scan.
	URL, Short string
	SVG        template.HTML
}

// Page is one language's poster.
type Page struct {
	Lang, Dir, Name                          string
	Title, Invite, Free, Hours, Scan, Footer string
	Codes                                    []Code
}

// Pages builds the posters, one per language.
func Pages(e *bot.Engine, o Options) ([]Page, error) {
	l := e.Language()
	langs := o.Langs
	if langs == nil {
		langs = l.Languages()
	}
	if o.Links.Telegram == "" && o.Links.WhatsApp == "" && o.Links.Web == "" {
		return nil, errors.New("poster: no Telegram bot, WhatsApp number or web chat address to point to")
	}
	var pages []Page
	for _, code := range langs {
		// Display isolates Latin names, numbers and times in right-to-left text, as in the chat.
		t := func(id string) string { return l.Display(code, l.Text(code, id, "")) }
		p := Page{
			Lang: code, Dir: dir(code), Name: t(bot.MsgLanguageSelf),
			Title: t(MsgTitle), Invite: t(MsgInvite), Free: t(MsgFree), Hours: t(MsgHours), Scan: t(MsgScan),
		}
		links, err := LinksFor(e, o, code)
		if err != nil {
			return nil, err
		}
		for _, c := range links {
			svg, err := QRSVG(c.URL)
			if err != nil {
				return nil, fmt.Errorf("poster %s: %s code: %w", code, c.Channel, err)
			}
			c.SVG = template.HTML(svg) // built from numbers only (QRSVG)
			p.Codes = append(p.Codes, c)
		}
		pages = append(pages, p)
	}
	return pages, nil
}

// LinksFor are the deep links a poster in lang carries, without their SVG.
func LinksFor(e *bot.Engine, o Options, lang string) ([]Code, error) {
	l := e.Language()
	param := bot.StartParam(lang, o.Topic, o.Source)
	var out []Code
	if u := strings.TrimPrefix(o.Links.Telegram, "@"); u != "" {
		out = append(out, Code{Channel: "telegram", Label: "Telegram", URL: "https://t.me/" + url.PathEscape(u) + "?start=" + param, Short: "t.me/" + u})
	}
	if n := digits(o.Links.WhatsApp); n != "" {
		text := l.Text(lang, bot.MsgPrefill, "") + " #" + param
		out = append(out, Code{Channel: "whatsapp", Label: "WhatsApp", URL: "https://wa.me/" + n + "?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20"), Short: "+" + n})
	}
	if o.Links.Web != "" {
		u, err := url.Parse(o.Links.Web)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("poster: web chat address %q is not an absolute URL", o.Links.Web)
		}
		q := u.Query()
		q.Set("lang", lang)
		if o.Topic != "" {
			q.Set("topic", o.Topic)
		}
		if o.Source != "" {
			q.Set("src", o.Source)
		}
		u.RawQuery = q.Encode()
		out = append(out, Code{Channel: "web", Label: l.Text(lang, MsgWeb, ""), URL: u.String(), Short: u.Host + strings.TrimSuffix(u.Path, "/")})
	}
	return out, nil
}

// Render writes a poster page as a standalone HTML document (no external files).
func Render(p Page) ([]byte, error) {
	var b bytes.Buffer
	err := pageTmpl.Execute(&b, p)
	return b.Bytes(), err
}

// Index writes the page that links every language's poster (poster-LANG.html).
func Index(pages []Page) ([]byte, error) {
	var b bytes.Buffer
	err := indexTmpl.Execute(&b, pages)
	return b.Bytes(), err
}

// FileName is the file a language's poster is written to.
func FileName(lang string) string { return "poster-" + lang + ".html" }

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dir is the writing direction of a language code.
func dir(code string) string {
	if lang.RightToLeft[code] {
		return "rtl"
	}
	return "ltr"
}
