package loadgen

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader reads the Bot API's JSON parameters in one pass, without reflection: the fake Bot
// API stands in for Telegram, whose work is not on the bot's machine, so it must cost as little
// as it can or the load run would measure it rather than the bot. It is strict, as
// encoding/json is: it fails on whatever json.Valid rejects, and decodes strings to what
// json.Unmarshal gives (invalid UTF-8 becoming U+FFFD).
type jsonReader struct {
	b   []byte
	i   int
	err error
}

var errJSON = errors.New("invalid JSON")

func (r *jsonReader) fail() {
	if r.err == nil {
		r.err = errJSON
	}
	r.i = len(r.b)
}

func (r *jsonReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek is the next byte after white space, 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.i >= len(r.b) {
		return 0
	}
	return r.b[r.i]
}

// end checks that nothing but white space is left.
func (r *jsonReader) end() error {
	if r.ws(); r.i < len(r.b) {
		r.fail()
	}
	return r.err
}

// object reads an object, calling member for each key with the reader at its value; member must
// read the value (with str, skip or a nested object or array).
func (r *jsonReader) object(member func(key string)) {
	if r.peek() != '{' {
		r.fail()
		return
	}
	r.i++
	if r.peek() == '}' {
		r.i++
		return
	}
	for r.err == nil {
		if r.peek() != '"' {
			r.fail()
			return
		}
		key := r.str()
		if r.peek() != ':' {
			r.fail()
			return
		}
		r.i++
		member(key)
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return
		default:
			r.fail()
		}
	}
}

// array reads an array, calling elem with the reader at each element, which elem must read.
func (r *jsonReader) array(elem func()) {
	if r.peek() != '[' {
		r.fail()
		return
	}
	r.i++
	if r.peek() == ']' {
		r.i++
		return
	}
	for r.err == nil {
		elem()
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return
		default:
			r.fail()
		}
	}
}

// skip reads any value and returns its JSON text.
func (r *jsonReader) skip() []byte {
	c := r.peek()
	start := r.i
	switch {
	case c == '{':
		r.object(func(string) { r.skip() })
	case c == '[':
		r.array(func() { r.skip() })
	case c == '"':
		r.readStr(nil)
	case c == '-' || ('0' <= c && c <= '9'):
		r.number()
	case c == 't':
		r.literal("true")
	case c == 'f':
		r.literal("false")
	case c == 'n':
		r.literal("null")
	default:
		r.fail()
	}
	if r.err != nil {
		return nil
	}
	return r.b[start:r.i]
}

func (r *jsonReader) literal(word string) {
	if len(r.b)-r.i < len(word) || string(r.b[r.i:r.i+len(word)]) != word {
		r.fail()
		return
	}
	r.i += len(word)
}

// number reads a number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *jsonReader) number() {
	b := r.b
	if r.i < len(b) && b[r.i] == '-' {
		r.i++
	}
	digits := func() int {
		n := 0
		for r.i < len(b) && '0' <= b[r.i] && b[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	switch {
	case r.i < len(b) && b[r.i] == '0':
		r.i++
	case digits() == 0:
		r.fail()
		return
	}
	if r.i < len(b) && b[r.i] == '.' {
		r.i++
		if digits() == 0 {
			r.fail()
			return
		}
	}
	if r.i < len(b) && (b[r.i] == 'e' || b[r.i] == 'E') {
		r.i++
		if r.i < len(b) && (b[r.i] == '+' || b[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			r.fail()
		}
	}
}

// str reads a string and returns it decoded.
func (r *jsonReader) str() string {
	var sb strings.Builder
	r.readStr(&sb)
	return sb.String()
}

// readStr reads a string, writing it decoded to sb; a nil sb only checks it.
func (r *jsonReader) readStr(sb *strings.Builder) {
	if r.peek() != '"' {
		r.fail()
		return
	}
	r.i++
	b := r.b
	if sb != nil {
		// The decoded string is at most as long as its JSON text.
		end := r.i
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' {
				end++
			}
			end++
		}
		sb.Grow(min(end, len(b)) - r.i)
	}
	for r.i < len(b) {
		// A run of plain text is copied at once, checked as UTF-8 as a whole.
		j := r.i
		for j < len(b) && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20 {
			j++
		}
		if sb != nil {
			if run := b[r.i:j]; utf8.Valid(run) {
				sb.Write(run)
			} else {
				writeValid(sb, run)
			}
		}
		r.i = j
		if j == len(b) {
			break
		}
		switch c := b[j]; {
		case c == '"':
			r.i++
			return
		case c < 0x20:
			r.fail()
			return
		}
		r.escape(sb)
		if r.err != nil {
			return
		}
	}
	r.fail()
}

// writeValid writes run with each byte that is not part of valid UTF-8 as U+FFFD, as
// encoding/json decodes it.
func writeValid(sb *strings.Builder, run []byte) {
	for len(run) > 0 {
		rn, size := utf8.DecodeRune(run)
		if rn == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(run[:size])
		}
		run = run[size:]
	}
}

// escape reads one escape sequence, writing what it stands for to sb (if not nil).
func (r *jsonReader) escape(sb *strings.Builder) {
	b := r.b
	if r.i+1 >= len(b) {
		r.fail()
		return
	}
	e := b[r.i+1]
	r.i += 2
	var rn rune
	switch e {
	case '"', '\\', '/':
		rn = rune(e)
	case 'b':
		rn = '\b'
	case 'f':
		rn = '\f'
	case 'n':
		rn = '\n'
	case 'r':
		rn = '\r'
	case 't':
		rn = '\t'
	case 'u':
		u, ok := r.hex4()
		if !ok {
			r.fail()
			return
		}
		rn = rune(u)
		if utf16.IsSurrogate(rn) {
			// A pair makes one rune; a lone half is U+FFFD, as encoding/json has it (and the
			// escape after it, if any, is read on its own).
			rn = utf8.RuneError
			if r.i+1 < len(b) && b[r.i] == '\\' && b[r.i+1] == 'u' {
				save := r.i
				r.i += 2
				lo, ok := r.hex4()
				if !ok {
					r.fail()
					return
				}
				if d := utf16.DecodeRune(rune(u), rune(lo)); d != utf8.RuneError {
					rn = d
				} else {
					r.i = save
				}
			}
		}
	default:
		r.fail()
		return
	}
	if sb != nil {
		sb.WriteRune(rn)
	}
}

func (r *jsonReader) hex4() (uint64, bool) {
	if len(r.b)-r.i < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	r.i += 4
	return v, true
}

// appendQuoted appends s as a JSON string: quotes, backslashes and control characters escaped,
// invalid UTF-8 as U+FFFD, the rest as it is (valid JSON, though not byte for byte what
// encoding/json writes, which also escapes <, > and &).
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	valid := utf8.ValidString(s) // then only ASCII needs looking at
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf && valid {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(append(b, s[start:i]...), `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
