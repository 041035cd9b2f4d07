package telegram_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot/telegram"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"fits", "short text", 20, []string{"short text"}},
		{"exact", "0123456789", 10, []string{"0123456789"}},
		{"paragraphs", "first para.\n\nsecond para.\n\nthird.", 26, []string{"first para.\n\nsecond para.", "third."}},
		{"lines before words", "line one\nline two three", 15, []string{"line one", "line two three"}},
		{"words", "alpha beta gamma delta", 11, []string{"alpha beta", "gamma delta"}},
		{"hard cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"utf16: emoji count 2", "😀😀😀", 4, []string{"😀😀", "😀"}},
		{"odd max and emoji", "😀😀😀", 3, []string{"😀", "😀", "😀"}},
		{"combining mark stays", "abe\u0301cd", 3, []string{"ab", "e\u0301c", "d"}},
		{"persian words", "سلام دوست من چطوری", 9, []string{"سلام دوست", "من چطوری"}},
		{"no-break space is not a break", "a\u00a0b c", 3, []string{"a\u00a0b", "c"}},
	} {
		got := telegram.Split(tc.text, tc.max)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: Split(%q, %d) = %q, want %q", tc.name, tc.text, tc.max, got, tc.want)
		}
	}
}

// TestSplitProperties: pieces fit, are valid UTF-8, are never empty, and keep every
// non-space character in order.
func TestSplitProperties(t *testing.T) {
	words := []string{"Hei", "سلام", "😀", "нет", "e\u0301", "ጤና", "\n", "\n\n", "longlonglonglonglonglonglongword", " "}
	var b strings.Builder
	seed := uint32(7)
	for b.Len() < 40000 {
		seed = seed*1664525 + 1013904223
		b.WriteString(words[seed>>16%uint32(len(words))])
		b.WriteByte(' ')
	}
	text := b.String()
	for _, max := range []int{5, 17, 100, 4096} {
		got := telegram.Split(text, max)
		var joined strings.Builder
		for _, p := range got {
			if p == "" || !utf8.ValidString(p) || telegram.UTF16Len(p) > max {
				t.Fatalf("max %d: bad piece %q", max, p)
			}
			joined.WriteString(p)
		}
		if strip(joined.String()) != strip(text) {
			t.Fatalf("max %d: pieces lose or reorder text", max)
		}
	}
}

func strip(s string) string {
	return strings.Join(strings.Fields(s), "")
}

func FuzzSplit(f *testing.F) {
	f.Add("paragraph one\n\nparagraph two with words", 10)
	f.Add("😀e\u0301\u200d😀", 2)
	f.Fuzz(func(t *testing.T, text string, max int) {
		if max < 2 || max > 5000 || !utf8.ValidString(text) {
			return
		}
		var joined strings.Builder
		for _, p := range telegram.Split(text, max) {
			if p == "" || telegram.UTF16Len(p) > max {
				t.Fatalf("bad piece %q for max %d", p, max)
			}
			joined.WriteString(p)
		}
		if strip(joined.String()) != strip(text) {
			t.Fatalf("pieces lose text")
		}
	})
}
