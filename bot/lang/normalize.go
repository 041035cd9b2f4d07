package lang

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds text so that what a person types compares equal to what a translator wrote:
// lower case; every digit script as ASCII digits; Arabic-script letter variants (ي/ی, ك/ک, ة/ه,
// hamza forms) folded; diacritics, tatweel and zero-width joiners removed; Latin accents folded;
// punctuation as space; runs of space as one.
//
// It reads the text once or twice (NFKD only when a rune needs it) and looks most runes up in a
// table, so its cost is a few nanoseconds per rune in any script.
func Normalize(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		// Invalid bytes first become spaces: NFKD would leave the rune after them undecomposed.
		s = strings.ToValidUTF8(s, " ")
		if !nfkdInert(s) {
			s = norm.NFKD.String(s)
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading space
	for _, r := range s {
		switch f := foldRune(r); f {
		case foldDrop:
		case foldSpace:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		case foldMulti:
			b.WriteString(letterFold[unicode.ToLower(r)])
			space = false
		default:
			b.WriteRune(f)
			space = false
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// What foldRune makes of a rune besides another rune.
const (
	foldDrop  rune = -1 // nothing: a combining mark, tatweel, a zero-width or direction mark
	foldSpace rune = -2 // a space: punctuation, symbols, white space
	foldMulti rune = -3 // more than one letter: letterFold of its lower case ("æ" -> "ae")
)

// foldRune is what Normalize writes for one rune of NFKD-decomposed text: the table's entry for
// the common scripts, the rules of fold for the rest.
func foldRune(r rune) rune {
	if r < 0x80 {
		return foldASCII(r)
	}
	if e, ok := runeInfo(r); ok {
		return e.fold
	}
	return fold(r)
}

// fold is the rule foldRune applies; the table holds its results for the common scripts.
func fold(r rune) rune {
	switch {
	case r < 0x80:
		return foldASCII(r)
	case unicode.Is(unicode.Mn, r), r == 0x0640, r == 0x200C, r == 0x200D, r == 0x200E, r == 0x200F,
		0x2066 <= r && r <= 0x2069, r == 0x0621:
		// combining marks, tatweel, zero-width (non-)joiners, direction marks, isolates, lone hamza
		return foldDrop
	case unicode.IsDigit(r):
		return '0' + rune(digitValue(r))
	case 0x1200 <= r && r <= 0x137F && unicode.IsLetter(r):
		return ethiopicFold(r)
	case unicode.IsLetter(r):
		r = unicode.ToLower(r)
		if f, ok := letterFold[r]; ok {
			if utf8.RuneCountInString(f) != 1 {
				return foldMulti
			}
			r, _ = utf8.DecodeRuneInString(f)
		}
		return r
	}
	return foldSpace
}

// foldASCII is fold for ASCII: letters in lower case, digits, anything else a space.
func foldASCII(r rune) rune {
	switch {
	case 'A' <= r && r <= 'Z':
		return r + 'a' - 'A'
	case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		return r
	}
	return foldSpace
}

// nfkdInert reports whether NFKD leaves s as it is: every rune a starter without decomposition.
// Runes outside the table count as needing NFKD.
func nfkdInert(s string) bool {
	for _, r := range s {
		if r < 0x80 {
			continue
		}
		if e, ok := runeInfo(r); !ok || !e.inert {
			return false
		}
	}
	return true
}

// runeEntry is what Normalize and Detect need to know of one rune, worked out once.
type runeEntry struct {
	fold   rune   // fold(r)
	inert  bool   // NFKD leaves r alone and r is a starter
	script script // script(r)
}

// The table covers Latin, combining marks, Greek, Cyrillic, Arabic, Ethiopic (below 0x1400) and
// general punctuation with the zero-width and direction marks (0x2000-0x206F): nearly every rune
// users of the shipped languages type.
const (
	tableEnd       = 0x1400
	punctStart     = 0x2000
	punctEnd       = 0x2070
	tableEntries   = tableEnd + punctEnd - punctStart
	tablePunctBase = tableEnd - punctStart
)

var runeTable = sync.OnceValue(func() []runeEntry {
	t := make([]runeEntry, tableEntries)
	add := func(r rune, i int) {
		p := norm.NFKD.PropertiesString(string(r))
		t[i] = runeEntry{
			fold:   fold(r),
			inert:  p.CCC() == 0 && len(p.Decomposition()) == 0 && norm.NFKD.String(string(r)) == string(r),
			script: scriptOf(r),
		}
	}
	for r := rune(0); r < tableEnd; r++ {
		add(r, int(r))
	}
	for r := rune(punctStart); r < punctEnd; r++ {
		add(r, int(r)+tablePunctBase)
	}
	return t
})

// runeInfo is the table's entry for r, if the table covers it.
func runeInfo(r rune) (runeEntry, bool) {
	switch {
	case r < tableEnd:
		return runeTable()[r], true
	case punctStart <= r && r < punctEnd:
		return runeTable()[int(r)+tablePunctBase], true
	}
	return runeEntry{}, false
}

// letterFold maps letters that NFKD leaves alone but people type interchangeably.
var letterFold = map[rune]string{
	// Arabic script: one yeh, one kaf, teh marbuta and heh variants as heh, hamza carriers as bare letters.
	'ي': "ی", 'ى': "ی", 'ې': "ی", 'ۍ': "ی", 'ئ': "ی", 'ێ': "ی",
	'ك': "ک", 'ڪ': "ک",
	'ة': "ه", 'ۀ': "ه", 'ہ': "ه", 'ە': "ه", 'ھ': "ه",
	'أ': "ا", 'إ': "ا", 'آ': "ا", 'ٱ': "ا",
	'ؤ': "و",
	// Sorani and Pashto letters that many phones make hard to type: the plain letter stands in.
	'ۆ': "و", 'ڕ': "ر", 'ڵ': "ل", 'ګ': "گ",
	// Latin letters without a decomposition.
	'ø': "o", 'Ø': "o", 'æ': "ae", 'Æ': "ae", 'ß': "ss", 'œ': "oe", 'Œ': "oe", 'đ': "d", 'Đ': "d",
	'ł': "l", 'Ł': "l", 'ı': "i",
	// Cyrillic yo as ye, as most Russian writers type it.
	'ё': "е", 'Ё': "е",
}

// digitValue is the value of a decimal digit in any script. Unicode puts each script's digits in
// a run of ten starting at zero, and Go's tables keep each run as one range, so the offset from
// the range start, modulo ten, is the digit.
func digitValue(r rune) int {
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	return 0
}

// Normalize folds text for comparison; see the package function Normalize.
func (c *Catalog) Normalize(s string) string { return Normalize(s) }

// ethiopicFold maps Ethiopic letters that sound the same and that writers mix up to one series:
// ሐ and ኀ to ሀ, ሠ to ሰ, ዐ to አ, ፀ to ጸ, and the a-forms ኣ and ዓ to አ.
func ethiopicFold(r rune) rune {
	switch {
	case r == 0x12A3 || r == 0x12D3: // ኣ ዓ
		return 0x12A0 // አ
	case 0x1210 <= r && r <= 0x1217: // ሐ series
		return r - 0x10
	case 0x1280 <= r && r <= 0x1287: // ኀ series
		return r - 0x80
	case 0x1220 <= r && r <= 0x1227: // ሠ series
		return r + 0x10
	case 0x12D0 <= r && r <= 0x12D7: // ዐ series
		return r - 0x30
	case 0x1340 <= r && r <= 0x1347: // ፀ series
		return r - 0x08
	}
	return r
}
