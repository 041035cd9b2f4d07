package bot

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// SafetyFlow is the page for people in danger: emergency and help numbers and a counsellor,
// given before anything else (flows/safety.yaml).
const SafetyFlow = "safety"

// Confidence bands for what an Understander found (its scores are calibrated probabilities).
const (
	// SureIntent is the score from which the engine answers with the topic at once.
	SureIntent = 0.45
	// MaybeIntent is the score from which the two best topics are offered under "Did you mean".
	MaybeIntent = 0.2
)

// Built-in answers an intent may lead to instead of a page (see bot/understand).
const (
	answerGreeting = "@greeting"
	answerThanks   = "@thanks"
	answerWho      = "@who"
	answerBot      = "@bot"
	answerBye      = "@bye"
	answerNone     = "@none"
)

// Message IDs of the small-talk answers and of the language question.
const (
	MsgGreeting   = "smalltalk.greeting"
	MsgThanks     = "smalltalk.thanks"
	MsgWho        = "smalltalk.who"
	MsgBotOrHuman = "smalltalk.bot"
	MsgBye        = "smalltalk.bye"
	MsgWhichLang  = "language.which"
	MsgAskedAgain = "common.ask_again"
)

var smalltalk = map[string]string{
	answerGreeting: MsgGreeting, answerThanks: MsgThanks, answerWho: MsgWho, answerBot: MsgBotOrHuman, answerBye: MsgBye,
}

// NotUnderstoodObserver is told, anonymously, when a text was not understood: the language and
// the node the user was at, never the text. An Observer may implement it.
type NotUnderstoodObserver interface {
	NotUnderstood(lang, node string)
}

// SetUnderstander makes the engine read free text with u (trained examples) instead of the
// keyword lists alone; call before serving.
func (e *Engine) SetUnderstander(u Understander) {
	e.understand = u
	e.topicLabels = map[string]string{}
	// A topic offered under "Did you mean" is named like the button that leads to it.
	for _, f := range e.content.Flows {
		for _, n := range f.Nodes {
			for _, o := range n.Options {
				ref := e.content.Resolve(n.Flow, o.Goto)
				if target := e.content.Node(ref); target != nil {
					ref = target.Ref()
				}
				if old, ok := e.topicLabels[ref]; !ok || o.Label < old {
					e.topicLabels[ref] = o.Label
				}
			}
		}
	}
}

// understood handles a typed text with the Understander, in this order: a person in danger gets
// the safety page; a choice among the page's options is taken; small talk gets a short answer
// and the options again; a topic is answered, offered, or the text was not understood.
func (t *turn) understood(text string, u Understanding) {
	s := t.s
	if u.Crisis {
		// A short answer that is one of the page's options ("no i dont" at a question) is that
		// answer; anything else that reads as danger gets help first.
		if len(strings.Fields(text)) > 3 || !t.choosesOption(text) {
			t.enter(SafetyFlow)
			return
		}
	}
	first := s.Position() == "" && s.Pending == ""
	if first && s.Lang == "" {
		t.whichLanguage(u.Langs)
		return
	}
	if !first {
		if data, ok := t.pick(text); ok {
			t.choice(data)
			return
		}
		if data, ok := t.pickLoosely(text); ok {
			t.choice(data)
			return
		}
		if s.Pending != "" {
			s.Pending = "" // anything but an answer to the pending question drops it
		} else if n := t.current(); n != nil && n.Ask != "" {
			t.answer(n, text)
			return
		}
	}
	var best Guess
	if len(u.Intents) > 0 {
		best = u.Intents[0]
	}
	if id, ok := smalltalk[best.Target]; ok && best.Score >= SureIntent {
		if first {
			t.enter(MainFlow) // the menu greets
			return
		}
		t.say(id)
		t.showCurrent()
		return
	}
	if best.Score >= SureIntent && best.Target != answerNone && t.e.content.Node(best.Target) != nil {
		t.enter(best.Target)
		return
	}
	question := false
	if n := t.current(); n != nil && n.Save != "" && len(n.Options) > 0 {
		question = true
	}
	var guesses []Button
	if best.Target != answerNone || best.Score < SureIntent {
		for _, g := range u.Intents {
			if g.Score < MaybeIntent || len(guesses) == 2 {
				break
			}
			if n := t.e.content.Node(g.Target); n != nil && n.Flow != SafetyFlow {
				guesses = append(guesses, Button{Label: t.guessLabel(n), Data: dataGoto + n.Ref()})
			}
		}
	}
	if len(guesses) > 0 && !question {
		t.say(MsgDidYouMean)
		t.attach(append(guesses, t.menuButton()))
		return
	}
	t.notUnderstood()
	if question {
		// At a question the question comes again, so the check goes on.
		t.say(MsgAskedAgain)
		n := t.current()
		t.moveTo(n.Ref(), false)
		return
	}
	if first {
		t.enter(MainFlow)
		return
	}
	t.say(MsgNotUnderstood)
	t.attach(t.nodeButtons(t.e.content.Node(MainFlow)))
}

