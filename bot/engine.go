package bot

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Limits the engine enforces on what users send.
const (
	// MaxTextRunes is the longest message the engine reads; longer ones get a polite reply.
	MaxTextRunes = 4096
	// MaxAnswerRunes bounds a saved free answer so a session stays small.
	MaxAnswerRunes = 200
	// IdleAfter is how long a user may be away before the bot greets them back.
	IdleAfter = 24 * time.Hour
	// maxHops bounds automatic moves (next, branch) so a content loop cannot hang the engine.
	maxHops = 32
)

// Thresholds for free-text topic matching.
const (
	// ConfidentMatch is the score from which the engine jumps straight to a topic.
	ConfidentMatch = 0.6
	// WeakMatch is the score from which a topic is offered under "Did you mean".
	WeakMatch = 0.25
)

// Engine runs conversations. It does no I/O: Handle takes a session and an event and changes the
// session and returns replies, so it is safe for concurrent use on different sessions.
type Engine struct {
	content *Content
	lang    Language
	// labels holds the normalised option labels per language and node, for typed choices.
	labels map[string][]string
	picker *Node
	// cal is the office calendar for the handoff pages (calendar.go); nil without one.
	cal Calendar
	// staffAvail says whether anyone can answer a chat (SetStaffAvailable); nil: staff are there.
	staffAvail func() bool
	// understand reads free text when set (understanding.go); topicLabels names suggested topics.
	understand  Understander
	topicLabels map[string]string
	// prefills maps the normalised wa.me prefill text of each language to it (reach.go).
	prefills map[string]string
	// rec says which texts are recorded (listen.go); nil: none.
	rec Recordings
}

// Result is what one event produced.
type Result struct {
	// Replies to send, in order.
	Replies []Reply
	// Erase asks the caller to delete everything stored about the user (after /forget).
	Erase bool
	// Relay is what the user wrote while staff hold the chat (Session.Mode): the handoff service
	// passes it to staff; the bot itself says nothing.
	Relay string
	// RelayMedium is the medium the user sent while staff hold the chat (Event.Medium), for the
	// handoff service to pass to staff with Relay as its description; nil when there is none.
	RelayMedium *Medium

	// medium is what became of a medium the user sent this turn, for the metric ("" for none).
	medium string

	newTopics []string
	// notUnderstood lists the nodes at which a text was not understood (for the metric).
	notUnderstood []string
	// reach is the deep link that started the conversation in this turn, if any (reach.go).
	reach *Start
	// helpful is an answer to "Was this helpful?" given in this turn (helpful.go).
	helpful *helpfulVote
}

// NewEngine prepares an engine for validated content.
func NewEngine(c *Content, l Language) *Engine {
	e := &Engine{content: c, lang: l, labels: map[string][]string{}}
	if f := c.Flows[LanguageFlow]; f != nil {
		e.picker = f.Nodes[f.Start]
	}
	for _, code := range l.Languages() {
		for _, f := range c.Flows {
			for _, n := range f.Nodes {
				if len(n.Options) == 0 {
					continue
				}
				ls := make([]string, len(n.Options))
				for i, o := range n.Options {
					ls[i] = l.Normalize(l.Text(code, o.Label, ""))
				}
				e.labels[code+"\x00"+n.Ref()] = ls
			}
		}
	}
	e.indexPrefills()
	return e
}

// Content returns the content the engine runs.
func (e *Engine) Content() *Content { return e.content }

// Language returns the locale catalogue the engine speaks through.
func (e *Engine) Language() Language { return e.lang }

// Respond is the engine's one entry: it moves the session s by the event ev and returns the
// replies (Result). It does no I/O: no store, no platform. ("Handle" is
// Bot.Handle's, which dedupes, loads and saves the session around Respond; "Update" is the
// platform's delivery, in the channel packages.)
func (e *Engine) Respond(s *Session, ev Event) Result {
	t := turn{e: e, s: s, ev: ev}
	if !t.held() {
		t.respond()
		t.markRelease()
	}
	if t.detected {
		t.offerLanguageChange()
	}
	if !t.res.Erase {
		s.Seen = ev.Time.Unix()
	}
	return t.res
}

// turn is the work of one Handle call.
type turn struct {
	e   *Engine
	s   *Session
	ev  Event
	res Result
	// detected is set when the language was guessed from the text: the reply offers a change.
	detected bool
	// released is set when the user took the bot back from staff (handoffpages.go).
	released bool
}

