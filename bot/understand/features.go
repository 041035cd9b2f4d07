package understand

import (
	"strings"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot/lang"
)

// MaxRunes is how much of a message the models read. The engine refuses longer messages than
// bot.MaxTextRunes; within that, a person's first lines say what they need, and the cap keeps one
// message's cost that of a short one.
const MaxRunes = 300

// Kinds of feature, mixed into the hash so that a word and a letter run never collide on purpose.
const (
	kindWord   = 1
	kindBigram = 2
	kindChars  = 3
)

// Character n-grams are taken inside words, padded with a boundary mark, from minGram to maxGram
// letters (a word of one letter is a word feature): they carry typos, missing diacritics and Latin-letter spellings that words miss.
const (
	minGram = 3
	maxGram = 4
)

// features appends the hashed features of a normalised text to dst: words, word pairs and
// character n-grams within word boundaries. Its cost is linear in the length of the text.
func features(dst []uint64, norm string, chars, words bool) []uint64 {
	var buf [MaxRunes + 2]rune
	prev := uint64(0)
	n := 0
	for tok := range strings.FieldsSeq(norm) {
		if n >= MaxRunes {
			break
		}
		r := buf[:0]
		r = append(r, '^')
		for _, c := range tok {
			if n >= MaxRunes {
				break
			}
			n++
			r = append(r, c)
		}
		r = squeeze(r)
		r = append(r, '$')
		if words {
			h := hashRunes(kindWord, r[1:len(r)-1])
			dst = append(dst, h)
			if prev != 0 {
				dst = append(dst, mix(kindBigram, prev, h))
			}
			prev = h
		}
		if chars {
			for i := 0; i < len(r); i++ {
				for g := minGram; g <= maxGram && i+g <= len(r); g++ {
					dst = append(dst, hashRunes(kindChars, r[i:i+g]))
				}
			}
		}
	}
	return dst
}

// squeeze turns a letter typed three times or more in a row ("hiiii", "pleeease", "ممممنون")
// into that letter once, in place: people stretch words, the examples mostly do not. Doubled
// letters stay ("salaam", "takk").
func squeeze(r []rune) []rune {
	out := r[:0]
	for i := 0; i < len(r); {
		j := i + 1
		for j < len(r) && r[j] == r[i] {
			j++
		}
		if j-i >= 3 {
			out = append(out, r[i])
		} else {
			out = append(out, r[i:j]...)
		}
		i = j
	}
	return out
}

// textFeatures normalises a text and returns its features.
func textFeatures(dst []uint64, text string, chars, words bool) []uint64 {
	return features(dst, lang.Normalize(clip(text)), chars, words)
}

// clip cuts a text to a few bytes per rune the models read (at a rune boundary), so that
// everything done with a message (normalising, the rules, the keyword lists) costs no more
// than for a short one.
func clip(s string) string {
	limit := 4 * MaxRunes
	if len(s) <= limit {
		return s
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit]
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashRunes(kind uint64, rs []rune) uint64 {
	h := uint64(fnvOffset) ^ kind
	h *= fnvPrime
	for _, r := range rs {
		h ^= uint64(r)
		h *= fnvPrime
	}
	// The kind goes in the top two bits (kindOf); never 0: 0 means "no previous word".
	return h&^(3<<62) | kind<<62 | 1
}

func mix(kind, a, b uint64) uint64 {
	h := uint64(fnvOffset) ^ kind
	h = (h ^ a) * fnvPrime
	h = (h ^ (b >> 7) ^ (b << 3)) * fnvPrime
	return h&^(3<<62) | kind<<62 | 1
}
