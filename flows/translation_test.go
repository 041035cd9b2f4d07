package flows_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/locales"
)

// rawLocale reads a shipped locale file as it is (message ID to text; plural texts left out).
func rawLocale(t *testing.T, code string) map[string]string {
	t.Helper()
	b, err := locales.FS.ReadFile(code + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// userTexts are the texts users read: keyword lists (words users type) and staff texts left out.
func userTexts(t *testing.T, code string) map[string]string {
	out := map[string]string{}
	for k, v := range rawLocale(t, code) {
		if !strings.HasPrefix(k, "kw.") && !strings.HasPrefix(k, "staff.") && !strings.HasPrefix(k, "_meta.") && k != "language.words" {
			out[k] = v
		}
	}
	return out
}

// TestReviewedTranslationDefectsStayFixed checks the patterns of the defects a review of the
// default content found (issue 17): each phrase said something else than the English.
func TestReviewedTranslationDefectsStayFixed(t *testing.T) {
	for _, c := range []struct{ lang, bad, why string }{
		{"so", "mana aha inaad magacaaga", `reads "you must not give your name"; say "you do not need to" (looma baahna)`},
		{"so", "laba toddobaad", `is exactly "two weeks"; FACTS says "a couple of weeks" (dhowr toddobaad)`},
		{"ar", "لا يجب أن", `reads "must not"; use "ليس عليك أن" or "لا داعي"`},
		{"fa", "قاچاق", `reads as smuggling; trafficking is "خرید و فروش انسان"`},
		{"ps", "قاچاق", `reads as smuggling; trafficking is "د انسانانو سوداګري"`},
		{"ps", "زیانمن", `means harmed, not vulnerable (زیان منونکي)`},
		{"ps", "لوی سړ", `means a big man; an adult is "بالغ کس"`},
		{"ps", "{{.Office.Floor}} پوړ", `reads "4 floors"; the floor needs the ordinal ({{.Office.Floor}}م پوړ)`},
		{"ti", "ክልተ ሰሙን", `is exactly "two weeks"; FACTS says "a couple of weeks" (ሒደት ሰሙናት)`},
		{"ti", "እቲ ንዓኹም ዝምልከት ቤት ጽሕፈት", `reads "the office that concerns you confirms"; the office confirms what applies to you`},
		{"ru", "возврат", `mixes возврат and возвращение; the content says возвращение throughout`},
	} {
		for id, text := range userTexts(t, c.lang) {
			if strings.Contains(text, c.bad) {
				t.Errorf("%s %s: %q %s", c.lang, id, c.bad, c.why)
			}
		}
	}
}

// TestTigrinyaButtonsAreNotMasculineImperatives: a button addresses every reader, so it is a
// noun or a polite plural form, never a masculine-singular imperative.
func TestTigrinyaButtonsAreNotMasculineImperatives(t *testing.T) {
	p := loadPack(t)
	labels := map[string]bool{"common.back": true, "common.menu": true, "common.continue": true, "common.start_over": true,
		"common.forget_yes": true, "common.forget_no": true, "language.change": true}
	for _, f := range p.Content.Flows {
		for _, n := range f.Nodes {
			for _, o := range n.Options {
				labels[o.Label] = true
			}
		}
	}
	masculine := []string{"ተመለስ", "ቀጽል", "ጀምር", "ደምስስ", "ቀይር", "ምረጽ", "ጽሓፍ", "ደውል", "ተዛረብ", "ብጻሕ", "መድብ"}
	for id := range labels {
		label := p.Catalog.Text("ti", id, "")
		for _, w := range strings.FieldsFunc(label, func(r rune) bool { return r == ' ' || r == '፡' || r == '?' }) {
			for _, m := range masculine {
				if w == m {
					t.Errorf("ti %s = %q: %q is a masculine-singular imperative", id, label, m)
				}
			}
		}
	}
}

// TestSoraniSituationQuestionSaysYou: the review found the residence question without "you".
func TestSoraniSituationQuestionSaysYou(t *testing.T) {
	if q := rawLocale(t, "ckb")["elig.q_situation"]; !strings.Contains(q, "تۆ") {
		t.Errorf("ckb elig.q_situation does not address the reader (تۆ): %q", q)
	}
}

// TestMetaNoteIsHonest: every machine-assisted locale says that no native speaker has reviewed it.
func TestMetaNoteIsHonest(t *testing.T) {
	p := loadPack(t)
	for _, code := range p.Catalog.Languages() {
		if code == "en" || code == "nb" {
			continue // written by the project
		}
		note := rawLocale(t, code)["_meta.note"]
		if !strings.Contains(note, "not yet reviewed by a native speaker") {
			t.Errorf("%s _meta.note = %q: say that it is machine-assisted and not yet reviewed by a native speaker", code, note)
		}
	}
}
