package telegram

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTextUnits is the longest text Telegram accepts in one message, counted as Telegram counts:
// in UTF-16 code units (a character outside the Basic Multilingual Plane, like most emoji, is 2).
const MaxTextUnits = 4096

// Split cuts text into pieces of at most max UTF-16 code units each, preferring to cut between
// paragraphs, then between lines, then between words; only a single word longer than max is cut
// inside, and never inside a character or before a combining mark. The separator at a cut is
// dropped; pieces are never empty. A text that fits is returned as is.
func Split(text string, max int) []string {
	if max <= 0 {
		max = MaxTextUnits
	}
	var out []string
	for text != "" {
		end, fits := prefix(text, max)
		if fits {
			out = append(out, text)
			break
		}
		cut, next := cutPoint(text, end)
		if piece := strings.TrimRightFunc(text[:cut], unicode.IsSpace); piece != "" {
			out = append(out, piece)
		}
		text = text[next:]
	}
	return out
}

// UTF16Len is the length of s in UTF-16 code units.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

func runeUnits(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// prefix returns the byte length of the longest prefix of s within max UTF-16 units, and whether
// that is all of s.
func prefix(s string, max int) (int, bool) {
	units := 0
	for i, r := range s {
		units += runeUnits(r)
		if units > max {
			return i, false
		}
	}
	return len(s), true
}

// cutPoint chooses where to cut s given that s[:end] is the most that fits: it returns the end of
// the piece and where the rest starts.
func cutPoint(s string, end int) (cut, next int) {
	// A paragraph break, a line break, then any space; a separator may start right at end (it
	// is dropped, so it need not fit). A cut at the very start would make no progress.
	for _, sep := range []string{"\n\n", "\n"} {
		look := s[:min(len(s), end+len(sep))]
		if i := strings.LastIndex(look, sep); i > 0 {
			return i, skipSpace(s, i)
		}
	}
	if r, _ := utf8.DecodeRuneInString(s[end:]); breakable(r) && end > 0 {
		return end, skipSpace(s, end)
	}
	if i := strings.LastIndexFunc(s[:end], breakable); i > 0 {
		return i, skipSpace(s, i)
	}
	// One word longer than a message: cut before the last character that fits, backing off over
	// combining marks and joiners so an accent or an emoji sequence stays with its character.
	cut = end
	for cut > 0 {
		r, _ := utf8.DecodeRuneInString(s[cut:])
		if !unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) && r != '\u200d' {
			break
		}
		_, size := utf8.DecodeLastRuneInString(s[:cut])
		cut -= size
	}
	if cut == 0 {
		cut = end // a character with absurdly many marks: cut anyway
	}
	if cut == 0 {
		// max smaller than one character: take the character whole.
		_, cut = utf8.DecodeRuneInString(s)
	}
	return cut, cut
}

// breakable reports whether a line may break at r (a space, but not a no-break space).
func breakable(r rune) bool {
	return unicode.IsSpace(r) && r != '\u00a0' && r != '\u202f' && r != '\u2007'
}

// skipSpace returns the index of the first non-space byte of s at or after i.
func skipSpace(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}
