package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
)

func last(res bot.Result) bot.Reply {
	if len(res.Replies) == 0 {
		return bot.Reply{}
	}
	return res.Replies[len(res.Replies)-1]
}

func labels(r bot.Reply) []string {
	var out []string
	for _, b := range r.Buttons {
		out = append(out, b.Label)
	}
	return out
}

func TestOptionChoice(t *testing.T) {
	e := testPack(t).Engine
	for _, c := range []struct {
		name, lang, input, wantFlow, wantNode string
	}{
		{"ascii digit", "en", "2", "quiz", "q1"},
		{"arabic-indic digit", "en", "٢", "quiz", "q1"},
		{"persian digit", "en", "۲", "quiz", "q1"},
		{"fullwidth digit", "en", "２", "quiz", "q1"},
		{"digit with dot", "en", "3.", "info", "office"},
		{"label exact", "en", "Information", "info", "start"},
		{"label case and space", "en", "  can I   APPLY?? ", "quiz", "q1"},
		{"label in norwegian", "nb", "kontoradresse", "info", "office"},
		{"number out of range", "en", "9", "main", "menu"},
		{"zero", "en", "0", "main", "menu"},
		{"label of another language", "nb", "Information", "main", "menu"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &bot.Session{Lang: c.lang, Flow: "main", Node: "menu", Seen: at.Unix()}
			e.Respond(s, text(c.input))
			if s.Flow != c.wantFlow || s.Node != c.wantNode {
				t.Fatalf("%q took the user to %s.%s, want %s.%s", c.input, s.Flow, s.Node, c.wantFlow, c.wantNode)
			}
		})
	}
}

func TestNotUnderstoodRepeatsOptions(t *testing.T) {
	e := testPack(t).Engine
	s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix()}
	res := e.Respond(s, text("qwerty zxcv"))
	r := last(res)
	if r.Text != "en:common.not_understood" {
		t.Fatalf("reply = %q, want the not-understood message", r.Text)
	}
	if got := strings.Join(labels(r), "|"); got != "Information|Can I apply?|Office address|Tell us your country" {
		t.Fatalf("buttons = %s, want the menu again", got)
	}
	if s.Position() != "main.menu" {
		t.Fatalf("position moved to %s", s.Position())
	}
}

func TestStaleButtonsStillWork(t *testing.T) {
	e := testPack(t).Engine
	// The user is deep in the quiz and presses the "Office address" button of an old menu message.
	s := &bot.Session{Lang: "en", Flow: "quiz", Node: "q1", Seen: at.Unix()}
	e.Respond(s, press(bot.OptionData("main.menu", "office")))
	if s.Position() != "info.office" {
		t.Fatalf("old menu button led to %s, want info.office", s.Position())
	}
	// A button whose node no longer exists says so and shows where the user is.
	res := e.Respond(s, press(bot.OptionData("gone.node", "x")))
	if r := res.Replies[0]; r.Text != "en:common.old_button" || len(last(res).Buttons) == 0 {
		t.Fatalf("unknown button: replies %+v", res.Replies)
	}
	if s.Position() != "info.office" {
		t.Fatalf("unknown button moved the user to %s", s.Position())
	}
	// Garbage data too.
	res = e.Respond(s, press("\x00garbage"))
	if res.Replies[0].Text != "en:common.old_button" {
		t.Fatalf("garbage data: %+v", res.Replies)
	}
}

func TestTemplatesAndVenue(t *testing.T) {
	e := testPack(t).Engine
	s := &bot.Session{Lang: "nb", Flow: "main", Node: "menu", Seen: at.Unix()}
	res := e.Respond(s, text("3"))
	if len(res.Replies) != 2 || res.Replies[0].Venue == nil {
		t.Fatalf("want a venue then a text, got %+v", res.Replies)
	}
	v := res.Replies[0].Venue
	if v.Name != "Test Office" || v.Address != "Main Street 1, 0001 Town" || v.Lat != 59.9 {
		t.Fatalf("venue = %+v", v)
	}
	if got := res.Replies[1].Text; got != "Vi er i Main Street 1, telefon +47 11 22 33 44" {
		t.Fatalf("text = %q", got)
	}
}

func TestBranchSaveAndHandoff(t *testing.T) {
	e := testPack(t).Engine
	for _, c := range []struct {
		answer, wantNode string
	}{{"1", "cannot"}, {"2", "may"}} {
		s := &bot.Session{Lang: "en", Flow: "quiz", Node: "q1", Seen: at.Unix()}
		res := e.Respond(s, text(c.answer))
		if s.Node != c.wantNode {
			t.Fatalf("answer %s went to %s, want %s", c.answer, s.Node, c.wantNode)
		}
		if s.Answers["legal"] == "" {
			t.Fatal("answer not saved under the node's save key")
		}
		if (c.wantNode == "may") != (res.Replies[0].Handoff == "counsellor") {
			t.Fatalf("handoff marker = %q at %s", res.Replies[0].Handoff, c.wantNode)
		}
		// A page without options gets Back and Main menu.
		if got := strings.Join(labels(last(res)), "|"); got != "Back|Main menu" {
			t.Fatalf("buttons on a page without options = %s", got)
		}
	}
}

