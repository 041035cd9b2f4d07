package whatsapp

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot"
)

// DefaultTemplateLangs are the Meta template language codes tried, in order, for a message in
// each shipped language outside the 24-hour window (docs/whatsapp.md). Dari is prs_AF in Meta's
// list; Pashto, Sorani, Somali and Tigrinya are not in it, so they fall back to the language
// their readers most often also read, then English. The office submits the template in the
// languages it can (docs/whatsapp.md has the texts); a language it has not (yet) got approved
// is skipped at send time (Graph error 132001) and the next one is tried.
var DefaultTemplateLangs = map[string][]string{
	"en":  {"en"},
	"nb":  {"nb", "en"},
	"fa":  {"prs_AF", "fa", "en"},
	"ps":  {"prs_AF", "fa", "en"},
	"ar":  {"ar", "en"},
	"ckb": {"ar", "en"},
	"so":  {"en"},
	"ru":  {"ru", "en"},
	"fr":  {"fr", "en"},
	"ti":  {"en"},
}

// ErrCodeTemplateMissing is the Graph API's error code for a template that does not exist in
// the language asked for ("Template name does not exist in the translation").
const ErrCodeTemplateMissing = 132001

// MaxTemplateText bounds the message carried in the template's second variable: Meta allows
// 1024 characters in a template body, the fixed words and the office's name included.
const MaxTemplateText = 800

// templateChain is the list of template languages to try for a reply in lang: the configured
// or default chain, then TemplateLang (the office's catch-all), each once.
func (a *Adapter) templateChain(lang string) []string {
	langs := a.cfg.TemplateLangs
	if langs == nil {
		langs = DefaultTemplateLangs
	}
	var out []string
	add := func(c string) {
		for _, have := range out {
			if have == c {
				return
			}
		}
		if c != "" {
			out = append(out, c)
		}
	}
	// TemplateLang names the office's own variant of its language (en_GB for en): it stands in
	// for that language wherever the chain has it.
	last := a.cfg.TemplateLang
	if last == "" {
		last = "en"
	}
	base, _, _ := strings.Cut(last, "_")
	for _, c := range langs[lang] {
		if c == base {
			c = last
		}
		add(c)
	}
	add(last)
	return out
}

// TemplateMessage is a template message in the Cloud API's wire format: the template name, its
// language code, and the body's two variables, {{1}} the office's name and {{2}} the text.
func TemplateMessage(to, name, lang, office, text string) OutMessage {
	param := func(s string) map[string]any { return map[string]any{"type": "text", "text": s} }
	return OutMessage{"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
		"template": map[string]any{"name": name, "language": map[string]any{"code": lang},
			"components": []any{map[string]any{"type": "body", "parameters": []any{param(office), param(text)}}}}}
}

// templateText joins the replies' texts into one template variable. Meta refuses a variable
// with a line break, a tab or more than four spaces in a row, so lines are joined with " · ".
func templateText(replies []bot.Reply) string {
	var parts []string
	for _, r := range replies {
		for _, line := range strings.Split(r.Text, "\n") {
			if line = strings.Join(strings.Fields(line), " "); line != "" {
				parts = append(parts, line)
			}
		}
	}
	s := strings.Join(parts, " · ")
	if utf8.RuneCountInString(s) > MaxTemplateText {
		s = string([]rune(s)[:MaxTemplateText-1]) + "…"
	}
	return s
}

// sendTemplate sends replies outside the 24-hour window as the template, in the first language
// of the chain Meta has it in.
func (a *Adapter) sendTemplate(ctx context.Context, user, to string, replies []bot.Reply) error {
	lang := ""
	for _, r := range replies {
		if r.Lang != "" {
			lang = r.Lang
			break
		}
	}
	office := ""
	if c := a.cfg.Bot.Engine().Content(); c != nil && c.Offices[c.DefaultOffice] != nil {
		office = c.Offices[c.DefaultOffice].Name
	}
	text := templateText(replies)
	chain := a.templateChain(lang)
	for i, code := range chain {
		err := a.sendMessages(ctx, user, []OutMessage{TemplateMessage(to, a.cfg.TemplateName, code, office, text)})
		var se *SendError
		if errors.As(err, &se) && se.Code == ErrCodeTemplateMissing && i < len(chain)-1 {
			a.cfg.Log.Info("whatsapp: template not approved in this language; trying the next", "user", user, "template_lang", code)
			continue
		}
		if err != nil {
			return err
		}
		a.stats.templateSent.Add(1)
		return nil
	}
	return nil
}
