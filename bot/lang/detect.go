package lang

import (
	"strings"
	"unicode"
)

// detector guesses a text's language from its script, letters only some languages use, and the
// common words each locale lists under "language.words".
type detector struct {
	codes  []string
	common map[string]map[string]bool // lang -> normalised common words
}

// MsgCommonWords is the locale message listing a language's most common words, for detection.
const MsgCommonWords = "language.words"

func newDetector(c *Catalog) *detector {
	d := &detector{codes: c.codes, common: map[string]map[string]bool{}}
	for _, code := range c.codes {
		if !c.Has(code, MsgCommonWords) {
			continue
		}
		set := map[string]bool{}
		for _, w := range splitList(c.Text(code, MsgCommonWords, "")) {
			if w = Normalize(w); w != "" {
				set[w] = true
			}
		}
		d.common[code] = set
	}
	return d
}

// Letters that set one Arabic-script language apart from the others.
var distinctive = map[string]string{
	"ps":  "ټډړږښګڼېۍځڅ",
	"ckb": "ڵڕۆێەڤ",
	"fa":  "پچژگکی", // keheh and Farsi yeh: Arabic writes ك and ي
	"ar":  "ةىؤكي",
}

// Detect guesses the language of a text; see bot.Language.
func (c *Catalog) Detect(text string) string { return c.detector.detect(text) }

// script is the writing system of a rune, as far as detection cares.
type script uint8

const (
	otherScript script = iota
	arabicScript
	cyrillicScript
	ethiopicScript
	latinScript
)

// scriptOf tells which of the scripts detection counts r belongs to.
func scriptOf(r rune) script {
	switch {
	case unicode.Is(unicode.Arabic, r):
		return arabicScript
	case unicode.Is(unicode.Cyrillic, r):
		return cyrillicScript
	case unicode.Is(unicode.Ethiopic, r):
		return ethiopicScript
	case unicode.Is(unicode.Latin, r):
		return latinScript
	}
	return otherScript
}

func (d *detector) detect(text string) string {
	var count [latinScript + 1]int
	for _, r := range text {
		var sc script
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			sc = latinScript
		case r < 0x80:
			continue
		default:
			if e, ok := runeInfo(r); ok {
				sc = e.script
			} else {
				sc = scriptOf(r)
			}
		}
		count[sc]++
	}
	arabic, cyrillic, ethiopic, latin := count[arabicScript], count[cyrillicScript], count[ethiopicScript], count[latinScript]
	switch max(arabic, cyrillic, ethiopic, latin) {
	case 0:
		return ""
	case ethiopic:
		return d.shipped("ti")
	case cyrillic:
		return d.shipped("ru")
	case arabic:
		return d.arabicScript(text)
	default:
		return d.byWords(text, []string{"en", "nb", "fr", "so"}, nil)
	}
}

// arabicScript tells Arabic, Persian, Pashto and Sorani apart: distinctive letters first, common
// words to break ties; Arabic when nothing else points elsewhere.
func (d *detector) arabicScript(text string) string {
	// Each distinctive letter present counts once (not per occurrence), so one frequent letter
	// does not outweigh the common words below. One pass finds which are present.
	present := map[rune]bool{}
	for _, r := range text {
		if distinctiveLetters[r] {
			present[r] = true
		}
	}
	score := map[string]float64{}
	for code, letters := range distinctive {
		for _, l := range letters {
			if present[l] {
				score[code]++
			}
		}
	}
	// Pashto and Sorani also use the Persian letters and Arabic yeh: their own letters decide.
	if score["ps"] > 0 || score["ckb"] > 0 {
		score["fa"], score["ar"] = 0, 0
	}
	if best := d.byWords(text, []string{"ar", "fa", "ps", "ckb"}, score); best != "" {
		return best
	}
	return d.shipped("ar")
}

// distinctiveLetters are the letters of every language in distinctive.
var distinctiveLetters = func() map[rune]bool {
	m := map[rune]bool{}
	for _, letters := range distinctive {
		for _, l := range letters {
			m[l] = true
		}
	}
	return m
}()

// byWords picks among candidates by how many common words of each the text contains.
func (d *detector) byWords(text string, candidates []string, prior map[string]float64) string {
	words := strings.Fields(Normalize(text))
	best, bestScore := "", 0.0
	for _, code := range candidates {
		if d.shipped(code) == "" {
			continue
		}
		s := prior[code]
		common := d.common[code]
		for _, w := range words {
			if common[w] {
				s += 2
			}
		}
		if s > bestScore {
			best, bestScore = code, s
		}
	}
	return best
}

func (d *detector) shipped(code string) string {
	for _, c := range d.codes {
		if c == code {
			return code
		}
	}
	return ""
}