func TestAskSavesAnswerAndMovesOn(t *testing.T) {
	e := testPack(t).Engine
	s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix()}
	e.Respond(s, text("4"))
	if s.Position() != "info.country" {
		t.Fatalf("at %s", s.Position())
	}
	res := e.Respond(s, text("  Afghanistan "))
	if s.Answers["country"] != "Afghanistan" {
		t.Fatalf("saved answer = %q", s.Answers["country"])
	}
	if res.Replies[0].Text != "Thank you" || s.Position() != "main.menu" {
		t.Fatalf("after the answer: %+v at %s", res.Replies, s.Position())
	}
	// A long answer is cut so the session stays small.
	e.Respond(s, text("4"))
	e.Respond(s, text(strings.Repeat("ا", 1000)))
	if n := len([]rune(s.Answers["country"])); n != bot.MaxAnswerRunes {
		t.Fatalf("saved %d runes, want %d", n, bot.MaxAnswerRunes)
	}
}

func TestKeywordsJumpFromAnywhere(t *testing.T) {
	e := testPack(t).Engine
	for _, c := range []struct{ lang, input, want string }{
		{"en", "where is the office?", "info.office"},
		{"en", "Adress please", "info.office"},     // one typo
		{"nb", "Hvor er kontoret?", "info.office"}, // phrase
		{"nb", "apningstider", "info.office"},      // accent folded
		{"en", "who can apply", "quiz.q1"},
	} {
		s := &bot.Session{Lang: c.lang, Flow: "info", Node: "start", Seen: at.Unix()}
		e.Respond(s, text(c.input))
		if s.Position() != c.want {
			t.Errorf("%s %q went to %s, want %s", c.lang, c.input, s.Position(), c.want)
		}
	}
}

func TestGlobalCommands(t *testing.T) {
	e := testPack(t).Engine
	s := &bot.Session{Lang: "en", Flow: "quiz", Node: "q1", Trail: []string{"main.menu"}, Seen: at.Unix()}
	e.Respond(s, text("/menu@returnbot_bot"))
	if s.Position() != "main.menu" {
		t.Fatalf("/menu@bot went to %s", s.Position())
	}
	e.Respond(s, text("1"))
	e.Respond(s, text("/back"))
	if s.Position() != "main.menu" {
		t.Fatalf("/back went to %s, want main.menu", s.Position())
	}
	e.Respond(s, text("/counsellor"))
	if s.Position() != "handoff.start" {
		t.Fatalf("/counsellor went to %s", s.Position())
	}
	res := e.Respond(s, text("/language"))
	if got := strings.Join(labels(last(res)), "|"); got != "English|Norsk" {
		t.Fatalf("picker buttons = %s", got)
	}
	e.Respond(s, text("2"))
	if s.Lang != "nb" || s.Position() != "main.menu" {
		t.Fatalf("after picking Norsk: lang %s at %s", s.Lang, s.Position())
	}
	s.Answers = map[string]string{"legal": "no"}
	e.Respond(s, text("/start"))
	if s.Lang != "nb" || s.Answers != nil || s.Position() != "main.menu" {
		t.Fatalf("/start should keep the language and forget the rest: %+v", s)
	}
}

func TestForgetAsksFirst(t *testing.T) {
	e := testPack(t).Engine
	s := &bot.Session{Lang: "en", Flow: "info", Node: "office", Answers: map[string]string{"k": "v"}, Seen: at.Unix()}
	res := e.Respond(s, text("/forget"))
	if res.Erase || last(res).Text != "en:common.forget_confirm" || len(last(res).Buttons) != 2 {
		t.Fatalf("/forget must ask first: %+v", res)
	}
	res = e.Respond(s, text("2")) // No
	if res.Erase || s.Answers["k"] != "v" || res.Replies[0].Text != "en:common.kept" {
		t.Fatalf("answering no erased or lost data: %+v %+v", res, s)
	}
	e.Respond(s, text("/forget"))
	res = e.Respond(s, text("1")) // Yes
	if !res.Erase || res.Replies[0].Text != "en:common.forgotten" || res.Replies[0].Lang != "en" {
		t.Fatalf("answering yes: %+v", res)
	}
	if s.Answers != nil || s.Lang != "" || s.Position() != "" {
		t.Fatalf("session not cleared: %+v", s)
	}
}

