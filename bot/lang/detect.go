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

func (d *detector) detect(text string) string {
	var arabic, cyrillic, ethiopic, latin int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Arabic, r):
			arabic++
		case unicode.Is(unicode.Cyrillic, r):
			cyrillic++
		case unicode.Is(unicode.Ethiopic, r):
			ethiopic++
		case unicode.Is(unicode.Latin, r):
			latin++
		}
	}
	switch max4(arabic, cyrillic, ethiopic, latin) {
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
	// does not outweigh the common words below.
	score := map[string]float64{}
	for code, letters := range distinctive {
		for _, l := range letters {
			if strings.ContainsRune(text, l) {
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

// byWords picks among candidates by how many common words of each the text contains.
func (d *detector) byWords(text string, candidates []string, prior map[string]float64) string {
	words := strings.Fields(Normalize(text))
	best, bestScore := "", 0.0
	for _, code := range candidates {
		if d.shipped(code) == "" {
			continue
		}
		s := prior[code]
		for _, w := range words {
			if d.common[code][w] {
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

func max4(a, b, c, e int) int { return max(a, b, c, e) }
