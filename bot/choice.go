package bot

import (
	"strconv"
	"strings"
)

// Button data prefixes. Data names its target fully (not an index into the last message), so a
// button pressed on an old message still leads where its label promised.
const (
	dataOption  = "o|" // o|flow.node|option
	dataGoto    = "g|" // g|flow.node
	dataLang    = "l|" // l|code
	dataCommand = "c|" // c|menu, c|back, c|forget_yes ...
	// dataDay ("v|2006-01-02", a visit day) is in calendar.go.
)

// MaxDataBytes is the longest button data Telegram accepts.
const MaxDataBytes = 64

// OptionData is the button data for option opt of node ref.
func OptionData(ref, opt string) string { return dataOption + ref + "|" + opt }

// choice acts on button data, from a pressed button or a typed choice.
func (t *turn) choice(data string) {
	switch {
	case strings.HasPrefix(data, dataOption):
		ref, opt, _ := strings.Cut(data[len(dataOption):], "|")
		t.option(ref, opt)
	case strings.HasPrefix(data, dataGoto):
		if t.e.content.Node(data[len(dataGoto):]) == nil {
			t.stale()
			return
		}
		t.enter(data[len(dataGoto):])
	case strings.HasPrefix(data, dataLang):
		t.chooseLanguage(data[len(dataLang):])
	case strings.HasPrefix(data, dataCommand):
		t.command(data[len(dataCommand):])
	case strings.HasPrefix(data, dataDay):
		t.visitDay(data[len(dataDay):])
	case strings.HasPrefix(data, dataHelpful):
		t.helpful(data[len(dataHelpful):])
	case strings.HasPrefix(data, dataListen):
		t.listen(data[len(dataListen):])
	default:
		t.stale()
	}
}

// option follows an option of a node, wherever the user is now.
func (t *turn) option(ref, id string) {
	n := t.e.content.Node(ref)
	if n == nil {
		t.stale()
		return
	}
	for _, o := range n.Options {
		if o.ID != id {
			continue
		}
		if o.Lang != "" {
			t.s.Lang = o.Lang
		}
		if n.Save != "" {
			t.setAnswer(n.Save, o.ID)
		}
		t.enter(t.e.content.Resolve(n.Flow, o.Goto))
		return
	}
	t.stale()
}

func (t *turn) chooseLanguage(code string) {
	for _, c := range t.e.lang.Languages() {
		if c == code {
			t.s.Lang = code
			next := MainFlow
			if t.e.picker != nil && t.e.picker.Next != "" {
				next = t.e.content.Resolve(t.e.picker.Flow, t.e.picker.Next)
			}
			t.enter(next)
			return
		}
	}
	t.stale()
}

// stale answers a button that no longer leads anywhere (content changed since it was sent).
func (t *turn) stale() {
	t.say(MsgOldButton)
	t.showCurrent()
}

// pick finds the button a typed text chooses: its number in any digit script, or its label.
func (t *turn) pick(text string) (string, bool) {
	norm := t.e.lang.Normalize(text)
	buttons, labels := t.choices()
	if len(buttons) == 0 {
		return "", false
	}
	if i, err := strconv.Atoi(strings.TrimSuffix(norm, ".")); err == nil {
		if i >= 1 && i <= len(buttons) {
			return buttons[i-1].Data, true
		}
		return "", false
	}
	for i, l := range labels {
		if l == norm && l != "" {
			return buttons[i].Data, true
		}
	}
	return "", false
}

// choices are the buttons on screen now with their normalised labels.
func (t *turn) choices() ([]Button, []string) {
	var buttons []Button
	if t.s.Pending != "" {
		buttons = t.pendingButtons()
	} else {
		n := t.current()
		if n == nil {
			return nil, nil
		}
		if labels, ok := t.e.labels[t.lang()+"\x00"+n.Ref()]; ok {
			// Options: labels were normalised once, at start-up. A typed number counts the
			// buttons shown, so an option hidden from view (chat with nobody to answer) is skipped.
			noStaff := !t.staffThere()
			b := make([]Button, 0, len(n.Options))
			shown := make([]string, 0, len(labels))
			for i, o := range n.Options {
				if noStaff && t.chatOption(n, o) {
					continue
				}
				b = append(b, Button{Data: OptionData(n.Ref(), o.ID)})
				shown = append(shown, labels[i])
			}
			return b, shown
		}
		buttons = t.nodeButtons(n)
	}
	labels := make([]string, len(buttons))
	for i, b := range buttons {
		labels[i] = t.e.lang.Normalize(b.Label)
	}
	return buttons, labels
}
