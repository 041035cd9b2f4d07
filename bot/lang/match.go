package lang

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot"
)

// topicIndex is one language's keywords: phrases per topic and, per word, how telling it is.
type topicIndex struct {
	topics []topic
	// weight is a word's inverse topic frequency: a word used by one topic counts more than a
	// word shared by many.
	weight map[string]float64
	// deletes maps each word with one letter removed to the words it came from, so one typo is
	// found with a few map look-ups instead of comparing against every word.
	deletes map[string][]string
	// words holds every keyword, for exact, stem, compound-tail and typo look-ups.
	words map[string]bool
	// maxRunes is the longest keyword in runes: longer pieces of a text need no look-up.
	maxRunes int
}

type topic struct {
	ref     string
	phrases [][]string
}

// minFuzzyRunes is the shortest word in which one typo is tolerated.
const minFuzzyRunes = 6

// minCompoundTail is the shortest keyword found at the end of a longer compound word.
const minCompoundTail = 6

// commonWordWeight scales the weight of a language's most common words (language.words) and of
// one- and two-letter words: "je", "вам" or "the" in a phrase must not decide a topic.
const commonWordWeight = 0.2

// IndexTopics builds the matching index from topic keyword lists: ref ("flow.node") -> message ID
// of a comma-separated list of words and phrases in each language.
func (c *Catalog) IndexTopics(topics map[string]string) {
	refs := make([]string, 0, len(topics))
	for ref := range topics {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	c.topics = map[string]*topicIndex{}
	for _, code := range c.codes {
		idx := &topicIndex{weight: map[string]float64{}, deletes: map[string][]string{}, words: map[string]bool{}}
		df := map[string]int{}
		common := map[string]bool{}
		for _, w := range splitList(c.Text(code, MsgCommonWords, "")) {
			common[Normalize(w)] = true
		}
		for _, ref := range refs {
			t := topic{ref: ref}
			seen := map[string]bool{}
			for _, p := range splitList(c.Text(code, topics[ref], "")) {
				words := strings.Fields(Normalize(p))
				if len(words) == 0 {
					continue
				}
				t.phrases = append(t.phrases, words)
				for _, w := range words {
					if !seen[w] {
						seen[w] = true
						df[w]++
					}
				}
			}
			idx.topics = append(idx.topics, t)
		}
		n := float64(len(refs))
		for w, d := range df {
			idx.weight[w] = 1 + math.Log(n/float64(d))
			if common[w] || letters(w) <= 2 {
				idx.weight[w] *= commonWordWeight
			}
			idx.words[w] = true
			idx.maxRunes = max(idx.maxRunes, utf8.RuneCountInString(w))
			if letters(w) >= minFuzzyRunes {
				for _, d := range deletions(w) {
					idx.deletes[d] = append(idx.deletes[d], w)
				}
			}
		}
		c.topics[code] = idx
	}
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '\n' || r == ';' || r == '،' || r == '؛' || r == '፣' || r == '፤'
	})
}

// letters is a word's length for the length rules, in Latin-letter equivalents: an Ethiopic
// character is a whole syllable (two), and Arabic script leaves short vowels unwritten (one and a
// half), so "رد" (rejected) is not a throwaway two-letter word.
func letters(w string) int { return halfLetters(w) / 2 }

// halfLetters is twice letters(w), before rounding down.
func halfLetters(w string) int {
	halves := 0
	for _, r := range w {
		halves += runeHalves(r)
	}
	return halves
}

// runeHalves is what one rune counts for in letters, in half letters.
func runeHalves(r rune) int {
	switch {
	case 0x1200 <= r && r <= 0x137F:
		return 4
	case 0x0600 <= r && r <= 0x06FF:
		return 3
	}
	return 2
}

// deletions lists w with each one rune removed.
func deletions(w string) []string {
	out := make([]string, 0, len(w))
	for i := range w {
		_, size := utf8.DecodeRuneInString(w[i:])
		out = append(out, w[:i]+w[i+size:])
	}
	return out
}

