package lang_test

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/lang"
)

// referenceTexts are messages of normal length to compare the matcher against its reference:
// the evaluation set of the default content (flows/testdata/eval), every keyword phrase, and
// variants of both with typos, glued words, case and punctuation changes.
func referenceTexts(t testing.TB) []langText {
	t.Helper()
	cat := shippedCatalog(t)
	var base []langText
	files, err := filepath.Glob("../../flows/testdata/eval/*.tsv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no evaluation set: %v", err)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		code := strings.TrimSuffix(filepath.Base(name), ".tsv")
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if _, text, ok := strings.Cut(sc.Text(), "\t"); ok && !strings.HasPrefix(sc.Text(), "#") {
				base = append(base, langText{code, text})
			}
		}
		f.Close()
	}
	for _, id := range flow.Topics(shippedContent) {
		for _, code := range cat.Languages() {
			for _, k := range strings.Split(cat.Text(code, id, ""), ",") {
				base = append(base, langText{code, k})
			}
		}
	}
	rng := rand.New(rand.NewPCG(15, 4))
	out := append([]langText(nil), base...)
	for range 2 {
		for _, s := range base {
			out = append(out, langText{s.lang, mutate(rng, s.text, base)})
		}
	}
	// Every keyword at the edges the matcher's length limits sit on: as the tail of a compound,
	// with a letter more, a letter less and one letter changed.
	for _, id := range flow.Topics(shippedContent) {
		for _, code := range cat.Languages() {
			for _, w := range strings.FieldsFunc(cat.Text(code, id, ""), func(r rune) bool { return r == ',' || r == ' ' }) {
				r := []rune(w)
				out = append(out, langText{code, "pre" + w}, langText{code, "x" + w}, langText{code, w + "s"},
					langText{code, w + "ss"}, langText{code, string(r[:len(r)-1])},
					langText{code, string(r[:len(r)/2]) + "q" + string(r[len(r)/2+1:])},
					langText{code, string(r[:len(r)/2]) + "q" + string(r[len(r)/2:])})
			}
		}
	}
	// Each text once.
	seen := map[langText]bool{}
	uniq := out[:0]
	for _, lt := range out {
		if !seen[lt] {
			seen[lt] = true
			uniq = append(uniq, lt)
		}
	}
	return uniq
}

// langText is a text and the language it is written in.
type langText struct{ lang, text string }

// mutate makes one to three changes of the kinds people make: a rune dropped, doubled, swapped
// or replaced, two words glued, a word from another text added, a change of case or an
// Arabic-script article in front.
func mutate(rng *rand.Rand, s string, others []langText) string {
	for range 1 + rng.IntN(3) {
		r := []rune(s)
		if len(r) == 0 {
			return s
		}
		i := rng.IntN(len(r))
		switch rng.IntN(9) {
		case 0:
			r = append(r[:i], r[i+1:]...)
		case 1:
			r = append(r[:i+1], r[i:]...)
		case 2:
			if i+1 < len(r) {
				r[i], r[i+1] = r[i+1], r[i]
			}
		case 3:
			r[i] = r[rng.IntN(len(r))]
		case 4:
			s = strings.Replace(string(r), " ", "", 1)
			continue
		case 5:
			s = string(r) + " " + others[rng.IntN(len(others))].text
			continue
		case 6:
			s = strings.ToUpper(string(r))
			continue
		case 7:
			s = "وال" + string(r) + "?!"
			continue
		case 8:
			s = string(r[:i]) + string(r[i:]) + string(r[:i])
			continue
		}
		s = string(r)
	}
	return s
}

// TestMatchAgreesWithReference checks the linear matcher, Normalize and Detect give exactly the
// results of the implementations they replaced, on texts of normal length in every language.
func TestMatchAgreesWithReference(t *testing.T) {
	cat := shippedCatalog(t)
	texts := referenceTexts(t)
	t.Logf("%d texts", len(texts))
	if len(texts) < 2000 {
		t.Fatalf("only %d texts to compare", len(texts))
	}
	diffs := 0
	for _, lt := range texts {
		text := lt.text
		if got, want := lang.Normalize(text), lang.NormalizeReference(text); got != want {
			t.Errorf("Normalize(%q) = %q, reference %q", text, got, want)
			diffs++
		}
		if got, want := cat.Detect(text), cat.DetectReference(text); got != want {
			t.Errorf("Detect(%q) = %q, reference %q", text, got, want)
			diffs++
		}
		// In its own language, and in English and Norwegian as a user who picked one may type.
		for _, code := range []string{lt.lang, "en", "nb"} {
			if got, want := cat.Match(code, text), cat.MatchReference(code, text); !reflect.DeepEqual(got, want) {
				t.Errorf("Match(%s, %q) = %v, reference %v", code, text, got, want)
				diffs++
			}
		}
		if diffs > 20 {
			t.Fatal("too many differences")
		}
	}
}

// FuzzMatchAgreesWithReference compares Match, Normalize and Detect with the reference
// implementations on any text of normal length.
func FuzzMatchAgreesWithReference(f *testing.F) {
	cat := shippedCatalog(f)
	for _, s := range []string{"where is the office", "reisedokumenter", "والعنوان", "adres documnts", "ኣድራሻ", "пасспорт", "e\u0301", "a\xffb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 512 {
			return
		}
		if got, want := lang.Normalize(text), lang.NormalizeReference(text); got != want {
			t.Fatalf("Normalize(%q) = %q, reference %q", text, got, want)
		}
		if got, want := cat.Detect(text), cat.DetectReference(text); got != want {
			t.Fatalf("Detect(%q) = %q, reference %q", text, got, want)
		}
		for _, code := range cat.Languages() {
			if got, want := cat.Match(code, text), cat.MatchReference(code, text); !reflect.DeepEqual(got, want) {
				t.Fatalf("Match(%s, %q) = %v, reference %v", code, text, got, want)
			}
		}
	})
}

// TestNormalizeAgreesOnEveryRune compares Normalize and Detect with the reference for every rune
// the lookup table covers and the blocks around it, alone and among letters and marks, so a
// wrong table entry cannot hide behind the texts above.
func TestNormalizeAgreesOnEveryRune(t *testing.T) {
	cat := shippedCatalog(t)
	for r := rune(0); r < 0x2400; r++ {
		if r == 0x1400 {
			r = 0x1E00 // Latin Extended Additional onwards: Vietnamese letters, punctuation, symbols
		}
		c := string(r)
		for _, text := range []string{c, "a" + c + "b", c + "\u0301", "\u0301" + c, "ب" + c + "ی", "Д" + c + c, "ሰ" + c} {
			if got, want := lang.Normalize(text), lang.NormalizeReference(text); got != want {
				t.Errorf("Normalize(%q) = %q, reference %q", text, got, want)
			}
			if got, want := cat.Detect(text), cat.DetectReference(text); got != want {
				t.Errorf("Detect(%q) = %q, reference %q", text, got, want)
			}
		}
	}
}
