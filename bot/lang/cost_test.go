package lang_test

import (
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/lang"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

var (
	shippedOnce    sync.Once
	shipped        *lang.Catalog
	shippedContent *bot.Content
	shippedErr     error
)

// shippedCatalog is the default content's catalogue with its topic index, the one the bot runs.
func shippedCatalog(t testing.TB) *lang.Catalog {
	t.Helper()
	shippedOnce.Do(func() {
		p, err := flow.Load(flows.FS, locales.FS)
		if err != nil {
			shippedErr = err
			return
		}
		shipped, shippedContent = p.Catalog, p.Content
	})
	if shippedErr != nil {
		t.Fatal(shippedErr)
	}
	return shipped
}

// costShape is one kind of hostile message, built at any length in runes.
type costShape struct {
	name, lang string
	build      func(runes int) string
}

// repeatTo repeats unit until the text holds n runes of it (a unit cut short at the end).
func repeatTo(unit string, n int) string {
	u := []rune(unit)
	out := make([]rune, n)
	for i := range out {
		out[i] = u[i%len(u)]
	}
	return string(out)
}

// costShapes are the messages that cost the most per character: one long word (every rune a
// possible compound tail, stem or typo), keyword fragments glued together, many words each
// looked up with typos, mixed scripts, combining marks and invalid UTF-8.
var costShapes = []costShape{
	{"long word", "en", func(n int) string { return repeatTo("a", n) }},
	{"glued keywords", "nb", func(n int) string { return repeatTo("reisedokumenter", n) }},
	{"glued keywords arabic", "ar", func(n int) string { return repeatTo("والعنوان", n) }},
	{"glued keywords ethiopic", "ti", func(n int) string { return repeatTo("ኣድራሻ", n) }},
	{"many short words", "en", func(n int) string { return repeatTo("a ", n) }},
	{"many typos", "en", func(n int) string { return repeatTo("adres documnts ", n) }},
	{"mixed scripts", "fa", func(n int) string { return repeatTo("aдبሰ", n) }},
	{"combining marks", "fr", func(n int) string { return "e" + repeatTo("\u0301", n-1) }},
	{"invalid utf-8", "en", func(n int) string { return strings.Repeat("a\xff", n/2) }},
	{"digits", "en", func(n int) string { return repeatTo("١", n) }},
}

func BenchmarkMatchWorstCase(b *testing.B) {
	cat := shippedCatalog(b)
	for _, s := range costShapes {
		text := s.build(bot.MaxTextRunes)
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				cat.Match(s.lang, text)
			}
		})
	}
}

func BenchmarkNormalizeWorstCase(b *testing.B) {
	for _, s := range costShapes {
		text := s.build(bot.MaxTextRunes)
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				lang.Normalize(text)
			}
		})
	}
}

func BenchmarkDetectWorstCase(b *testing.B) {
	cat := shippedCatalog(b)
	for _, s := range costShapes {
		text := s.build(bot.MaxTextRunes)
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				cat.Detect(text)
			}
		})
	}
}

// allocated is the heap bytes one call of f allocates, the least of a few runs so a stray
// allocation elsewhere in the runtime does not count. Bytes, not time: the figure does not
// depend on how busy the machine is.
func allocated(f func()) uint64 {
	var best uint64
	var before, after runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; i == 0 || d < best {
			best = d
		}
	}
	return best
}

// linearSlack is how much more than four times the memory a four times longer text may take:
// linear work gives four, plus map and slice growth steps; quadratic work gives sixteen.
const linearSlack = 6

// checkLinear fails when f on a text four times longer allocates more than linearly more.
func checkLinear(t testing.TB, what string, short, long uint64) {
	t.Helper()
	// A small fixed cost (the result slice, one map) makes short inputs look cheap: allow it.
	const fixed = 16 << 10
	if long > linearSlack*short+fixed {
		t.Errorf("%s: %d bytes for n, %d for 4n (%.1f×): super-linear", what, short, long, float64(long)/float64(max(short, 1)))
	}
}

// TestCostIsLinear measures what Match, Normalize and Detect allocate for each hostile shape at
// n and 4n runes: four times the input may cost about four times as much, not sixteen.
func TestCostIsLinear(t *testing.T) {
	cat := shippedCatalog(t)
	const n = bot.MaxTextRunes / 4
	for _, s := range costShapes {
		short, long := s.build(n), s.build(4*n)
		checkLinear(t, s.name+": Match",
			allocated(func() { cat.Match(s.lang, short) }), allocated(func() { cat.Match(s.lang, long) }))
		checkLinear(t, s.name+": Normalize",
			allocated(func() { lang.Normalize(short) }), allocated(func() { lang.Normalize(long) }))
		checkLinear(t, s.name+": Detect",
			allocated(func() { cat.Detect(short) }), allocated(func() { cat.Detect(long) }))
	}
}

// FuzzMatchCost repeats any short text to n and 4n runes and fails when matching, normalising
// or detecting the longer one allocates more than linearly more.
func FuzzMatchCost(f *testing.F) {
	for _, s := range []string{"a", "reisedokumenter", "والعنوان", "adres ", "aдبሰ", "e\u0301\u0301", "a\xff", "documents", "ኣድራሻ"} {
		f.Add(s)
	}
	cat := shippedCatalog(f)
	f.Fuzz(func(t *testing.T, unit string) {
		if unit == "" || len(unit) > 64 {
			return
		}
		const n = bot.MaxTextRunes / 4
		short, long := strings.Repeat(unit, n/len(unit)+1), strings.Repeat(unit, 4*(n/len(unit)+1))
		for _, code := range []string{"en", "ar", "ti"} {
			checkLinear(t, code+": Match",
				allocated(func() { cat.Match(code, short) }), allocated(func() { cat.Match(code, long) }))
		}
		checkLinear(t, "Normalize", allocated(func() { lang.Normalize(short) }), allocated(func() { lang.Normalize(long) }))
		checkLinear(t, "Detect", allocated(func() { cat.Detect(short) }), allocated(func() { cat.Detect(long) }))
	})
}
