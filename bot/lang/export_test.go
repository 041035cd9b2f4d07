package lang

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/returnbot/returnbot/bot"
)

// This file keeps the matcher, Normalize and Detect as they were before they were made linear
// in the input (issue 15), as the reference the faster code must agree with on inputs of
// normal length. They are quadratic on long words: do not call them on hostile input.

// MatchReference is Catalog.Match as it was before it was made linear.
func (c *Catalog) MatchReference(lang, text string) []bot.Match {
	idx := c.topics[lang]
	if idx == nil {
		return nil
	}
	found := idx.lookupReference(strings.Fields(NormalizeReference(text)))
	if len(found) == 0 {
		return nil
	}
	var out []bot.Match
	var mass []float64
	for _, t := range idx.topics {
		best, m := 0.0, 0.0
		counted := map[string]bool{}
		for _, p := range t.phrases {
			var have, all float64
			for _, w := range p {
				wt := idx.weight[w]
				all += wt
				if q, ok := found[w]; ok {
					have += wt * q
					if !counted[w] {
						counted[w] = true
						m += wt * q
					}
				}
			}
			if all > 0 && have/all > best {
				best = have / all
			}
		}
		if best > 0 {
			out = append(out, bot.Match{Ref: t.ref, Score: best})
			mass = append(mass, m)
		}
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		i, j := order[a], order[b]
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return mass[i] > mass[j]
	})
	sorted := make([]bot.Match, len(out))
	for k, i := range order {
		sorted[k] = out[i]
	}
	return sorted
}

func (idx *topicIndex) lookupReference(tokens []string) map[string]float64 {
	found := map[string]float64{}
	mark := func(w string, q float64) {
		if found[w] < q {
			found[w] = q
		}
	}
	for _, tok := range tokens {
		if idx.words[tok] {
			mark(tok, 1)
			continue
		}
		for _, stem := range stemsReference(tok) {
			if idx.words[stem] {
				mark(stem, 0.9)
			}
		}
		if runes := []rune(tok); letters(tok) > minCompoundTail {
			for i := 1; i < len(runes); i++ {
				tail := string(runes[i:])
				if letters(tail) < minCompoundTail {
					break
				}
				if idx.words[tail] {
					mark(tail, 0.8)
					break
				}
			}
		}
		if letters(tok) >= minFuzzyRunes-1 {
			first, _ := utf8.DecodeRuneInString(tok)
			typo := func(w string) {
				if r, _ := utf8.DecodeRuneInString(w); r == first {
					mark(w, 0.8)
				}
			}
			for _, w := range idx.deletes[tok] {
				typo(w)
			}
			for _, d := range deletions(tok) {
				if idx.words[d] && letters(d) >= minFuzzyRunes {
					typo(d)
				}
				for _, w := range idx.deletes[d] {
					typo(w)
				}
			}
		}
	}
	return found
}

func stemsReference(tok string) []string {
	var out []string
	for _, p := range []string{"وال", "بال", "فال", "لل", "ال", "و", "ب"} {
		if rest, ok := strings.CutPrefix(tok, p); ok && utf8.RuneCountInString(rest) >= 3 {
			out = append(out, rest)
		}
	}
	runes := []rune(tok)
	for n := len(runes) - 1; n >= 4 && n >= len(runes)-4; n-- {
		out = append(out, string(runes[:n]))
	}
	return out
}

// NormalizeReference is Normalize as it was before it was made faster.
func NormalizeReference(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
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

// DetectReference is Catalog.Detect as it was before it was made faster.
func (c *Catalog) DetectReference(text string) string {
	d := c.detector
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
	switch max(arabic, cyrillic, ethiopic, latin) {
	case 0:
		return ""
	case ethiopic:
		return d.shipped("ti")
	case cyrillic:
		return d.shipped("ru")
	case arabic:
		score := map[string]float64{}
		for code, letters := range distinctive {
			for _, l := range letters {
				if strings.ContainsRune(text, l) {
					score[code]++
				}
			}
		}
		if score["ps"] > 0 || score["ckb"] > 0 {
			score["fa"], score["ar"] = 0, 0
		}
		if best := d.byWordsReference(text, []string{"ar", "fa", "ps", "ckb"}, score); best != "" {
			return best
		}
		return d.shipped("ar")
	default:
		return d.byWordsReference(text, []string{"en", "nb", "fr", "so"}, nil)
	}
}

func (d *detector) byWordsReference(text string, candidates []string, prior map[string]float64) string {
	words := strings.Fields(NormalizeReference(text))
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
