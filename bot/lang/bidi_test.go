package lang

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot/internal/bidiview"
)

func visual(t *testing.T, line string) string {
	t.Helper()
	v, err := bidiview.Visual(line)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func paragraphRTL(line string) bool { return bidiview.ParagraphRTL(line) }

func TestDisplayKeepsLeftToRightRunsInOrder(t *testing.T) {
	cases := []struct {
		lang, text string
		// shows must appear, read left to right, in what the reader sees; never must not.
		shows, never []string
		rtl          bool // the paragraph must stay right to left
	}{
		{"ar", "اكتب /forget لحذف بياناتك", []string{"/forget"}, []string{"forget/"}, true},
		{"fa", "برای منو /menu را بنویسید", []string{"/menu"}, []string{"menu/"}, true},
		{"ar", "يفتح المكتب يوم الثلاثاء، 10:00–15:00", []string{"10:00–15:00"}, []string{"15:00–10:00"}, true},
		{"ckb", "کاتژمێر ۱۰:۰۰–۱۵:۰۰", []string{"۱۰:۰۰–۱۵:۰۰"}, []string{"۱۵:۰۰–۱۰:۰۰"}, true},
		{"ps", "IOM د کډوالۍ نړیوال سازمان دی", []string{"IOM"}, nil, true},
		{"ar", "IOM هي وكالة الأمم المتحدة للهجرة", []string{"IOM"}, nil, true},
		{"fa", "تیلفون: +47 23 10 53 20", []string{"+47 23 10 53 20"}, []string{"20 53 10 23 +47", "23 +47"}, true},
		{"ar", "رمز زيارتك: K7QM-4821", []string{"K7QM-4821"}, []string{"4821-K7QM"}, true},
		{"fa", "فورم آنلاین https://www.udi.no/en/ را ببینید.", []string{"https://www.udi.no/en/"}, nil, true},
		{"ar", "موعدك: الثلاثاء 02.12.2026، 10:00–15:00", []string{"02.12.2026", "10:00–15:00"}, []string{"2026.12.02"}, true},
	}
	for _, c := range cases {
		before := visual(t, c.text)
		got := Display(c.lang, c.text)
		after := visual(t, got)
		for _, s := range c.shows {
			if !strings.Contains(after, s) {
				t.Errorf("%s %q: the reader sees %q, without %q (before Display: %q)", c.lang, c.text, after, s, before)
			}
		}
		for _, s := range c.never {
			if strings.Contains(after, s) {
				t.Errorf("%s %q: the reader sees %q, with %q", c.lang, c.text, after, s)
			}
		}
		if c.rtl && !paragraphRTL(got) {
			t.Errorf("%s %q: the paragraph turned left to right", c.lang, c.text)
		}
		if Display(c.lang, got) != got {
			t.Errorf("%s %q: Display is not idempotent", c.lang, c.text)
		}
	}
}

// The test above must be able to fail: without Display the same texts show the known defects.
func TestVisualShowsTheDefectsDisplayFixes(t *testing.T) {
	if v := visual(t, "اكتب /forget لحذف بياناتك"); !strings.Contains(v, "forget/") {
		t.Errorf("raw command shows as %q; expected the reversed forget/", v)
	}
	if v := visual(t, "يفتح المكتب 10:00–15:00"); !strings.Contains(v, "15:00–10:00") {
		t.Errorf("raw hours show as %q; expected the reversed 15:00–10:00", v)
	}
	if paragraphRTL("IOM هي وكالة الأمم المتحدة للهجرة") {
		t.Error("a line that starts with IOM should be a left-to-right paragraph before Display")
	}
}

func TestDisplayLeavesOtherTextAlone(t *testing.T) {
	for _, c := range []struct{ lang, text string }{
		{"en", "Write /forget to delete your data. Open 10:00–15:00."},
		{"nb", "Skriv /menu"},
		{"ar", "مرحبا بك"},
		{"ar", "العنوان: \u2068Skippergata 33\u2069"}, // already isolated
		{"fa", ""},
		{"ar", "عندنا 20 موظف"}, // a lone number keeps its order anyway
		{"fa", "مشاور:\nHei! Vi kan hjelpe deg."}, // a left-to-right line is a left-to-right paragraph
	} {
		if got := Display(c.lang, c.text); got != c.text {
			t.Errorf("%s %q became %q", c.lang, c.text, got)
		}
	}
}

func TestDisplayKeepsSentencePunctuationOutside(t *testing.T) {
	got := Display("ar", "اتصل بنا على 23 10 53 20.")
	if want := "اتصل بنا على \u206623 10 53 20\u2069."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzDisplay(f *testing.F) {
	f.Add("ar", "اكتب /forget أو /menu، 10:00–15:00 +47 23 10 53 20")
	f.Add("fa", "\u2068IOM\u2069 \u2066x")
	f.Fuzz(func(t *testing.T, lang, s string) {
		got := Display(lang, s)
		if !RightToLeft[lang] {
			if got != s {
				t.Fatalf("changed a left-to-right text")
			}
			return
		}
		if utf8.ValidString(s) && strings.Map(func(r rune) rune {
			if r == '\u2066' || r == '\u2069' {
				return -1
			}
			return r
		}, got) != strings.Map(func(r rune) rune {
			if r == '\u2066' || r == '\u2069' {
				return -1
			}
			return r
		}, s) {
			t.Fatalf("Display changed more than isolates: %q → %q", s, got)
		}
		if Display(lang, got) != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, Display(lang, got))
		}
	})
}

func BenchmarkDisplay(b *testing.B) {
	s := strings.Repeat("مكتبنا في \u2068Skippergata 33\u2069، الطابق 4. اكتب /menu أو اتصل +47 23 10 53 20. ", 8)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		Display("ar", s)
	}
}
