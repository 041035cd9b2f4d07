// Package bidiview shows a line of text as a reader sees it, for tests of right-to-left
// rendering: the Unicode bidi algorithm's paragraph direction and visual order.
package bidiview

import (
	"strings"

	"golang.org/x/text/unicode/bidi"
)

// ParagraphRTL applies the bidi algorithm's rules P2 and P3, as Telegram and WhatsApp do for a
// paragraph: the first strong letter outside isolates decides its direction (none: left to right).
func ParagraphRTL(line string) bool {
	depth := 0
	for _, r := range line {
		p, _ := bidi.LookupRune(r)
		switch c := p.Class(); {
		case c == bidi.LRI || c == bidi.RLI || c == bidi.FSI:
			depth++
		case c == bidi.PDI:
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case c == bidi.L:
			return false
		case c == bidi.R || c == bidi.AL:
			return true
		}
	}
	return false
}

// Visual is what a reader sees of one line, left to right, computed with x/text's bidi
// implementation (the levels of its runs; none of the texts here nests deeper than level 2).
// Invisible direction marks are dropped.
func Visual(line string) (string, error) {
	var p bidi.Paragraph
	dir := bidi.LeftToRight
	if ParagraphRTL(line) {
		dir = bidi.RightToLeft
	}
	if _, err := p.SetString(line, bidi.DefaultDirection(dir)); err != nil {
		return "", err
	}
	o, err := p.Order()
	if err != nil {
		return "", err
	}
	runs := make([]string, o.NumRuns())
	for i := range runs {
		r := o.Run(i)
		s := r.String()
		if r.Direction() == bidi.RightToLeft {
			s = bidi.ReverseString(s)
		}
		runs[i] = s
	}
	if dir == bidi.RightToLeft {
		for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
			runs[i], runs[j] = runs[j], runs[i]
		}
	}
	if len(line) == 0 {
		return "", nil
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("\u2066\u2067\u2068\u2069\u200e\u200f", r) {
			return -1
		}
		return r
	}, strings.Join(runs, "")), nil
}
