package flow

import (
	"fmt"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
)

// Button label limits of WhatsApp, the strictest platform: reply buttons (up to three options)
// and list rows (four to ten). Longer menus are sent as numbered text and have no limit.
const (
	MaxButtonLabel = 20
	MaxListLabel   = 24
	MaxListRows    = 10
)

// Report is the outcome of checking content against the locales.
type Report struct {
	// Problems are structural errors that stop start-up.
	Problems Errors
	// Missing are message IDs some locale lacks; the text falls back to the default language.
	Missing Errors
	// Coverage is per language, in picker order.
	Coverage []Coverage
	// Examples counts the training examples per language and intent label.
	Examples map[string]map[string]int
	// Warnings are things worth fixing that do not stop start-up (too few examples).
	Warnings []string
}

// Coverage is how many of the messages the content uses a language has.
type Coverage struct {
	Lang       string
	Have, Want int
}

// Percent is the share of messages translated.
func (c Coverage) Percent() float64 {
	if c.Want == 0 {
		return 100
	}
	return 100 * float64(c.Have) / float64(c.Want)
}

// OK reports whether the content has neither problems nor missing texts.
func (r *Report) OK() bool { return len(r.Problems) == 0 && len(r.Missing) == 0 }

// use is one place content refers to a message.
type use struct {
	id         string
	file       string
	line       int
	labelLimit int // for option labels: the most characters allowed, else 0
}

// Validate checks that every target exists, every node is reachable, every message exists in
// every locale and fits the platforms' limits. The staff chat's texts (StaffMessages) are
// checked only in staff languages: translators of user languages are not asked for them.
func Validate(c *bot.Content, cat *lang.Catalog) *Report {
	v := &validator{r: &Report{}, c: c, langs: cat.Languages()}
	v.engineFlows()
	for _, id := range bot.EngineMessages {
		v.uses = append(v.uses, use{id: id, file: "(engine)"})
	}
	v.uses = append(v.uses, use{id: lang.MsgCommonWords, file: "(language detection)"})
	for _, f := range sortedFlows(c) {
		for _, n := range sortedNodes(f) {
			v.node(f, n)
		}
	}
	v.r.validateReach(c, cat)
	v.uses = append(v.uses, reachUses(c)...)
	v.r.unreachable(c)
	v.r.messages(cat, v.uses, staffUses(c))
	return v.r
}

// validator collects the problems of one content and the messages it uses; each check is one
// method, run per flow or per node in the order the report lists them.
type validator struct {
	r     *Report
	c     *bot.Content
	langs []string
	uses  []use
}

