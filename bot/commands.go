package bot

import "strings"

// Pending questions the engine asks outside the flows.
const (
	pendingForget = "forget"
	pendingResume = "resume"
)

// Commands lists the global commands, available from anywhere.
var Commands = []string{"start", "menu", "back", "language", "counsellor", "forget"}

// parseCommand recognises "/name", "/name@botname" and "/name args".
func parseCommand(text string) (string, bool) {
	if len(text) < 2 || text[0] != '/' {
		return "", false
	}
	word := text[1:]
	if i := strings.IndexAny(word, " \t\n"); i >= 0 {
		word = word[:i]
	}
	if i := strings.IndexByte(word, '@'); i >= 0 {
		word = word[:i]
	}
	return strings.ToLower(word), true
}

// command runs a global command or a command button.
func (t *turn) command(name string) {
	s := t.s
	switch name {
	case "start", "start_over":
		// A fresh start forgets earlier answers and the trail too.
		*s = Session{Lang: s.Lang, Seen: s.Seen}
		t.home()
	case "menu", "help", "bot":
		s.Pending = ""
		t.home()
	case "continue":
		s.Pending = ""
		if s.Position() == "" {
			t.home()
			return
		}
		t.moveTo(s.Position(), false)
	case "back":
		t.back()
	case "language":
		t.enter(t.e.picker.Ref())
	case "counsellor":
		t.enter(HandoffFlow)
	case "noremind":
		// Cancels the visit reminder (the card's button, or typed): handoff.noremind says so.
		if t.e.content.Node(HandoffFlow+".noremind") != nil {
			t.enter(HandoffFlow + ".noremind")
			return
		}
		t.say(MsgNotUnderstood)
		t.showCurrent()
	case "forget":
		s.Pending = pendingForget
		t.say(MsgForgetConfirm)
		t.attach(t.pendingButtons())
	case "forget_yes":
		lang := t.lang()
		*s = Session{}
		t.res.Erase = true
		t.res.Replies = append(t.res.Replies, Reply{Lang: lang, Text: t.e.lang.Text(lang, MsgForgotten, "")})
	case "forget_no":
		s.Pending = ""
		t.say(MsgKept)
		t.showCurrent()
	default:
		if staffCommands[name] {
			t.say(MsgNotAllowed)
		} else {
			t.say(MsgNotUnderstood)
		}
		t.showCurrent()
	}
}

// home shows the main menu, or the language picker while the language is unknown.
func (t *turn) home() {
	if t.s.Lang == "" {
		t.enter(t.e.picker.Ref())
		return
	}
	t.enter(MainFlow)
}

// back returns to the previous page.
func (t *turn) back() {
	s := t.s
	s.Pending = ""
	if len(s.Trail) == 0 {
		t.home()
		return
	}
	prev := s.Trail[len(s.Trail)-1]
	s.Trail = s.Trail[:len(s.Trail)-1]
	if t.e.content.Node(prev) == nil {
		t.home()
		return
	}
	t.moveTo(prev, false)
}
