package handoff

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot"
)

// StaffPrefix starts the ID of every staff chat text in the locale files. Users never see these
// texts, so they are required only in the source language and in the languages staff read, and
// translators of user languages are not asked for them (see docs/translating.md).
const StaffPrefix = "staff."

// AnswerPrefix starts the ID of the staff card's name for a saved answer: staff.answer.<key>.
const AnswerPrefix = StaffPrefix + "answer."

// staffIDs are the staff chat's own words without StaffPrefix, as the code asks for them.
var staffIDs = []string{
	"lang", "channel", "visit", "interpreter", "yes", "no", "wants_chat", "urgent", "topics", "status",
	StatusOpen, StatusTaken, StatusClosed, "take", "close", "not_allowed", "unknown",
	"taken_by", "already", "sent", "send_failed", "handed_back", "closed_by", "visit_set",
	"bad_day", "queue_empty", "user_left", "user_blocked", "limited", "reply_hint", "visit_changed", "help",
}

// StaffMessages lists the message IDs of the staff chat's own words (ticket card, buttons,
// answers to staff commands). Names of saved answers are content: see AnswerMessage.
func StaffMessages() []string {
	out := make([]string, len(staffIDs))
	for i, id := range staffIDs {
		out[i] = StaffPrefix + id
	}
	sort.Strings(out)
	return out
}

// AnswerMessage is the ID of the message that names, on the staff card, the answer a node
// saves under key (save: key, or ask: key).
func AnswerMessage(key string) string { return AnswerPrefix + key }

// OnCard reports whether an answer saved under key is listed by name on the staff card. The
// visit day and the interpreter are not: the card has lines of its own for them.
func OnCard(key string) bool { return key != bot.AnswerVisitDay && key != bot.AnswerInterpreter }

// CheckStaffLang returns an error unless code can be the staff language: a shipped language.
// Texts it lacks come from the default language, but a language with no staff texts at all is
// refused, because staff would read the whole staff chat in another language than they chose.
func CheckStaffLang(l bot.Language, code string) error {
	if !slices.Contains(l.Languages(), code) {
		return fmt.Errorf("staff language %q has no locale file (shipped: %s)", code, strings.Join(l.Languages(), ", "))
	}
	for _, id := range StaffMessages() {
		if has(l, code, id) {
			return nil
		}
	}
	return fmt.Errorf("staff language %q has no staff texts (%s*) in its locale file; see docs/translating.md", code, StaffPrefix)
}

// haser is implemented by catalogues that can tell a message a language has from one it
// borrows from the default language (lang.Catalog).
type haser interface {
	Has(lang, id string) bool
}

// has reports whether a language defines a message. Without a haser, a message the default
// language fills in counts as present (Text returns the ID only when nobody has it).
func has(l bot.Language, lang, id string) bool {
	if h, ok := l.(haser); ok {
		return h.Has(lang, id)
	}
	return l.Text(lang, id, "") != id
}

// st is a staff text in the staff language; Language falls back to the default language.
func (s *Service) st(id string) string {
	return s.cfg.Language.Text(s.cfg.StaffLang, StaffPrefix+id, "")
}

// answers renders saved answers for staff: the question's short name and the chosen option's
// label in the staff language (answers are stored as option IDs), sorted by key.
func (s *Service) answers(a map[string]string) []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, s.answerName(k)+": "+s.optionLabel(k, a[k]))
	}
	return out
}

// answerName names a saved answer for staff, from the content: staff.answer.<key> in the staff
// language; else the question the saving node asks, shortened, in the staff language; else the
// same two in the default language; else the key itself (an answer the content no longer saves).
func (s *Service) answerName(key string) string {
	l, lang, id := s.cfg.Language, s.cfg.StaffLang, AnswerMessage(key)
	q := s.question(key)
	switch {
	case has(l, lang, id):
		return l.Text(lang, id, "")
	case q != "" && has(l, lang, q):
		return shorten(l.Text(lang, q, ""))
	case l.Text(lang, id, "") != id:
		return l.Text(lang, id, "")
	case q != "" && l.Text(lang, q, "") != q:
		return shorten(l.Text(lang, q, ""))
	}
	return key
}

// question is the message ID of the question a node saving under key asks: the last thing it
// says (an introduction may come first). Of several such nodes the first by flow and line wins,
// so the name does not change from card to card.
func (s *Service) question(key string) string {
	var best *bot.Node
	for _, f := range s.cfg.Content.Flows {
		for _, n := range f.Nodes {
			if (n.Save != key && n.Ask != key) || len(n.Say) == 0 {
				continue
			}
			if best == nil || n.Flow < best.Flow || (n.Flow == best.Flow && n.Line < best.Line) {
				best = n
			}
		}
	}
	if best == nil {
		return ""
	}
	return best.Say[len(best.Say)-1]
}

// maxAnswerName is the most characters a question shortened into an answer name keeps, so a
// card line stays one line on a phone.
const maxAnswerName = 60

// sentenceEnds are the marks that end a question or sentence in the shipped scripts (Latin,
// Arabic, Ethiopic).
const sentenceEnds = "?.!؟።፧"

// shorten makes a question into an answer name: its first line and sentence, cut at a clause
// or word boundary with "…" when still too long.
func shorten(q string) string {
	q, _, _ = strings.Cut(strings.TrimSpace(q), "\n")
	for i, r := range q {
		end := i + utf8.RuneLen(r)
		if strings.ContainsRune(sentenceEnds, r) && (end == len(q) || q[end] == ' ') {
			q = q[:end]
			break
		}
	}
	q = strings.Join(strings.Fields(q), " ")
	r := []rune(q)
	if len(r) <= maxAnswerName {
		return q
	}
	cut := string(r[:maxAnswerName-1])
	// A clause break in the second half reads better than a word cut.
	for _, sep := range []string{", ", "، ", "; ", " – ", " - "} {
		if i := strings.LastIndex(cut, sep); i >= len(cut)/2 {
			return cut[:i] + "…"
		}
	}
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, ",;:") + "…"
}

// optionLabel finds the option a saved answer names (the node that saves under key) and returns
// its label in the staff language; a free answer is returned as it is.
func (s *Service) optionLabel(key, id string) string {
	for _, f := range s.cfg.Content.Flows {
		for _, n := range f.Nodes {
			if n.Save != key {
				continue
			}
			for _, o := range n.Options {
				if o.ID == id {
					return s.cfg.Language.Text(s.cfg.StaffLang, o.Label, "")
				}
			}
		}
	}
	return id
}

// topicName is a flow as the main menu names it, in the staff language.
func (s *Service) topicName(flow string) string {
	if m := s.cfg.Content.Node(bot.MainFlow); m != nil {
		for _, o := range m.Options {
			if s.cfg.Content.Resolve(m.Flow, o.Goto) == s.cfg.Content.Resolve(m.Flow, flow) {
				return s.cfg.Language.Text(s.cfg.StaffLang, o.Label, "")
			}
		}
	}
	return flow
}
