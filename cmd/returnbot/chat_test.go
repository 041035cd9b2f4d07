package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestChatRunsTheHandoffAsServe: `returnbot chat` plans a visit as serve does — day buttons from
// the office calendar, then a visit code — and, with nobody to answer, the counsellor page
// offers a visit and the phone instead of a chat.
func TestChatRunsTheHandoffAsServe(t *testing.T) {
	// hello → menu; 6 → counsellor page; 1 → plan a visit; 1 → the first open day; 2 → no interpreter.
	code, out, errOut := runCmd(t, "hello\n6\n1\n1\n2\n", "chat", "--lang", "en", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var lines []chatLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var cl chatLine
		if err := json.Unmarshal([]byte(l), &cl); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", l, err)
		}
		lines = append(lines, cl)
	}
	visitCode := regexp.MustCompile(`\b[A-Z0-9]{4}-[A-Z0-9]{4}\b`)
	var counsellorPage, days, codeShown bool
	for _, l := range lines {
		if l.Flow == "handoff" && l.Node == "start" {
			counsellorPage = true
			for _, b := range l.Buttons {
				if strings.Contains(strings.ToLower(b), "chat") {
					t.Fatalf("the counsellor page offers %q with nobody to answer: %+v", b, l)
				}
			}
		}
		if strings.Contains(l.Text, "Which day") && len(l.Buttons) >= 2 {
			days = true
		}
		if visitCode.MatchString(l.Text) {
			codeShown = true
		}
	}
	if !counsellorPage || !days || !codeShown {
		t.Fatalf("counsellor page %v, day buttons %v, visit code %v:\n%s", counsellorPage, days, codeShown, out)
	}
}
