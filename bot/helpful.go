package bot

import "strings"

// Texts of the "Was this helpful?" question under a topic page.
const (
	MsgHelpfulAsk    = "helpful.ask"
	MsgHelpfulThanks = "helpful.thanks"
)

// The one-tap answers: the same in every language.
const (
	HelpfulYes = "👍"
	HelpfulNo  = "👎"
)

// dataHelpful is the button data of an answer: h|flow.node|y or h|flow.node|n.
const dataHelpful = "h|"

// HelpfulObserver is told, anonymously, each answer to "Was this helpful?": the topic (the
// page's flow), the language and the answer, never who gave it. An Observer may implement it.
type HelpfulObserver interface {
	Helpful(topic, lang string, yes bool)
}

// helpfulVote is one answer, passed from the engine to the observer.
type helpfulVote struct {
	topic string
	yes   bool
}

// helpfulPage reports whether a page asks "Was this helpful?": a topic page that only informs.
// Not the menu, the language picker, the handoff pages or a question (save, ask, branch), and
// never the safety page: a person in danger is not asked to rate it.
func helpfulPage(n *Node) bool {
	switch n.Flow {
	case MainFlow, LanguageFlow, HandoffFlow, SafetyFlow:
		return false
	}
	return len(n.Say) > 0 && n.Save == "" && n.Ask == "" && !n.Picker && n.Handoff == "" &&
		len(n.Branch) == 0 && n.Next == ""
}

// askHelpful adds the question with its two buttons after a topic page.
func (t *turn) askHelpful(n *Node) {
	if r := t.e.content.Reach; r == nil || !r.Helpful {
		return
	}
	if t.e.lang.Text(t.lang(), MsgHelpfulAsk, "") == MsgHelpfulAsk {
		return // content without the texts: no question
	}
	t.res.Replies = append(t.res.Replies, Reply{
		Lang: t.lang(), Flow: n.Flow, Node: n.ID, Text: t.e.lang.Text(t.lang(), MsgHelpfulAsk, ""),
		Buttons: []Button{
			{Label: HelpfulYes, Data: dataHelpful + n.Ref() + "|y"},
			{Label: HelpfulNo, Data: dataHelpful + n.Ref() + "|n"},
		},
	})
}

// helpful takes an answer: counted by the page's topic and language only, thanked, and the
// user stays where they are. An answer naming no topic page counts nothing (no stranger's data
// reaches the counters).
func (t *turn) helpful(data string) {
	ref, ans, _ := strings.Cut(data, "|")
	n := t.e.content.Node(ref)
	if n == nil || !helpfulPage(n) || (ans != "y" && ans != "n") {
		t.stale()
		return
	}
	t.res.helpful = &helpfulVote{topic: n.Flow, yes: ans == "y"}
	t.say(MsgHelpfulThanks)
	t.showCurrent()
}