// respond works out the turn: the reply to a command, a button or typed text.
func (t *turn) respond() {
	s, ev := t.s, t.ev
	if s.Lang == "" && ev.Lang != "" {
		s.Lang = t.e.lang.Negotiate(ev.Lang)
	}
	switch ev.Kind {
	case KindMedia:
		t.mediaAnswer()
	case KindChoice:
		if t.greetIfIdle() {
			return
		}
		t.choice(ev.Data)
	default:
		t.text(ev.Text)
	}
}

func (t *turn) text(raw string) {
	if !utf8.ValidString(raw) {
		t.say(MsgUnreadable)
		t.showCurrent()
		return
	}
	text := strings.TrimSpace(raw)
	if text == "" {
		return
	}
	if utf8.RuneCountInString(text) > MaxTextRunes {
		t.say(MsgTooLong)
		t.showCurrent()
		return
	}
	if cmd, ok := parseCommand(text); ok {
		if _, param, _ := strings.Cut(text, " "); cmd == "start" && strings.TrimSpace(param) != "" {
			t.startLink(strings.TrimSpace(param))
			return
		}
		t.command(cmd)
		return
	}
	if param, ok := t.prefilled(text); ok {
		t.startLink(param)
		return
	}
	if t.e.understand != nil {
		u := t.e.understand.Understand(t.s.Lang, text)
		t.typedLanguage(text, u)
		if u.Caution && (len(strings.Fields(text)) > 3 || !t.choosesOption(text)) {
			// (a short answer that is one of the page's options is that answer, as for Crisis)
			t.caution(u)
		}
		if !u.Crisis && t.greetIfIdle() {
			// A person in danger gets help, not "welcome back".
			return
		}
		t.understood(text, u)
		return
	}
	if t.s.Lang == "" {
		t.s.Lang = t.e.lang.Detect(text)
		t.detected = t.s.Lang != ""
	}
	if t.greetIfIdle() {
		return
	}
	if t.s.Position() == "" && t.s.Pending == "" {
		t.firstMessage(text)
		return
	}
	t.typed(text)
}

// firstMessage starts a conversation: a question goes straight to its topic, anything else to
// the menu, and an unknown language to the picker.
func (t *turn) firstMessage(text string) {
	if t.s.Lang == "" {
		t.enter(t.e.picker.Ref())
		return
	}
	if m := t.e.lang.Match(t.s.Lang, text); len(m) > 0 && m[0].Score >= ConfidentMatch {
		t.enter(m[0].Ref)
		return
	}
	t.enter(MainFlow)
}

// typedLanguage takes the language a text is written in: for a new user when sure, and in any
// conversation when the text is surely in another language (a platform's or browser's language
// is only the first hint). The reply then offers a change, so a wrong guess costs one tap.
func (t *turn) typedLanguage(text string, u Understanding) {
	if u.Lang == "" || u.Lang == t.s.Lang {
		if t.s.Lang == "" && u.Crisis && len(u.Langs) > 0 {
			t.s.Lang, t.detected = u.Langs[0], true // help first, in the likeliest language
		}
		return
	}
	t.s.Lang, t.detected = u.Lang, true
}

// caution gives the help numbers first to a text that may be from a person in danger, though not
// surely: a short message, in the conversation's language (or the likeliest), with one button to
// a counsellor (when the content has the page), and then the answer as usual. It never blocks,
// never asks, and makes no urgent ticket.
func (t *turn) caution(u Understanding) {
	lang := t.lang()
	if t.s.Lang == "" && len(u.Langs) > 0 {
		lang = u.Langs[0]
	}
	r := Reply{Lang: lang, Flow: t.s.Flow, Node: t.s.Node, Text: t.e.lang.Text(lang, MsgSafetyBrief, "")}
	if t.e.content.Node(counsellorRef) != nil {
		r.Buttons = []Button{{Label: t.e.lang.Text(lang, MsgSafetyTalk, ""), Data: dataGoto + counsellorRef}}
	}
	t.res.Replies = append(t.res.Replies, r)
}

// offerLanguageChange adds one button to switch language to the last reply, so a wrong guess
// costs the user a single tap.
func (t *turn) offerLanguageChange() {
	r := t.res.Replies
	if len(r) == 0 || t.e.picker == nil || t.s.Position() == t.e.picker.Ref() {
		return
	}
	last := &r[len(r)-1]
	label := t.e.lang.Text(t.lang(), MsgLanguageChange, "")
	for _, b := range last.Buttons {
		if b.Label == label {
			return // the page offers it already (the main menu does)
		}
	}
	last.Buttons = append(last.Buttons, Button{Label: label, Data: dataCommand + "language"})
}

