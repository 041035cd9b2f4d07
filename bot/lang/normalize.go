package lang

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds text so that what a person types compares equal to what a translator wrote:
// lower case; every digit script as ASCII digits; Arabic-script letter variants (ي/ی, ك/ک, ة/ه,
// hamza forms) folded; diacritics, tatweel and zero-width joiners removed; Latin accents folded;
// punctuation as space; runs of space as one.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading space
	put := func(r rune) {
		if r == ' ' {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			return
		}
		b.WriteRune(r)
		space = false
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		// Invalid bytes first become spaces: NFKD would leave the rune after them undecomposed.
		s = norm.NFKD.String(strings.ToValidUTF8(s, " "))
	}
	for _, r := range s {
		switch {
		case r < 0x80:
			switch {
			case 'A' <= r && r <= 'Z':
				put(r + 'a' - 'A')
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				put(r)
			default:
				put(' ')
			}
		case unicode.Is(unicode.Mn, r), r == 0x0640, r == 0x200C, r == 0x200D, r == 0x200E, r == 0x200F,
			0x2066 <= r && r <= 0x2069, r == 0x0621:
			// combining marks, tatweel, zero-width (non-)joiners, direction marks, isolates, lone hamza
		case unicode.IsDigit(r):
			put('0' + rune(digitValue(r)))
		case 0x1200 <= r && r <= 0x137F && unicode.IsLetter(r):
			put(ethiopicFold(r))
		case unicode.IsLetter(r):
			r = unicode.ToLower(r)
			if f, ok := letterFold[r]; ok {
				for _, fr := range f {
					put(fr)
				}
				continue
			}
			put(r)
		default:
			put(' ')
		}
	}
	return strings.TrimSuffix(b.String(), " ")
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