// bad reports a problem at file:line.
func (v *validator) bad(file string, line int, format string, args ...any) {
	v.r.Problems = append(v.r.Problems, &Error{File: file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

// engineFlows checks the flows the engine jumps to by itself, and that the language flow starts
// with a picker.
func (v *validator) engineFlows() {
	for _, id := range []string{bot.MainFlow, bot.LanguageFlow, bot.HandoffFlow} {
		if v.c.Flows[id] == nil {
			v.bad(id+".yaml", 0, "missing: the engine needs a flow %q", id)
		}
	}
	if f := v.c.Flows[bot.LanguageFlow]; f != nil && !f.Nodes[f.Start].Picker {
		v.bad(f.File, f.Nodes[f.Start].Line, "the start node of flow %q must be a picker (picker: true)", f.ID)
	}
}

// node runs every check of one node.
func (v *validator) node(f *bot.Flow, n *bot.Node) {
	for _, id := range n.Say {
		v.uses = append(v.uses, use{id: id, file: f.File, line: n.Line})
	}
	if n.Keywords != "" {
		v.uses = append(v.uses, use{id: n.Keywords, file: f.File, line: n.Line})
	}
	v.references(f, n)
	v.shape(f, n)
	v.targets(f, n)
	v.options(f, n)
}

// references checks the office and the language a node names.
func (v *validator) references(f *bot.Flow, n *bot.Node) {
	if n.Venue != "" && v.c.Offices[n.Venue] == nil {
		v.bad(f.File, n.Line, "node %q: venue %q is not an office in %s", n.ID, n.Venue, OfficesFile)
	}
	if n.Lang != "" && !slices.Contains(v.langs, n.Lang) {
		v.bad(f.File, n.Line, "node %q: language %q has no locale file", n.ID, n.Lang)
	}
}

// shape checks that a node does something, and that what waits for the user says where to go.
func (v *validator) shape(f *bot.Flow, n *bot.Node) {
	waits := len(n.Options) > 0 || n.Picker || n.Ask != ""
	switch {
	case n.Picker && n.Next == "":
		v.bad(f.File, n.Line, "node %q: a picker needs next (where to go after a language is chosen)", n.ID)
	case n.Ask != "" && n.Next == "":
		v.bad(f.File, n.Line, "node %q: ask needs next (where to go after the answer)", n.ID)
	case len(n.Say) == 0 && !waits && n.Next == "" && len(n.Branch) == 0:
		v.bad(f.File, n.Line, "node %q does nothing: give it say, options, ask, next or branch", n.ID)
	}
	if len(n.Options) > 0 && (n.Ask != "" || n.Picker) {
		v.bad(f.File, n.Line, "node %q: options cannot be combined with ask or picker", n.ID)
	}
}

// targets checks next and the branch cases, and that a branch has a fallback.
func (v *validator) targets(f *bot.Flow, n *bot.Node) {
	if n.Next != "" {
		v.target(f, n, n.Line, "next", n.Next)
	}
	fallback := n.Next != ""
	for _, cs := range n.Branch {
		v.target(f, n, cs.Line, "branch", cs.Goto)
		fallback = fallback || len(cs.When) == 0
	}
	if len(n.Branch) > 0 && !fallback {
		v.bad(f.File, n.Line, "node %q: branch needs a last case without when (or next) for answers no case matches", n.ID)
	}
}

// target checks that t, reached from node n by what, names a node.
func (v *validator) target(f *bot.Flow, n *bot.Node, line int, what, t string) {
	if t == "" {
		v.bad(f.File, line, "node %q: %s has no target", n.ID, what)
		return
	}
	if v.c.Node(v.c.Resolve(f.ID, t)) == nil {
		v.bad(f.File, line, "node %q: %s goes to %q, which does not exist", n.ID, what, t)
	}
}

// options checks a node's options: unique ids, button data within Telegram's limit, a label
// (whose length limit depends on how many options there are), a known language, a target.
func (v *validator) options(f *bot.Flow, n *bot.Node) {
	limit := labelLimit(len(n.Options))
	seen := map[string]bool{}
	for _, o := range n.Options {
		switch {
		case o.ID == "":
			v.bad(f.File, o.Line, "node %q: option has no id", n.ID)
		case seen[o.ID]:
			v.bad(f.File, o.Line, "node %q: option id %q is used twice", n.ID, o.ID)
		}
		seen[o.ID] = true
		if d := bot.OptionData(n.Ref(), o.ID); len(d) > bot.MaxDataBytes {
			v.bad(f.File, o.Line, "node %q: button data %q is %d bytes, Telegram allows %d: shorten the ids", n.ID, d, len(d), bot.MaxDataBytes)
		}
		if o.Label == "" {
			v.bad(f.File, o.Line, "node %q: option %q has no label", n.ID, o.ID)
		} else {
			v.uses = append(v.uses, use{id: o.Label, file: f.File, line: o.Line, labelLimit: limit})
		}
		if o.Lang != "" && !slices.Contains(v.langs, o.Lang) {
			v.bad(f.File, o.Line, "node %q: option %q: language %q has no locale file", n.ID, o.ID, o.Lang)
		}
		v.target(f, n, o.Line, "option "+o.ID, o.Goto)
	}
}

// labelLimit is the most characters an option label may have among n options: buttons up to
// three, list rows beyond, and no limit past MaxListRows (such a menu is sent as numbered text).
func labelLimit(n int) int {
	switch {
	case n > MaxListRows:
		return 0
	case n > 3:
		return MaxListLabel
	default:
		return MaxButtonLabel
	}
}

// unreachable reports nodes no path leads to. Paths start at the flows the engine jumps to for
// global commands and at every node with keywords.
func (r *Report) unreachable(c *bot.Content) {
	seen := map[string]bool{}
	var stack []string
	push := func(ref string) {
		if n := c.Node(ref); n != nil && !seen[n.Ref()] {
			seen[n.Ref()] = true
			stack = append(stack, n.Ref())
		}
	}
	for _, id := range []string{bot.MainFlow, bot.LanguageFlow, bot.HandoffFlow, bot.SafetyFlow} {
		push(id)
	}
	for _, f := range c.Flows {
		for _, n := range f.Nodes {
			if n.Keywords != "" {
				push(n.Ref())
			}
		}
	}
	if c.Reach != nil {
		for _, ref := range c.Reach.Topics {
			push(ref) // a deep link opens it
		}
	}
	for len(stack) > 0 {
		n := c.Node(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		if n.Next != "" {
			push(c.Resolve(n.Flow, n.Next))
		}
		for _, o := range n.Options {
			push(c.Resolve(n.Flow, o.Goto))
		}
		for _, cs := range n.Branch {
			push(c.Resolve(n.Flow, cs.Goto))
		}
	}
	for _, f := range sortedFlows(c) {
		for _, n := range sortedNodes(f) {
			if !seen[n.Ref()] {
				r.Problems = append(r.Problems, &Error{File: f.File, Line: n.Line, Reason: fmt.Sprintf("node %q is unreachable: nothing leads to it", n.ID)})
			}
		}
	}
}

// messages checks every used message in every language: present, and short enough on a button.
// The staff chat's texts count only in staff languages (StaffLanguage).
func (r *Report) messages(cat *lang.Catalog, userUses, staff []use) {
	for _, code := range cat.Languages() {
		f := cat.Files()[code]
		uses := userUses
		if StaffLanguage(cat, code) {
			uses = append(slices.Clip(userUses), staff...)
		}
		want := map[string]bool{}
		for _, u := range uses {
			want[u.id] = true
		}
		have := 0
		reported := map[string]bool{}
		for id := range want {
			if cat.Has(code, id) {
				have++
			}
		}
		for _, u := range uses {
			if !cat.Has(code, u.id) {
				if !reported[u.id] {
					reported[u.id] = true
					r.Missing = append(r.Missing, &Error{File: f.Name, Line: 0, Reason: fmt.Sprintf("missing message %q (used at %s)", u.id, u.where())})
				}
				continue
			}
			if u.labelLimit > 0 {
				label := cat.Text(code, u.id, "")
				if n := utf8.RuneCountInString(label); n > u.labelLimit {
					r.Problems = append(r.Problems, &Error{File: f.Name, Line: f.IDs[u.id], Reason: fmt.Sprintf("button %q is %d characters, WhatsApp shows at most %d here (used at %s:%d)", label, n, u.labelLimit, u.file, u.line)})
				}
			}
		}
		r.Coverage = append(r.Coverage, Coverage{Lang: code, Have: have, Want: len(want)})
	}
	sort.SliceStable(r.Missing, func(i, j int) bool { return r.Missing[i].File < r.Missing[j].File })
}

func sortedFlows(c *bot.Content) []*bot.Flow {
	out := make([]*bot.Flow, 0, len(c.Flows))
	for _, f := range c.Flows {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func sortedNodes(f *bot.Flow) []*bot.Node {
	out := make([]*bot.Node, 0, len(f.Nodes))
	for _, n := range f.Nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// UsedMessages lists every message ID the content and the engine use, sorted.
func UsedMessages(c *bot.Content) []string {
	set := map[string]bool{lang.MsgCommonWords: true}
	for _, id := range bot.EngineMessages {
		set[id] = true
	}
	if c.Reach != nil {
		for _, id := range bot.ReachMessages {
			set[id] = true
		}
	}
	for _, f := range c.Flows {
		for _, n := range f.Nodes {
			for _, id := range n.Say {
				set[id] = true
			}
			if n.Keywords != "" {
				set[n.Keywords] = true
			}
			for _, o := range n.Options {
				set[o.Label] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
