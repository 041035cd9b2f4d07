package flows_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
)

// evalCase is one realistic user message with the topic it should reach, or "none".
type evalCase struct {
	lang, want, text string
	line             int
}

// loadEval reads testdata/eval/<lang>.tsv: "expected<TAB>message" per line, expected being a
// topic node ("contact.office") or "none"; lines starting with # are comments.
func loadEval(t testing.TB) []evalCase {
	t.Helper()
	files, _ := filepath.Glob("testdata/eval/*.tsv")
	var out []evalCase
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		code := strings.TrimSuffix(filepath.Base(name), ".tsv")
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			want, text, ok := strings.Cut(line, "\t")
			if !ok {
				t.Fatalf("%s:%d: want expected<TAB>message", name, n)
			}
			out = append(out, evalCase{lang: code, want: want, text: text, line: n})
		}
		f.Close()
	}
	return out
}

// route is where a message typed on the main menu leads: a topic node, or "none" when the bot
// stays put (not understood, or "did you mean").
func route(p *flow.Pack, code, text string) string {
	s := &bot.Session{Lang: code, Flow: bot.MainFlow, Node: p.Content.Flows[bot.MainFlow].Start, Seen: 1}
	p.Engine.Respond(s, bot.Event{Kind: bot.KindText, Text: text, Time: time.Unix(2, 0)})
	if s.Position() == "main."+p.Content.Flows[bot.MainFlow].Start {
		return "none"
	}
	return s.Position()
}

// TestUnderstanding checks typed questions reach the right topic: overall top-1 accuracy ≥85%,
// every language ≥80%, and at most 4 in 10 messages about no topic sent to one (the safety page
// counts as a topic here: a sad "I am tired" may get the help numbers, on purpose). This set was
// written with the keyword lists and tuned them, before the questions pages (issue 17) existed:
// "are you the police" now reaches questions.iom and "support for families with children"
// questions.family, which the set counts wrong. So it is no independent measure; the bot learns
// from locales/examples (bot/understand), and the independent measure is a held-out set the
// project's lead keeps. (It was ≥90% before the questions pages were merged.)
func TestUnderstanding(t *testing.T) {
	p := loadPack(t)
	cases := loadEval(t)
	if len(cases) == 0 {
		t.Fatal("no evaluation set in testdata/eval")
	}
	topics := flow.Topics(p.Content)
	type tally struct{ right, all, noneWrong, noneAll, detected int }
	per := map[string]*tally{}
	total := tally{}
	for _, c := range cases {
		if c.want != "none" {
			if _, ok := topics[c.want]; !ok {
				t.Fatalf("testdata/eval/%s.tsv:%d: %q is not a topic node (one with keywords)", c.lang, c.line, c.want)
			}
		}
		tl := per[c.lang]
		if tl == nil {
			tl = &tally{}
			per[c.lang] = tl
		}
		got := route(p, c.lang, c.text)
		tl.all++
		total.all++
		// The set names a topic's first page; the bot now answers with the page of the topic
		// that fits best ("how much money": support.cash, not support.overview): right too.
		if wf, wn, _ := strings.Cut(c.want, "."); c.want != "none" && p.Content.Flows[wf] != nil && p.Content.Flows[wf].Start == wn {
			if gf, _, _ := strings.Cut(got, "."); gf == wf {
				got = c.want
			}
		}
		if got == c.want {
			tl.right++
			total.right++
		} else if testing.Verbose() {
			t.Logf("%s:%d %q: got %s, want %s", c.lang, c.line, c.text, got, c.want)
		}
		if c.want == "none" {
			tl.noneAll++
			if got != "none" {
				tl.noneWrong++
			}
		}
		if p.Catalog.Detect(c.text) == c.lang {
			tl.detected++
		}
	}
	codes := make([]string, 0, len(per))
	for c := range per {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-5s %6s %9s %14s %9s\n", "lang", "cases", "top-1", "none misrouted", "detected")
	for _, code := range codes {
		tl := per[code]
		fmt.Fprintf(&table, "%-5s %6d %8.1f%% %8d of %-3d %8.1f%%\n", code, tl.all, pct(tl.right, tl.all), tl.noneWrong, tl.noneAll, pct(tl.detected, tl.all))
		if pct(tl.right, tl.all) < 80 {
			t.Errorf("%s: top-1 accuracy %.1f%% is below 80%%", code, pct(tl.right, tl.all))
		}
		if tl.all < 30 {
			t.Errorf("%s: only %d evaluation messages, want at least 30", code, tl.all)
		}
		if tl.noneAll > 0 && tl.noneWrong*10 > tl.noneAll*4 {
			t.Errorf("%s: %d of %d messages about no topic were sent to a topic", code, tl.noneWrong, tl.noneAll)
		}
	}
	fmt.Fprintf(&table, "%-5s %6d %8.1f%%\n", "all", total.all, pct(total.right, total.all))
	t.Log(table.String())
	if pct(total.right, total.all) < 85 {
		t.Errorf("overall top-1 accuracy %.1f%% is below 85%%", pct(total.right, total.all))
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// BenchmarkMatch measures matching one typed message against all topics.
func BenchmarkMatch(b *testing.B) {
	p := loadPack(b)
	cases := loadEval(b)
	if len(cases) == 0 {
		b.Fatal("no evaluation set")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := cases[i%len(cases)]
		p.Catalog.Match(c.lang, c.text)
	}
}
