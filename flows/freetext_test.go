package flows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// TestFreeTextOrder walks the engine's order on the shipped content and model: a person in danger
// gets the safety page first, wherever they are; a typed choice is matched against the page's
// options; small talk gets a short answer and the options again; then topics, in three bands.
func TestFreeTextOrder(t *testing.T) {
	p := loadPack(t)
	cases := []struct {
		name, lang, at, text string
		wantAt, wantFirst    string // position after, message ID of the first reply ("" = any)
	}{
		{"crisis first, at a question", "en", "eligibility.start", "i want to kill myself", "safety.help", "safety.help"},
		{"crisis first, new user", "", "", "i dont want to live anymore", "safety.help", "safety.help"},
		{"look-alike is no crisis", "en", "main.menu", "my father died years ago", "", ""},
		{"crisis in Norwegian", "nb", "main.menu", "jeg orker ikke mer jeg vil dø", "safety.help", "safety.help"},
		{"option loosely, at a question", "en", "eligibility.othereu", "no i dont", "eligibility.before", ""},
		{"greeting mid-conversation", "en", "contact.phone", "hello", "contact.phone", "smalltalk.greeting"},
		{"thanks mid-conversation", "en", "contact.phone", "thanks a lot", "contact.phone", "smalltalk.thanks"},
		{"sure topic", "en", "main.menu", "who pays for the flight ticket", "return.travel", ""},
		{"question asked again", "en", "eligibility.start", "qwerty zxcv", "eligibility.start", "common.ask_again"},
		{"not understood gets the menu", "en", "contact.phone", "qwerty zxcv", "contact.phone", "common.not_understood"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &bot.Session{Lang: c.lang, Seen: 1}
			if c.at != "" {
				s.Flow, s.Node, _ = strings.Cut(c.at, ".")
			}
			res := p.Engine.Respond(s, bot.Event{Kind: bot.KindText, Text: c.text, Time: time.Unix(2, 0)})
			if c.wantAt != "" && s.Position() != c.wantAt {
				t.Errorf("at %s, want %s", s.Position(), c.wantAt)
			}
			if c.name == "look-alike is no crisis" && s.Position() == "safety.help" {
				t.Errorf("a harmless message got the safety page")
			}
			if c.wantFirst != "" {
				lang := s.Lang
				if lang == "" {
					lang = "en"
				}
				want := p.Catalog.Text(lang, c.wantFirst, "")
				if len(res.Replies) == 0 || res.Replies[0].Text != want {
					t.Errorf("first reply %+v, want %s", res.Replies, c.wantFirst)
				}
			}
			if s.Position() == "safety.help" {
				r := res.Replies[len(res.Replies)-1]
				if len(r.Buttons) < 2 {
					t.Errorf("the safety page must keep the conversation open: %+v", r.Buttons)
				}
			}
		})
	}
}

// TestCrisisAfterAWhile: a person in danger who comes back after a while gets the safety page,
// not "welcome back, continue or start over?".
func TestCrisisAfterAWhile(t *testing.T) {
	p := loadPack(t)
	s := &bot.Session{Lang: "en", Flow: "contact", Node: "phone", Seen: 1}
	later := time.Unix(1, 0).Add(bot.IdleAfter + time.Hour)
	res := p.Engine.Respond(s, bot.Event{Kind: bot.KindText, Text: "i want to kill myself", Time: later})
	if s.Position() != "safety.help" || len(res.Replies) == 0 || res.Replies[0].Text != p.Catalog.Text("en", "safety.help", "") {
		t.Errorf("at %s, replies %+v: want the safety page first", s.Position(), res.Replies)
	}
}

// TestTypedLanguageBeatsBrowserHint: a browser or platform language is only the first hint; an
// Arabic question from an English browser is answered in Arabic, as on every channel.
func TestTypedLanguageBeatsBrowserHint(t *testing.T) {
	p := loadPack(t)
	s := &bot.Session{}
	p.Engine.Respond(s, bot.Event{Kind: bot.KindText, Lang: "en-US", Text: "بدي احكي مع شخص مش مع بوت", Time: time.Unix(2, 0)})
	if s.Lang != "ar" {
		t.Errorf("language %q, want ar", s.Lang)
	}
}

// TestBadInputCostsNoMore: empty, emoji-only, invalid UTF-8, mixed scripts and the longest text
// never crash and get an answer.
func TestBadInputCostsNoMore(t *testing.T) {
	p := loadPack(t)
	for _, text := range []string{"", "😀😀😀", "\xff\xfe\xfd", "salam привет ሰላም hello", strings.Repeat("ab ", 1365), strings.Repeat("é", 4096)} {
		s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: 1}
		p.Engine.Respond(s, bot.Event{Kind: bot.KindText, Text: text, Time: time.Unix(2, 0)})
		p.Model.Understand("", text)
	}
}

// cautious is an understanding that says a text may be from a person in danger (the numbers
// band), with a sure topic besides.
type cautious struct{ lang string }

func (c cautious) Understand(string, string) bot.Understanding {
	return bot.Understanding{Lang: c.lang, Caution: true, Intents: []bot.Guess{{Target: "contact.office", Score: 0.9}}}
}

// TestNumbersBandOffersCounsellor: in every language, a text in the numbers band gets the help
// numbers first with one button to a counsellor in that language (issue 17: numbers and the
// offer of a counsellor), then its answer; the button leads to the counsellor page.
func TestNumbersBandOffersCounsellor(t *testing.T) {
	p := loadPack(t)
	for _, lang := range p.Catalog.Languages() {
		e := bot.NewEngine(p.Content, p.Catalog)
		e.SetUnderstander(cautious{lang})
		s := &bot.Session{Lang: lang, Flow: "main", Node: "menu", Seen: 1}
		res := e.Respond(s, bot.Event{Kind: bot.KindText, Text: "words", Time: time.Unix(2, 0)})
		if len(res.Replies) < 2 || res.Replies[0].Text != p.Catalog.Text(lang, bot.MsgSafetyBrief, "") {
			t.Fatalf("%s: replies %+v, want the help numbers first", lang, res.Replies)
		}
		b := res.Replies[0].Buttons
		if len(b) != 1 || b[0].Label != p.Catalog.Text(lang, "safety.opt_talk", "") {
			t.Fatalf("%s: buttons of the numbers %+v, want one to a counsellor", lang, b)
		}
		if s.Position() != "contact.office" {
			t.Errorf("%s: at %s, want the answer after the numbers", lang, s.Position())
		}
		e.Respond(s, bot.Event{Kind: bot.KindChoice, Data: b[0].Data, Time: time.Unix(3, 0)})
		if s.Position() != "handoff.start" {
			t.Errorf("%s: the counsellor button led to %s", lang, s.Position())
		}
	}
}
