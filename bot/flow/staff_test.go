package flow_test

import (
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/handoff"
)

// handoffSaves is a handoff flow with a question an office added: its answer goes on the staff card.
const handoffSaves = "id: handoff\nstart: start\nnodes:\n  start:\n    say: [m.hello]\n    save: newkey\n    options:\n      - {id: y, label: m.a, goto: start}\n"

// without drops messages from a locale file made by locale.
func without(extra map[string]string, drop ...string) string {
	s := locale(extra)
	for _, id := range drop {
		var kept []string
		for _, line := range strings.Split(s, "\n") {
			if !strings.HasPrefix(line, `  "`+id+`":`) {
				kept = append(kept, line)
			}
		}
		s = strings.Join(kept, "\n")
	}
	// Dropping the last entry leaves a trailing comma.
	return strings.Replace(s, ",\n}", "\n}", 1)
}

// userLocale is a locale file of a user language: the user texts only, no staff.* texts.
func userLocale() string {
	return without(nil, handoff.StaffMessages()...)
}

func missingOf(t *testing.T, p *flow.Pack) string {
	t.Helper()
	var b strings.Builder
	for _, m := range p.Report.Missing {
		b.WriteString(m.Error() + "\n")
	}
	return b.String()
}

func TestStaffAnswerNameMissingInSource(t *testing.T) {
	fl, lo := files(map[string]string{"handoff.yaml": handoffSaves})
	p, err := flow.Load(fl, lo)
	if err != nil {
		t.Fatalf("a missing staff.answer text must not stop start-up: %v", err)
	}
	want := `en.json:0: missing message "staff.answer.newkey" (used at handoff.yaml:4)`
	if got := missingOf(t, p); got != want+"\n" {
		t.Fatalf("missing:\n%swant:\n%s", got, want)
	}
	for _, c := range p.Report.Coverage {
		if c.Lang == "en" && c.Have != c.Want-1 {
			t.Fatalf("en coverage %+v", c)
		}
	}

	fl, lo = files(map[string]string{"handoff.yaml": handoffSaves, "en.json": locale(map[string]string{"staff.answer.newkey": "New key"})})
	if p, err = flow.Load(fl, lo); err != nil || !p.Report.OK() {
		t.Fatalf("with staff.answer.newkey: %v %s", err, missingOf(t, p))
	}
}

func TestStaffTextsOnlyInStaffLanguages(t *testing.T) {
	for _, c := range []struct {
		name    string
		files   map[string]string
		missing []string // substrings of Report.Missing, in order; none when empty
	}{
		{"user language without staff texts", map[string]string{"fa.json": userLocale(), "handoff.yaml": handoffSaves, "en.json": locale(map[string]string{"staff.answer.newkey": "New key"})}, nil},
		{"staff text missing in the source", map[string]string{"en.json": without(nil, "staff.take"), "fa.json": userLocale()}, []string{`en.json:0: missing message "staff.take" (used at (staff chat))`}},
		{"staff language lacks one", map[string]string{"nb.json": without(nil, "staff.help")}, []string{`nb.json:0: missing message "staff.help"`}},
		{"one staff text makes a staff language", map[string]string{"fa.json": without(nil, handoff.StaffMessages()[1:]...)}, []string{`fa.json:0: missing message "` + handoff.StaffMessages()[1] + `"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fl, lo := files(c.files)
			p, err := flow.Load(fl, lo)
			if err != nil {
				t.Fatal(err)
			}
			got := missingOf(t, p)
			if len(c.missing) == 0 {
				if got != "" {
					t.Fatalf("missing:\n%s", got)
				}
				for _, cv := range p.Report.Coverage {
					if cv.Have != cv.Want {
						t.Fatalf("coverage %+v", cv)
					}
				}
				return
			}
			for _, m := range c.missing {
				if !strings.Contains(got, m) {
					t.Fatalf("missing:\n%swant it to contain %q", got, m)
				}
			}
		})
	}
}

func TestUserLanguageCoverageLeavesOutStaffTexts(t *testing.T) {
	fl, lo := files(map[string]string{"fa.json": userLocale()})
	p, err := flow.Load(fl, lo)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, c := range p.Report.Coverage {
		want[c.Lang] = c.Want
	}
	if n := len(flow.StaffMessages(p.Content)); want["en"]-want["fa"] != n || n != len(handoff.StaffMessages()) {
		t.Fatalf("en counts %d texts, fa %d: the difference should be the %d staff texts", want["en"], want["fa"], n)
	}
	if ids := flow.UsedMessages(p.Content); strings.Contains(strings.Join(ids, " "), handoff.StaffPrefix) {
		t.Fatalf("UsedMessages (what translators are asked for) lists staff texts: %v", ids)
	}
}
