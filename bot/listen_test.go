package bot_test

import (
	"testing"

	"github.com/returnbot/returnbot/bot"
)

// recorded is a fake set of recordings, by language and message id.
type recorded map[string]bool

func (r recorded) Has(lang, id string) bool { return r[lang+"/"+id] }

func listenButton(bs []bot.Button) (bot.Button, int) {
	for i, b := range bs {
		if len(b.Data) > 2 && b.Data[:2] == "a|" {
			return b, i
		}
	}
	return bot.Button{}, -1
}

// TestListenOffered: a page with a recorded text in the user's language offers Listen as its
// last button; a page without one, or the same page in a language without a recording, does not.
func TestListenOffered(t *testing.T) {
	pack := testPack(t)
	pack.Engine.SetRecordings(recorded{"en/info.office": true, "en/main.hello": true})
	s := &bot.Session{Lang: "en"}
	res := pack.Engine.Respond(s, press(bot.OptionData("main.menu", "office")))
	last := res.Replies[len(res.Replies)-1]
	b, i := listenButton(last.Buttons)
	if i != len(last.Buttons)-1 || b.Label != "en:common.listen" || b.Data != "a|info.office" {
		t.Fatalf("office page buttons %+v", last.Buttons)
	}
	// Typed "1" is still the page's first option, not Listen.
	res = pack.Engine.Respond(s, text("1"))
	if res.Replies[0].Node != "menu" {
		t.Errorf("typed 1 led to %s.%s", res.Replies[0].Flow, res.Replies[0].Node)
	}
	if _, i := listenButton(res.Replies[len(res.Replies)-1].Buttons); i < 0 {
		t.Error("the menu's recorded greeting offers no Listen")
	}
	// Norwegian: nothing recorded.
	nb := &bot.Session{Lang: "nb"}
	res = pack.Engine.Respond(nb, press(bot.OptionData("main.menu", "office")))
	if _, i := listenButton(res.Replies[len(res.Replies)-1].Buttons); i >= 0 {
		t.Errorf("Listen offered in nb: %+v", res.Replies)
	}
	// Without recordings at all, no page offers it.
	pack.Engine.SetRecordings(nil)
	res = pack.Engine.Respond(&bot.Session{Lang: "en"}, press(bot.OptionData("main.menu", "office")))
	if _, i := listenButton(res.Replies[len(res.Replies)-1].Buttons); i >= 0 {
		t.Error("Listen offered without recordings")
	}
}

// TestListenSends: pressing Listen answers with the page's recordings as audio replies in the
// user's language, and the user stays on the page; Listen for a page with nothing recorded (in
// the language now chosen) is an old button.
func TestListenSends(t *testing.T) {
	pack := testPack(t)
	pack.Engine.SetRecordings(recorded{"en/info.office": true})
	s := &bot.Session{Lang: "en"}
	pack.Engine.Respond(s, press(bot.OptionData("main.menu", "office")))
	res := pack.Engine.Respond(s, press("a|info.office"))
	if len(res.Replies) != 1 {
		t.Fatalf("replies %+v", res.Replies)
	}
	r := res.Replies[0]
	if r.Audio != "info.office" || r.Lang != "en" || r.Text != "" || r.Flow != "info" || r.Node != "office" {
		t.Errorf("audio reply %+v", r)
	}
	if s.Position() != "info.office" {
		t.Errorf("moved to %s", s.Position())
	}
	s.Lang = "nb"
	res = pack.Engine.Respond(s, press("a|info.office"))
	if len(res.Replies) == 0 || res.Replies[0].Audio != "" || res.Replies[0].Text != "nb:"+bot.MsgOldButton {
		t.Errorf("listen without a recording: %+v", res.Replies)
	}
	res = pack.Engine.Respond(s, press("a|no.such"))
	if len(res.Replies) == 0 || res.Replies[0].Text != "nb:"+bot.MsgOldButton {
		t.Errorf("listen to an unknown page: %+v", res.Replies)
	}
}
