package lang_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Hello WORLD", "دفتر شما كجاست؟", "١٢٣", "Åpningstider", "ሰላም", "\xff\xfe", "\u200c\u2068x\u2069", "ـــ", "ǅ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := lang.Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) is not valid UTF-8: %q", s, n)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q has stray spaces", s, n)
		}
		if again := lang.Normalize(n); again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, again)
		}
	})
}

func FuzzLoadLocale(f *testing.F) {
	f.Add(`{"a": "b", "c": {"one": "x", "other": "y"}}`)
	f.Add(`{"a": "{{.Office.Phone}}"}`)
	f.Add(`{"a": {"few": "x"}}`)
	f.Add(`[1, 2]`)
	f.Add(`{"a": "{{.Office.Phone"}`)
	f.Add("{\n\"a\": \"b\",\n\"a\": \"c\"\n}")
	c := &bot.Content{DefaultOffice: "o", Offices: map[string]*bot.Office{"o": {Phone: "1"}}}
	f.Fuzz(func(t *testing.T, data string) {
		cat, err := lang.Load(fstest.MapFS{"en.json": {Data: []byte(data)}}, c)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "en.json:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		cat.IndexTopics(map[string]string{"x.y": "a"})
		cat.Match("en", data)
		cat.Detect(data)
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("where is the office", "address, where is the office, hours")
	f.Add("adress", "address")
	f.Add("والعنوان", "عنوان, آدرس")
	f.Fuzz(func(t *testing.T, text, keywords string) {
		c := &bot.Content{}
		cat, err := lang.Load(fstest.MapFS{"en.json": {Data: []byte(`{"kw": ` + quote(keywords) + `}`)}}, c)
		if err != nil {
			return
		}
		cat.IndexTopics(map[string]string{"t.n": "kw"})
		for _, m := range cat.Match("en", text) {
			if m.Score <= 0 || m.Score > 1.0000001 {
				t.Fatalf("score %v out of range", m.Score)
			}
		}
	})
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20:
			b.WriteString(" ")
		case r == utf8.RuneError:
			b.WriteString("?")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
