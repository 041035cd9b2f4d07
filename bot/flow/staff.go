package flow

import (
	"fmt"
	"sort"
	"strings"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/lang"
)

// staffUses are the staff chat's texts the content needs: the handoff service's own words, and a
// name for every answer the staff card lists (staff.answer.<key> for each save: or ask: key).
func staffUses(c *bot.Content) []use {
	var uses []use
	for _, id := range handoff.StaffMessages() {
		uses = append(uses, use{id: id, file: "(staff chat)"})
	}
	for _, f := range sortedFlows(c) {
		for _, n := range sortedNodes(f) {
			for _, key := range []string{n.Save, n.Ask} {
				if key != "" && handoff.OnCard(key) {
					uses = append(uses, use{id: handoff.AnswerMessage(key), file: f.File, line: n.Line})
				}
			}
		}
	}
	return uses
}

// StaffMessages lists the staff chat's message IDs the content needs, sorted. They are
// required in the default language and in staff languages (see StaffLanguage), never in the
// other languages: users do not see them.
func StaffMessages(c *bot.Content) []string {
	set := map[string]bool{}
	for _, u := range staffUses(c) {
		set[u.id] = true
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// StaffLanguage reports whether a language is one staff read: the default language (the
// source every translation starts from), or any language whose file has a staff text. A staff
// language must have all staff texts, so the staff chat does not switch language midway.
func StaffLanguage(cat *lang.Catalog, code string) bool {
	if code == cat.Default() {
		return true
	}
	f := cat.Files()[code]
	if f == nil {
		return false
	}
	for id := range f.IDs {
		if strings.HasPrefix(id, handoff.StaffPrefix) {
			return true
		}
	}
	return false
}

// where is a use's place for a report: file:line, or the file (a code name) alone.
func (u use) where() string {
	if u.line > 0 {
		return fmt.Sprintf("%s:%d", u.file, u.line)
	}
	return u.file
}