// greetIfIdle asks a user who has been away whether to continue or start over.
func (t *turn) greetIfIdle() bool {
	s := t.s
	if s.Seen == 0 || s.Position() == "" || t.ev.Time.Unix()-s.Seen <= int64(IdleAfter/time.Second) {
		return false
	}
	s.Pending = pendingResume
	t.say(MsgWelcomeBack)
	t.attach(t.pendingButtons())
	return true
}

// typed handles free text in the middle of a conversation.
func (t *turn) typed(text string) {
	if data, ok := t.pick(text); ok {
		t.choice(data)
		return
	}
	if t.s.Pending != "" {
		// Anything but an answer to the pending question drops it.
		t.s.Pending = ""
	} else if n := t.current(); n != nil && n.Ask != "" {
		t.answer(n, text)
		return
	}
	matches := t.e.lang.Match(t.s.Lang, text)
	if len(matches) > 0 && matches[0].Score >= ConfidentMatch &&
		(len(matches) == 1 || matches[0].Score-matches[1].Score >= 0.1 || matches[0].Score >= 0.9) {
		t.enter(matches[0].Ref)
		return
	}
	var guesses []Button
	for _, m := range matches {
		if m.Score < WeakMatch || len(guesses) == 2 {
			break
		}
		if n := t.e.content.Node(m.Ref); n != nil {
			guesses = append(guesses, Button{Label: t.topicLabel(n), Data: dataGoto + m.Ref})
		}
	}
	if len(guesses) > 0 {
		t.say(MsgDidYouMean)
		t.attach(append(guesses, t.menuButton()))
		return
	}
	t.say(MsgNotUnderstood)
	t.showCurrent()
}

// answer saves a free answer and moves on.
func (t *turn) answer(n *Node, text string) {
	if utf8.RuneCountInString(text) > MaxAnswerRunes {
		text = string([]rune(text)[:MaxAnswerRunes])
	}
	t.setAnswer(n.Ask, text)
	t.enter(t.e.content.Resolve(n.Flow, n.Next))
}

func (t *turn) setAnswer(key, value string) {
	if t.s.Answers == nil {
		t.s.Answers = map[string]string{}
	}
	t.s.Answers[key] = value
}

// topicLabel is how a suggested topic is named on a button: its keyword list's first phrase.
func (t *turn) topicLabel(n *Node) string {
	kw := t.e.lang.Text(t.lang(), n.Keywords, "")
	if i := strings.IndexByte(kw, ','); i >= 0 {
		kw = kw[:i]
	}
	kw = strings.TrimSpace(kw)
	if kw == "" {
		return n.Ref()
	}
	r, size := utf8.DecodeRuneInString(kw)
	return strings.ToUpper(string(r)) + kw[size:]
}

// current is the node the user is at, or nil.
func (t *turn) current() *Node {
	if t.s.Position() == "" {
		return nil
	}
	return t.e.content.Node(t.s.Position())
}

// lang is the language to answer in: the user's, or the catalogue's first until it is known.
func (t *turn) lang() string {
	if t.s.Lang != "" {
		return t.s.Lang
	}
	return t.e.lang.Languages()[0]
}

// say adds a text reply.
func (t *turn) say(id string) {
	t.sayFor(id, "", t.s.Flow, t.s.Node)
}

func (t *turn) sayFor(id, office, flow, node string) {
	t.res.Replies = append(t.res.Replies, Reply{
		Lang: t.lang(), Flow: flow, Node: node, Text: t.e.lang.Text(t.lang(), id, office),
	})
}

// attach puts buttons on the last reply (a text, so every platform can show them).
func (t *turn) attach(b []Button) {
	if len(b) == 0 {
		return
	}
	r := t.res.Replies
	if len(r) == 0 || r[len(r)-1].Venue != nil {
		t.res.Replies = append(r, Reply{Lang: t.lang(), Flow: t.s.Flow, Node: t.s.Node})
		r = t.res.Replies
	}
	r[len(r)-1].Buttons = b
}

// showCurrent repeats the buttons the user can press now (the menu for a new user).
func (t *turn) showCurrent() {
	if t.s.Pending != "" {
		t.attach(t.pendingButtons())
		return
	}
	n := t.current()
	if n == nil {
		if t.s.Lang == "" {
			t.attach(t.nodeButtons(t.e.picker))
			return
		}
		n = t.e.content.Node(MainFlow)
	}
	t.attach(t.withListen(n, t.nodeButtons(n)))
}
