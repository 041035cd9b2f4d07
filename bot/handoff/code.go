package handoff

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strings"
)

// CodeAlphabet has no letters or digits that are easily confused when read aloud or typed:
// no 0/O, 1/I/L, 5/S, 2/Z or 8/B.
const CodeAlphabet = "34679ACDEFGHJKMNPQRTUVWXY"

// CodeLength is the number of characters in a code, shown as two groups of four (ACD3-46KM).
const CodeLength = 8

// CodeSpace is how many codes there are: 25^8 ≈ 1.5e11. It is what makes guessing a live code
// at the look-up rate limit take years (docs/telegram.md, TestGuessingTakesYears).
const CodeSpace uint64 = 25 * 25 * 25 * 25 * 25 * 25 * 25 * 25

// CodePattern matches a code as the bot writes it, for tests and tools that read codes from texts.
const CodePattern = `[` + CodeAlphabet + `]{4}-[` + CodeAlphabet + `]{4}`

// Codes turns a counter into visit codes. The counter passes through a keyed permutation, so
// distinct counter values always give distinct codes (no collisions, no retry) while consecutive
// visits get unrelated-looking codes that cannot be guessed from one another.
type Codes struct {
	keys [4]uint64
}

// NewCodes derives the permutation key from the secret.
func NewCodes(secret []byte) *Codes {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("returnbot visit codes v2"))
	sum := m.Sum(nil)
	var c Codes
	for i := range c.keys {
		c.keys[i] = binary.BigEndian.Uint64(sum[8*i:])
	}
	return &c
}

// Code returns the code of counter value n (taken modulo the code space).
func (c *Codes) Code(n uint64) string {
	v := n % CodeSpace
	// Cycle-walk a 38-bit Feistel permutation until it lands inside the code space (25^8 is
	// more than half of 2^38, so fewer than two rounds on average): a permutation of the
	// smaller set, so still one code per counter value.
	for {
		v = c.feistel(v)
		if v < CodeSpace {
			break
		}
	}
	out := make([]byte, CodeLength+1)
	for i := CodeLength; i >= 0; i-- {
		if i == CodeLength/2 {
			out[i] = '-'
			continue
		}
		out[i] = CodeAlphabet[v%25]
		v /= 25
	}
	return string(out)
}

func (c *Codes) feistel(v uint64) uint64 {
	const half, mask = 19, 1<<19 - 1
	l, r := v>>half, v&mask
	for _, k := range c.keys {
		x := r*0x9E3779B97F4A7C15 ^ k
		x ^= x >> 29
		x *= 0xBF58476D1CE4E5B9
		x ^= x >> 32
		l, r = r, l^(x&mask)
	}
	return l<<half | r
}

// NormalizeCode reads a code as a person types it: any case, with or without spaces and dashes.
func NormalizeCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '-', '.', '_':
			continue
		}
		if !strings.ContainsRune(CodeAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
		if b.Len() > CodeLength {
			return "", false
		}
	}
	code := b.String()
	if len(code) != CodeLength {
		return "", false
	}
	return code[:CodeLength/2] + "-" + code[CodeLength/2:], true
}