func (t *turn) choosesOption(text string) bool {
	if _, ok := t.pick(text); ok {
		return true
	}
	_, ok := t.pickLoosely(text)
	return ok
}

// notUnderstood counts a text that was not understood, by language and node, never the text.
func (t *turn) notUnderstood() {
	node := t.s.Position()
	if node == "" {
		node = "start"
	}
	t.res.notUnderstood = append(t.res.notUnderstood, node)
}

// whichLanguage asks a new user whose language is unclear to choose: the two likeliest first,
// asked in both, then the other languages.
func (t *turn) whichLanguage(langs []string) {
	if len(langs) == 0 {
		t.enter(t.e.picker.Ref())
		return
	}
	t.s.Lang = langs[0]
	var b []Button
	for _, code := range langs {
		b = append(b, Button{Label: t.e.lang.Text(code, MsgLanguageSelf, ""), Data: dataLang + code})
	}
	// Then every other language, so that a wrong pair costs no more than one tap either.
	for _, code := range t.e.lang.Languages() {
		if !slices.Contains(langs, code) {
			b = append(b, Button{Label: t.e.lang.Text(code, MsgLanguageSelf, ""), Data: dataLang + code})
		}
	}
	var text []string
	for _, code := range langs {
		text = append(text, t.e.lang.Text(code, MsgWhichLang, ""))
	}
	t.res.Replies = append(t.res.Replies, Reply{Lang: langs[0], Text: strings.Join(text, "\n"), Buttons: b})
	t.s.Lang = ""
}

// guessLabel names a suggested topic: the label of a button that leads to it, else its keywords.
func (t *turn) guessLabel(n *Node) string {
	if id, ok := t.e.topicLabels[n.Ref()]; ok && id != MsgMenu && id != MsgBack {
		return t.e.lang.Text(t.lang(), id, "")
	}
	return t.topicLabel(n)
}

// pickLoosely finds the option a typed text means when it is not the label exactly: the one
// option all of whose label words the text contains ("yes i have" for "Yes"), when only one fits.
func (t *turn) pickLoosely(text string) (string, bool) {
	buttons, labels := t.choices()
	if len(buttons) == 0 {
		return "", false
	}
	words := strings.Fields(t.e.lang.Normalize(text))
	if len(words) > 12 {
		return "", false // a long text is a question, not a choice
	}
	has := map[string]bool{}
	for _, w := range words {
		has[w] = true
	}
	found := -1
	for i, l := range labels {
		lw := strings.Fields(l)
		if len(lw) == 0 {
			continue
		}
		all := true
		for _, w := range lw {
			if !has[w] && !(utf8.RuneCountInString(w) >= 5 && containsPrefix(words, w)) {
				all = false
				break
			}
		}
		if all {
			if found >= 0 {
				return "", false // two options fit: not a choice
			}
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return buttons[found].Data, true
}

// containsPrefix reports whether one of words starts with the first four letters of w.
func containsPrefix(words []string, w string) bool {
	r := []rune(w)
	p := string(r[:4])
	for _, x := range words {
		if strings.HasPrefix(x, p) && utf8.RuneCountInString(x) >= len(r)-2 {
			return true
		}
	}
	return false
}
