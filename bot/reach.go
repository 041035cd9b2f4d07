package bot

import (
	"net/url"
	"strings"
)

// Reach is what deep links may name (flows/reach.yaml): topics by a short name, and the
// sources (posters, partners) an office counts. Everything else in a link is ignored.
type Reach struct {
	// Topics maps a link's topic name to the node it opens ("flow.node").
	Topics map[string]string
	// Sources are the source names counted by name; any other source counts as SourceOther.
	Sources []string
	// Helpful makes topic pages end with "Was this helpful?" and two one-tap answers (helpful.go).
	Helpful bool
	// File and Line say where the names were read, for validation messages.
	File string
	Line int
}

// Counted source labels besides the listed ones: a source outside the list, and a link without one.
const (
	SourceOther = "other"
	SourceNone  = "none"
)

// MaxStartParam is the longest start parameter read: Telegram's limit for /start payloads.
const MaxStartParam = 64

// MsgPrefill is the text a wa.me link fills in per language; the bot recognises it (with or
// without the link's "#LANG-TOPIC-SOURCE" tag) as a start in that language.
const MsgPrefill = "reach.wa_prefill"

// Start is a parsed deep link: each part is "" when the link did not name a known one.
type Start struct {
	Lang string
	// Topic is the topic name from reach.yaml; Node is where it leads.
	Topic, Node string
	// Source is a listed source, SourceOther for an unlisted one, SourceNone when absent.
	Source string
}

// ParseStart reads a start parameter "LANG[-TOPIC][-SOURCE]" (Telegram allows A-Za-z0-9_-, at
// most 64 characters). The parts are recognised by what they name, so "fa-poster1" and
// "return" work too; unknown parts are ignored and nothing is ever an error. A part that is
// neither a language nor a topic is taken as the source (the last such part wins).
func (e *Engine) ParseStart(param string) Start {
	st := Start{Source: SourceNone}
	if len(param) > MaxStartParam {
		param = param[:MaxStartParam]
	}
	r := e.content.Reach
	for _, part := range strings.Split(param, "-") {
		if part == "" || !startChars(part) {
			continue
		}
		low := strings.ToLower(part)
		switch {
		case st.Lang == "" && e.shipped(low):
			st.Lang = low
		case st.Topic == "" && r != nil && r.Topics[low] != "":
			st.Topic, st.Node = low, r.Topics[low]
		default:
			st.Source = SourceOther
			if r != nil {
				for _, s := range r.Sources {
					if s == low {
						st.Source = s
					}
				}
			}
		}
	}
	return st
}

// StartFromQuery turns a web chat address's query ("?lang=fa&topic=return&src=poster") into
// the start parameter ParseStart reads, keeping only characters a parameter may hold.
func StartFromQuery(query string) string {
	q, _ := url.ParseQuery(strings.TrimPrefix(query, "?"))
	var parts []string
	for _, k := range []string{"lang", "topic", "src"} {
		if v := q.Get(k); v != "" && startChars(v) && !strings.Contains(v, "-") {
			parts = append(parts, v)
		}
	}
	p := strings.Join(parts, "-")
	if len(p) > MaxStartParam {
		p = p[:MaxStartParam]
	}
	return p
}

// StartParam builds the parameter of a deep link (the inverse of ParseStart), for posters.
func StartParam(lang, topic, source string) string {
	var parts []string
	for _, p := range []string{lang, topic, source} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "-")
}

// startChars reports whether s holds only the characters Telegram allows in a start parameter.
func startChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (e *Engine) shipped(code string) bool {
	for _, c := range e.lang.Languages() {
		if c == code {
			return true
		}
	}
	return false
}

// ReachObserver is told, anonymously, of every conversation started by a deep link: the source
// (a listed name, SourceOther or SourceNone), the topic name ("" for none) and the language.
// Nothing about the user is passed or kept. An Observer may implement it.
type ReachObserver interface {
	Reached(source, topic, lang string)
}

// startLink runs "/start PARAM": a fresh start in the link's language at the link's topic.
func (t *turn) startLink(param string) {
	st := t.e.ParseStart(param)
	s := t.s
	*s = Session{Lang: s.Lang, Seen: s.Seen}
	if st.Lang != "" {
		s.Lang = st.Lang
	}
	t.res.reach = &st
	if st.Node != "" && s.Lang != "" && t.e.content.Node(st.Node) != nil {
		t.enter(st.Node)
		return
	}
	t.home()
}

// prefilled recognises the text of a wa.me link: "PREFILL #LANG-TOPIC-SOURCE", or a language's
// prefill text alone from a user without a conversation. It returns the start parameter.
func (t *turn) prefilled(text string) (string, bool) {
	body, tag := text, ""
	if i := strings.LastIndex(text, "#"); i >= 0 && startChars(text[i+1:]) && text[i+1:] != "" {
		body, tag = strings.TrimSpace(text[:i]), text[i+1:]
	}
	code, known := t.e.prefills[t.e.lang.Normalize(body)]
	switch {
	case known && tag != "":
		return tag, true
	case known && t.s.Position() == "" && t.s.Pending == "":
		return code, true
	}
	return "", false
}

// indexPrefills maps each language's normalised prefill text to the language.
func (e *Engine) indexPrefills() {
	e.prefills = map[string]string{}
	for _, code := range e.lang.Languages() {
		txt := e.lang.Text(code, MsgPrefill, "")
		if txt == MsgPrefill || txt == "" {
			continue
		}
		if _, dup := e.prefills[e.lang.Normalize(txt)]; !dup {
			e.prefills[e.lang.Normalize(txt)] = code
		}
	}
}

// ReachMessages are the texts deep links, posters and the platforms' profiles use; every locale
// needs them when the content has a reach.yaml.
var ReachMessages = []string{
	MsgPrefill,
	// posters (bot/poster)
	"poster.title", "poster.invite", "poster.free", "poster.hours", "poster.scan", "poster.web",
	// the Telegram profile (bot/telegram Profiles)
	"telegram.description", "telegram.short_description",
	// "Was this helpful?" under topic pages (helpful.go)
	MsgHelpfulAsk, MsgHelpfulThanks,
}
