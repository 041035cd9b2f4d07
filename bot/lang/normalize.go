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
// The rules are fold's, applied to the text's NFKD decomposition. For the common scripts a table
// holds what they make of each rune, decomposition included, so most texts are read twice (once
// to check every rune is in the table) and never decomposed as a whole: a few nanoseconds a rune.
func Normalize(s string) string {
	decomposed := true // ASCII is its own decomposition
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			decomposed = false
			break
		}
	}
	if !decomposed && !direct(s) {
		// Invalid bytes first become spaces: NFKD would leave the rune after them undecomposed.
		s = norm.NFKD.String(strings.ToValidUTF8(s, " "))
		decomposed = true
	}
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading space
	write := func(f rune) {
		if f == foldSpace || f == ' ' {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			return
		}
		b.WriteRune(f)
		space = false
	}
	for _, r := range s {
		var f rune
		switch {
		case r < 0x80:
			f = foldASCII(r)
		case decomposed:
			if f = foldRune(r); f == foldMulti {
				b.WriteString(letterFold[unicode.ToLower(r)])
				space = false
				continue
			}
		case r == utf8.RuneError:
			// An invalid byte (direct lets no other U+FFFD through): a space, as above.
			f = foldSpace
		default:
			e, _ := runeInfo(r)
			if f = e.direct; f == foldMulti {
				for _, m := range runeTable().multi[r] {
					write(m)
				}
				continue
			}
		}
		if f != foldDrop {
			write(f)
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// What fold makes of a rune besides another rune.
const (
	foldDrop  rune = -1 // nothing: a combining mark, tatweel, a zero-width or direction mark
	foldSpace rune = -2 // a space: punctuation, symbols, white space
	foldMulti rune = -3 // more than one rune: letterFold of its lower case ("æ" -> "ae"), or in
	// runeEntry.direct the table's multi entry
	foldNFKD rune = -4 // in runeEntry.direct: only NFKD of the whole text tells
)

// foldRune is fold with the table's answer for the common scripts.
func foldRune(r rune) rune {
	if r < 0x80 {
		return foldASCII(r)
	}
	if e, ok := runeInfo(r); ok {
		return e.fold
	}
	return fold(r)
}

// fold is what Normalize writes for one rune of NFKD-decomposed text.
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

// direct reports whether Normalize may fold s rune by rune with the table's direct entries,
// without decomposing it as a whole: every rune is ASCII, an invalid byte, or in the table and
// decomposed by NFKD the same in any context.
func direct(s string) bool {
	for i, r := range s {
		switch {
		case r < 0x80:
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size != 1 {
				return false // a real U+FFFD: not in the table
			}
		default:
			if e, ok := runeInfo(r); !ok || e.direct == foldNFKD {
				return false
			}
		}
	}
	return true
}

// runeEntry is what Normalize and Detect need to know of one rune, worked out once.
type runeEntry struct {
	// fold is fold(r), for text already decomposed.
	fold rune
	// direct is what Normalize writes for r in text not decomposed: fold of each rune of r's
	// NFKD decomposition (foldMulti: see runeTables.multi). It is foldNFKD when that
	// decomposition holds a non-starter Normalize keeps: NFKD may reorder it with its
	// neighbours, so only decomposing the whole text tells. Non-starters it drops (combining
	// marks) may go anywhere.
	direct rune
	script script // scriptOf(r)
}

// runeTables is the table of runeEntry and the direct folds longer than one rune ("½" -> "1 2",
// "ﻻ" -> "لا"), in which a space stands for foldSpace.
type runeTables struct {
	entries []runeEntry
	multi   map[rune][]rune
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

var runeTable = sync.OnceValue(func() *runeTables {
	t := &runeTables{entries: make([]runeEntry, tableEntries), multi: map[rune][]rune{}}
	add := func(r rune, i int) {
		e := runeEntry{fold: fold(r), script: scriptOf(r)}
		var out []rune
		for _, x := range norm.NFKD.String(string(r)) {
			f := fold(x)
			if norm.NFKD.PropertiesString(string(x)).CCC() != 0 && f != foldDrop {
				e.direct = foldNFKD
			}
			switch f {
			case foldDrop:
			case foldSpace:
				out = append(out, ' ')
			case foldMulti:
				out = append(out, []rune(letterFold[unicode.ToLower(x)])...)
			default:
				out = append(out, f)
			}
		}
		switch {
		case e.direct == foldNFKD:
		case len(out) == 0:
			e.direct = foldDrop
		case len(out) == 1 && out[0] == ' ':
			e.direct = foldSpace
		case len(out) == 1:
			e.direct = out[0]
		default:
			e.direct = foldMulti
			t.multi[r] = out
		}
		t.entries[i] = e
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
		return runeTable().entries[r], true
	case punctStart <= r && r < punctEnd:
		return runeTable().entries[int(r)+tablePunctBase], true
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
