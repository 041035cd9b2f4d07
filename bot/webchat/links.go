package webchat

import (
	"regexp"
	"strings"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
)

// urlPattern finds http and https addresses in a text: up to a space, a bidi isolate (right-to-left
// texts isolate addresses, bot.Language.Display) or a quote mark.
var urlPattern = regexp.MustCompile(`https?://[^\s\x{2066}-\x{2069}<>"'«»“”]+`)

// findURLs returns the addresses in text, without the sentence's punctuation after them.
func findURLs(text string) []string {
	var out []string
	for _, u := range urlPattern.FindAllString(text, -1) {
		u = strings.TrimRight(u, ".,;:!?)]")
		if len(u) > len("https://") {
			out = append(out, u)
		}
	}
	return out
}

// contentURLs collects every address in the content's texts, in every language and for every
// office: only these become links on the page.
func contentURLs(b *bot.Bot) map[string]bool {
	set := map[string]bool{}
	if b == nil {
		return set
	}
	e := b.Engine()
	l, c := e.Language(), e.Content()
	offices := []string{""}
	for id := range c.Offices {
		offices = append(offices, id)
	}
	for _, code := range l.Languages() {
		for _, id := range flow.UsedMessages(c) {
			for _, o := range offices {
				for _, u := range findURLs(l.Text(code, id, o)) {
					set[u] = true
				}
			}
		}
	}
	return set
}

// convert is Convert with the links of each reply: the addresses in its text that come from the
// content.
func (h *Handler) convert(rs []bot.Reply) []Reply {
	out := Convert(rs)
	h.urlsOnce.Do(func() { h.urls = contentURLs(h.cfg.Bot) })
	for i := range out {
		if rs[i].Audio != "" {
			out[i].Audio = h.audioURL(rs[i].Lang, rs[i].Audio)
		}
		seen := map[string]bool{}
		for _, u := range findURLs(out[i].Text) {
			if h.urls[u] && !seen[u] {
				seen[u] = true
				out[i].Links = append(out[i].Links, u)
			}
		}
	}
	return out
}