// Match scores each topic against a free text; see bot.Language. A phrase scores the weighted
// share of its words found in the text; a topic scores its best phrase.
func (c *Catalog) Match(lang, text string) []bot.Match {
	idx := c.topics[lang]
	if idx == nil {
		return nil
	}
	found := idx.lookup(strings.Fields(Normalize(text)))
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
	// Equal scores are settled by how much of the text each topic explains: in "will the police
	// know if I contact you", "will the police know" outweighs "contact".
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

// lookup maps each keyword the text contains to how sure the find is: 1 for the word itself,
// less for a longer form of it or a word one typo away.
//
// Its cost is linear in the text: apart from one look-up of each whole token, every look-up is
// of a piece no longer than the longest keyword (plus the one letter a typo adds), so a
// 4,096-letter "word" costs a few dozen look-ups, not thousands of copies of itself.
func (idx *topicIndex) lookup(tokens []string) map[string]float64 {
	found := map[string]float64{}
	mark := func(w string, q float64) {
		if found[w] < q {
			found[w] = q
		}
	}
	var buf []byte // one deletion at a time, looked up without allocating
	for _, tok := range tokens {
		if idx.words[tok] {
			mark(tok, 1)
			continue
		}
		n := utf8.RuneCountInString(tok)
		idx.stems(tok, n, mark)
		// The end of a compound word ("pengestøtte" -> "støtte",
		// "reisedokumenter" -> "dokumenter"): Norwegian, Somali and others glue words together.
		// The longest tail that is a keyword wins; tails longer than every keyword are skipped.
		if halves := halfLetters(tok); halves/2 > minCompoundTail {
			i := 0
			for off, r := range tok {
				if i > 0 && n-i <= idx.maxRunes {
					if halves/2 < minCompoundTail {
						break
					}
					if tail := tok[off:]; idx.words[tail] {
						mark(tail, 0.8)
						break
					}
				}
				halves -= runeHalves(r)
				i++
			}
		}
		// One typo changes the length by one letter at most: a token two letters longer than
		// every keyword is no typo of any.
		if letters(tok) >= minFuzzyRunes-1 && n <= idx.maxRunes+1 {
			// People rarely mistype the first letter; requiring it keeps "pouvez" from
			// matching "ouvrez" and "знаете" from matching "узнает".
			first, _ := utf8.DecodeRuneInString(tok)
			typo := func(w string) {
				if r, _ := utf8.DecodeRuneInString(w); r == first {
					mark(w, 0.8)
				}
			}
			for _, w := range idx.deletes[tok] { // tok lacks one letter of w
				typo(w)
			}
			for i := range tok {
				_, size := utf8.DecodeRuneInString(tok[i:])
				buf = append(append(buf[:0], tok[:i]...), tok[i+size:]...)
				if idx.words[string(buf)] {
					if d := string(buf); letters(d) >= minFuzzyRunes {
						typo(d) // tok has one letter too many
					}
				}
				for _, w := range idx.deletes[string(buf)] { // one letter differs
					typo(w)
				}
			}
		}
	}
	return found
}

// stems marks the shorter forms of a token of n runes that are keywords: Arabic-script words
// without a leading article or conjunction, and any word cut down to a prefix of at least four
// letters ("documents" -> "document", "adressen" -> "adresse"). Forms longer than every keyword
// are not looked up.
func (idx *topicIndex) stems(tok string, n int, mark func(string, float64)) {
	for _, p := range []string{"وال", "بال", "فال", "لل", "ال", "و", "ب"} {
		if rest, ok := strings.CutPrefix(tok, p); ok {
			if m := n - utf8.RuneCountInString(p); m >= 3 && m <= idx.maxRunes && idx.words[rest] {
				mark(rest, 0.9)
			}
		}
	}
	// Prefixes of n-1 down to n-4 runes (and at least 4): cut the last runes off one by one.
	end := len(tok)
	for k := n - 1; k >= 4 && k >= n-4; k-- {
		_, size := utf8.DecodeLastRuneInString(tok[:end])
		end -= size
		if k <= idx.maxRunes && idx.words[tok[:end]] {
			mark(tok[:end], 0.9)
		}
	}
}
