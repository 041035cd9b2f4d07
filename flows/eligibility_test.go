package flows_test

import (
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// TestEligibilityPaths walks the eligibility check in every language by its first answer (the
// person's situation in Norway), then "no" to protection elsewhere and "no" to support before.
// A pending case, a rejection, a Dublin decision, no legal residence and "not sure" must reach
// "you may be able to apply" (FACTS.md: they can apply); only a residence permit in Norway
// reaches "usually cannot ... talk to us".
func TestEligibilityPaths(t *testing.T) {
	p := loadPack(t)
	start := p.Content.Node("eligibility.start")
	want := map[string]string{
		"pending": "eligibility.may", "rejected": "eligibility.may", "dublin": "eligibility.may",
		"noresidence": "eligibility.may", "unsure": "eligibility.may", "permit": "eligibility.resident",
	}
	if len(start.Options) != len(want) {
		t.Fatalf("first question has options %v, want one for each of %v", start.Options, want)
	}
	for _, code := range p.Catalog.Languages() {
		for i, o := range start.Options {
			end, ok := want[o.ID]
			if !ok {
				t.Fatalf("first question: unexpected option %q", o.ID)
			}
			s := &bot.Session{Lang: code}
			now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			steps := []string{"/menu", "2", string(rune('1' + i)), "2", "2"}
			if o.ID == "permit" {
				steps = steps[:3]
			}
			for _, text := range steps {
				p.Engine.Respond(s, bot.Event{Kind: bot.KindText, Text: text, Time: now})
			}
			if s.Position() != end {
				t.Errorf("%s: %s, then no, no: at %s, want %s", code, o.ID, s.Position(), end)
			}
			if s.Answers["situation"] != o.ID {
				t.Errorf("%s: saved situation %q, want %q", code, s.Answers["situation"], o.ID)
			}
		}
	}
}
