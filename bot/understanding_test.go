package bot_test

import (
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// fixed answers every text with the same understanding, so the engine's bands are tested apart
// from any model.
type fixed bot.Understanding

func (f fixed) Understand(string, string) bot.Understanding { return bot.Understanding(f) }

// TestConfidenceBands: a sure topic is answered, a middling one offered with the runner-up under
// "Did you mean", a weak one gets "I did not understand" and the menu.
func TestConfidenceBands(t *testing.T) {
	p := testPack(t)
	for _, c := range []struct {
		name    string
		guesses []bot.Guess
		wantAt  string
		wantMsg string
	}{
		{"sure", []bot.Guess{{Target: "info.office", Score: 0.8}}, "info.office", ""},
		{"maybe", []bot.Guess{{Target: "info.office", Score: 0.35}, {Target: "info.start", Score: 0.3}}, "main.menu", bot.MsgDidYouMean},
		{"weak", []bot.Guess{{Target: "info.office", Score: 0.1}}, "main.menu", bot.MsgNotUnderstood},
	} {
		e := bot.NewEngine(p.Content, p.Catalog)
		e.SetUnderstander(fixed{Lang: "en", Intents: c.guesses})
		s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: 1}
		res := e.Respond(s, bot.Event{Kind: bot.KindText, Text: "some words", Time: time.Unix(2, 0)})
		if s.Position() != c.wantAt {
			t.Errorf("%s: at %s, want %s", c.name, s.Position(), c.wantAt)
		}
		if c.wantMsg != "" && res.Replies[0].Text != p.Catalog.Text("en", c.wantMsg, "") {
			t.Errorf("%s: first reply %q", c.name, res.Replies[0].Text)
		}
		if c.name == "maybe" {
			if b := res.Replies[len(res.Replies)-1].Buttons; len(b) != 3 || b[0].Data != "g|info.office" || b[1].Data != "g|info.start" {
				t.Errorf("maybe: buttons %+v, want the two topics and the menu", b)
			}
		}
	}
}

// TestCautionGivesNumbersFirst: a text that may be from a person in danger, though not surely,
// gets the help numbers first and then its answer as usual (the conversation is not taken over);
// a short answer that picks one of the page's options is that answer alone.
func TestCautionGivesNumbersFirst(t *testing.T) {
	p := testPack(t)
	brief := p.Catalog.Text("en", bot.MsgSafetyBrief, "")
	e := bot.NewEngine(p.Content, p.Catalog)
	e.SetUnderstander(fixed{Lang: "en", Caution: true, Intents: []bot.Guess{{Target: "info.office", Score: 0.8}}})
	s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: 1}
	res := e.Respond(s, bot.Event{Kind: bot.KindText, Text: "this waiting is killing me where is the office", Time: time.Unix(2, 0)})
	if len(res.Replies) < 2 || res.Replies[0].Text != brief {
		t.Fatalf("replies %+v, want the help numbers first", res.Replies)
	}
	if s.Position() != "info.office" {
		t.Errorf("at %s, want the answer info.office after the numbers", s.Position())
	}
	if res.Replies[1].Text == brief {
		t.Errorf("the numbers were given twice")
	}

	s = &bot.Session{Lang: "en", Flow: "quiz", Node: "q1", Seen: 1}
	res = e.Respond(s, bot.Event{Kind: bot.KindText, Text: "yes", Time: time.Unix(2, 0)})
	for _, r := range res.Replies {
		if r.Text == brief {
			t.Errorf("an option picked by a short answer got the numbers: %+v", res.Replies)
		}
	}

}