func TestIdleUserIsGreetedBack(t *testing.T) {
	e := testPack(t).Engine
	s := &bot.Session{Lang: "en", Flow: "quiz", Node: "q1", Seen: at.Add(-25 * time.Hour).Unix()}
	res := e.Respond(s, text("hello again"))
	if last(res).Text != "en:common.welcome_back" || len(last(res).Buttons) != 2 {
		t.Fatalf("idle user: %+v", res.Replies)
	}
	res = e.Respond(s, text("1")) // continue
	if s.Position() != "quiz.q1" || res.Replies[0].Text != "Do you have legal residence?" {
		t.Fatalf("continue: at %s, %+v", s.Position(), res.Replies)
	}
	s.Seen = at.Add(-48 * time.Hour).Unix()
	e.Respond(s, press("o|quiz.q1|yes"))
	e.Respond(s, press("c|start"))
	if s.Position() != "main.menu" {
		t.Fatalf("start over went to %s", s.Position())
	}
	// Away for less than a day: no greeting.
	s.Seen = at.Add(-23 * time.Hour).Unix()
	if res := e.Respond(s, text("1")); res.Replies[0].Text == "en:common.welcome_back" {
		t.Fatal("greeted a user who was away less than a day")
	}
}

func TestNewUser(t *testing.T) {
	e := testPack(t).Engine
	// No language hint, nothing recognisable: the picker.
	s := &bot.Session{}
	res := e.Respond(s, text("ዝርዝር"))
	if s.Position() != "language.pick" || strings.Join(labels(last(res)), "|") != "English|Norsk" {
		t.Fatalf("new user without language: at %s %+v", s.Position(), res.Replies)
	}
	// A platform hint picks the language; a question goes straight to its topic.
	s = &bot.Session{}
	ev := text("hvor er kontoret")
	ev.Lang = "nb-NO"
	e.Respond(s, ev)
	if s.Lang != "nb" || s.Position() != "info.office" {
		t.Fatalf("nb-NO user asking for the office: lang %s at %s", s.Lang, s.Position())
	}
	// A greeting goes to the menu.
	s = &bot.Session{}
	ev = text("hi")
	ev.Lang = "en-GB"
	res = e.Respond(s, ev)
	if s.Position() != "main.menu" || res.Replies[0].Text != "Hello" {
		t.Fatalf("greeting: at %s %+v", s.Position(), res.Replies)
	}
}

func TestBadInputGetsPoliteReply(t *testing.T) {
	e := testPack(t).Engine
	for _, c := range []struct{ name, input, want string }{
		{"too long", strings.Repeat("a", bot.MaxTextRunes+1), "en:common.too_long"},
		{"invalid utf-8", "abc\xff\xfe", "en:common.unreadable"},
	} {
		s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix()}
		res := e.Respond(s, text(c.input))
		if res.Replies[0].Text != c.want || len(last(res).Buttons) == 0 {
			t.Errorf("%s: %+v", c.name, res.Replies)
		}
	}
	s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix()}
	if res := e.Respond(s, text("   \n ")); len(res.Replies) != 0 {
		t.Errorf("empty line got replies: %+v", res.Replies)
	}
	res := e.Respond(s, bot.Event{Kind: bot.KindMedia, Media: "voice", Time: at})
	if res.Replies[0].Text != "en:common.media_voice" || len(last(res).Buttons) == 0 {
		t.Errorf("voice: %+v", res.Replies)
	}
}

func TestTrailIsBounded(t *testing.T) {
	e := testPack(t).Engine
	s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix()}
	for i := 0; i < 50; i++ {
		e.Respond(s, text("3"))
		e.Respond(s, text("1"))
	}
	if len(s.Trail) > bot.MaxTrail {
		t.Fatalf("trail grew to %d", len(s.Trail))
	}
}

func TestDetectedLanguageOffersOneTapChange(t *testing.T) {
	e := testPack(t).Engine
	s := &bot.Session{}
	res := e.Respond(s, text("hvor er kontoret"))
	if s.Lang != "nb" || s.Position() != "info.office" {
		t.Fatalf("detected %q at %s", s.Lang, s.Position())
	}
	b := last(res).Buttons
	if len(b) == 0 || b[len(b)-1].Label != "nb:language.change" {
		t.Fatalf("no change-language button after a guessed language: %+v", b)
	}
	e.Respond(s, press(b[len(b)-1].Data))
	if s.Position() != "language.pick" {
		t.Fatalf("the change button led to %s", s.Position())
	}
	// A language from the platform hint is not second-guessed.
	s = &bot.Session{}
	ev := text("hvor er kontoret")
	ev.Lang = "nb"
	res = e.Respond(s, ev)
	for _, b := range last(res).Buttons {
		if b.Label == "nb:language.change" {
			t.Fatal("offered a language change although the platform named the language")
		}
	}
}
