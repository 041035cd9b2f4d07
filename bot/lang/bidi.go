package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const lri = "\u2066" // left-to-right isolate

// Display prepares a text for showing to a reader of lang. In right-to-left languages every run
// of left-to-right characters — a Latin word (IOM, UDI), a command (/forget), a visit code, a
// URL, a phone number, a time range or a date — is wrapped in a left-to-right isolate. Without
// it the Unicode bidi algorithm reorders such runs by their neighbours: "/forget" shows as
// "forget/", "10:00–15:00" as "15:00–10:00", and a line that starts with "IOM" becomes a
// left-to-right paragraph on Telegram and WhatsApp, which take a paragraph's direction from its
// first strong letter (isolates are skipped there). Other languages get the text unchanged.
//
// Regions already isolated (the office's template values) are kept as they are, so Display is
// idempotent. It reads the text once: the cost is linear in its length.
func Display(lang, s string) string {
	if !RightToLeft[lang] || !needsIsolation(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for len(s) > 0 {
		line, rest, found := strings.Cut(s, "\n")
		displayLine(&b, line)
		if found {
			b.WriteByte('\n')
		}
		s = rest
	}
	return b.String()
}

// displayLine writes one paragraph with its left-to-right runs isolated. A paragraph with no
// right-to-left letter (a counsellor's line in Norwegian, a phone number alone) is shown left to
// right anyway and is written as it is.
func displayLine(b *strings.Builder, s string) {
	if !hasRTLLetter(s) {
		b.WriteString(s)
		return
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case isIsolateStart(r):
			end := isolateEnd(s, i)
			b.WriteString(s[i:end])
			i = end
		case startsLTRRun(s, i, r):
			end := ltrRunEnd(s, i)
			if onlyDigits(s[i:end]) {
				b.WriteString(s[i:end]) // a lone number keeps its order in any paragraph
			} else {
				b.WriteString(lri)
				b.WriteString(s[i:end])
				b.WriteString(pdi)
			}
			i = end
		default:
			b.WriteString(s[i : i+n])
			i += n
		}
	}
}

// hasRTLLetter reports whether s holds a Hebrew or Arabic-script letter (digits aside).
func hasRTLLetter(s string) bool {
	for _, r := range s {
		if r >= '\u0590' && r <= '\u08ff' && !(r >= '\u0660' && r <= '\u0669' || r >= '\u06f0' && r <= '\u06f9') || r >= '\ufb1d' && r <= '\ufdff' || r >= '\ufe70' && r <= '\ufefc' {
			return true
		}
	}
	return false
}

// Display implements bot.Language.
func (c *Catalog) Display(lang, text string) string { return Display(lang, text) }

// needsIsolation reports whether s holds any character that can start a left-to-right run, so
// the common all-Arabic-script text is returned without a copy.
func needsIsolation(s string) bool {
	for _, r := range s {
		if isLTRCore(r) {
			return true
		}
	}
	return false
}

func isIsolateStart(r rune) bool { return r == '\u2066' || r == '\u2067' || r == '\u2068' }

// isolateEnd is the index after the PDI that closes the isolate opened at i (nested isolates
// counted), or len(s) when it is never closed.
func isolateEnd(s string, i int) int {
	depth := 0
	for j, r := range s[i:] {
		switch {
		case isIsolateStart(r):
			depth++
		case r == '\u2069':
			depth--
			if depth == 0 {
				return i + j + utf8.RuneLen(r)
			}
		}
	}
	return len(s)
}

// isLTRCore is a character that makes a run left-to-right: a Latin letter or a digit (European,
// Arabic-Indic or extended Arabic-Indic: all three are reordered as numbers in right-to-left text).
func isLTRCore(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	case r >= '\u0660' && r <= '\u0669', r >= '\u06f0' && r <= '\u06f9':
		return true
	case r >= '\u0590' && r <= '\u08ff', r >= '\ufb1d' && r <= '\ufeff', r >= '\u2000' && r <= '\u206f':
		return false // right-to-left scripts and general punctuation: the bulk of the text, decided without a table
	}
	return unicode.Is(unicode.Latin, r)
}

// isJoiner may stand inside a left-to-right run, between two core characters: the punctuation
// of times, dates, phone numbers, URLs, commands and codes, and spaces between Latin words.
func isJoiner(r rune) bool {
	switch r {
	case ' ', '\u00a0', '\u202f', '.', ':', '/', '-', '\u2013', '_', '@', '#', '?', '=', '&', '%', '+', ',', '\'', '~':
		return true
	}
	return unicode.Is(unicode.Mn, r) // accents on Latin letters
}

// onlyDigits reports whether a run is a bare number, which needs no isolate.
func onlyDigits(run string) bool {
	for _, r := range run {
		if !(r >= '0' && r <= '9' || r >= '\u0660' && r <= '\u0669' || r >= '\u06f0' && r <= '\u06f9') {
			return false
		}
	}
	return true
}

// endsSentence is a joiner that, at the end of a run, belongs to the text around it.
func endsSentence(r rune) bool {
	switch r {
	case ' ', '\u00a0', '\u202f', '.', ':', ',', '?', '\'', '-', '\u2013', '&', '=', '~', '@', '#', '+', '_':
		return true
	}
	return false
}

// startsLTRRun: a core character, or a sign that leads one ("/menu", "+47 …", "#code").
func startsLTRRun(s string, i int, r rune) bool {
	if isLTRCore(r) {
		return true
	}
	if r != '/' && r != '+' && r != '#' && r != '@' {
		return false
	}
	next, _ := utf8.DecodeRuneInString(s[i+1:])
	return isLTRCore(next)
}

// ltrRunEnd is the end of the left-to-right run starting at i: it takes core characters and
// joiners, and gives back trailing spaces and punctuation (a full stop or comma after a number
// belongs to the sentence around it); a URL keeps its final slash.
func ltrRunEnd(s string, i int) int {
	end := i
	for j := i; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		if isLTRCore(r) || isJoiner(r) && !endsSentence(r) {
			end = j + n
		} else if !isJoiner(r) {
			break
		}
		j += n
	}
	return end
}
