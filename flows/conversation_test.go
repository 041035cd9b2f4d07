package flows_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/conversations")

func loadPack(t testing.TB) *flow.Pack {
	t.Helper()
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatalf("default content does not load:\n%v", err)
	}
	return p
}

func TestDefaultContentIsComplete(t *testing.T) {
	p := loadPack(t)
	for _, m := range p.Report.Missing {
		t.Error(m)
	}
	for _, id := range []string{"main", "return", "eligibility", "support", "contact", "stories", "privacy", "language", "handoff"} {
		if p.Content.Flows[id] == nil {
			t.Errorf("the default content has no flow %q", id)
		}
	}
}

// TestConversations replays each testdata/conversations/*.txt script (first line "# lang: xx",
// then one user message per line) and compares the transcript with the .golden file beside it.
// Run with -update to rewrite the golden files after a content change, then review the diff.
func TestConversations(t *testing.T) {
	p := loadPack(t)
	scripts, _ := filepath.Glob("testdata/conversations/*.txt")
	if len(scripts) == 0 {
		t.Fatal("no conversation scripts in testdata/conversations")
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".txt")
		t.Run(name, func(t *testing.T) {
			got := replay(t, p, script)
			golden := strings.TrimSuffix(script, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./flows -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("transcript differs from %s (run with -update and review the diff):\n%s", golden, firstDiff(string(want), string(got)))
			}
		})
	}
}

func replay(t *testing.T, p *flow.Pack, script string) []byte {
	f, err := os.Open(script)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := bot.New(p.Engine, inmem.New(time.Hour), nil)
	var out bytes.Buffer
	hint := ""
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "# lang: "); ok {
			hint = strings.TrimSpace(v)
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		if v, ok := strings.CutPrefix(line, "@wait "); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("%s: %v", script, err)
			}
			now = now.Add(d)
			continue
		}
		now = now.Add(time.Minute)
		fmt.Fprintf(&out, "> %s\n", line)
		replies, err := b.Handle(context.Background(), bot.Event{Channel: "test", User: "golden", Lang: hint, Kind: bot.KindText, Text: line, Time: now})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range replies {
			writeReply(&out, r)
		}
	}
	return out.Bytes()
}

func writeReply(out *bytes.Buffer, r bot.Reply) {
	where := r.Lang
	if r.Flow != "" {
		where += " " + r.Flow + "." + r.Node
	}
	if r.Venue != nil {
		fmt.Fprintf(out, "[%s] 📍 %s, %s (%.4f, %.4f)\n", where, r.Venue.Name, r.Venue.Address, r.Venue.Lat, r.Venue.Lon)
	}
	if r.Text != "" {
		fmt.Fprintf(out, "[%s] %s\n", where, strings.ReplaceAll(r.Text, "\n", "\n    "))
	}
	for i, b := range r.Buttons {
		fmt.Fprintf(out, "    (%d) %s\n", i+1, b.Label)
	}
	if r.Handoff != "" {
		fmt.Fprintf(out, "    [handoff: %s]\n", r.Handoff)
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %s\n got: %s", i+1, w, g)
		}
	}
	return ""
}

// TestEveryPageIsReachableAndLeadsHome presses every button from the main menu on, in every
// language, and checks that each page of the content is reached by buttons alone, that each page
// offers buttons (or asks a question), and that from each page buttons lead back to the menu.
func TestEveryPageIsReachableAndLeadsHome(t *testing.T) {
	p := loadPack(t)
	for _, code := range p.Catalog.Languages() {
		t.Run(code, func(t *testing.T) {
			start := &bot.Session{Lang: code}
			now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			first := p.Engine.Respond(start, bot.Event{Kind: bot.KindText, Text: "/start", Time: now})
			type state struct {
				s       bot.Session
				buttons []bot.Button
			}
			seen := map[string]bool{}
			edges := map[string]map[string]bool{}
			queue := []state{{*start, first.Replies[len(first.Replies)-1].Buttons}}
			seen[start.Position()] = true
			for len(queue) > 0 {
				st := queue[0]
				queue = queue[1:]
				from := st.s.Position()
				n := p.Content.Node(from)
				if len(st.buttons) == 0 && n.Ask == "" {
					t.Errorf("%s: page %s offers no buttons", code, from)
				}
				for _, b := range st.buttons {
					s := st.s
					s.Trail = append([]string(nil), st.s.Trail...)
					s.Answers = copyMap(st.s.Answers)
					s.Topics = append([]string(nil), st.s.Topics...)
					res := p.Engine.Respond(&s, bot.Event{Kind: bot.KindChoice, Data: b.Data, Time: now})
					if res.Erase {
						continue
					}
					to := s.Position()
					if s.Lang != code {
						continue // the picker switches language; other languages are walked on their own
					}
					if edges[from] == nil {
						edges[from] = map[string]bool{}
					}
					edges[from][to] = true
					if !seen[to] {
						seen[to] = true
						// Every button the turn sent can be pressed: the page's, and the
						// "Was this helpful?" answers after a topic page.
						var next []bot.Button
						for _, r := range res.Replies {
							next = append(next, r.Buttons...)
						}
						queue = append(queue, state{s, next})
					}
				}
			}
			var missed []string
			for _, f := range p.Content.Flows {
				for _, n := range f.Nodes {
					stops := len(n.Options) > 0 || n.Picker || n.Ask != "" || (n.Next == "" && len(n.Branch) == 0)
					// The safety page is reached by what a person writes, never by a button.
					if stops && !seen[n.Ref()] && n.Ask == "" && n.Flow != bot.SafetyFlow {
						missed = append(missed, n.Ref())
					}
				}
			}
			sort.Strings(missed)
			if len(missed) > 0 {
				t.Errorf("%s: pages not reachable by buttons from the menu: %v", code, missed)
			}
			// Every reached page leads back to the menu by buttons.
			home := p.Content.Node(bot.MainFlow).Ref()
			for page := range seen {
				if !leadsTo(edges, page, home) {
					t.Errorf("%s: no buttons lead from %s back to the menu", code, page)
				}
			}
		})
	}
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func leadsTo(edges map[string]map[string]bool, from, to string) bool {
	seen := map[string]bool{from: true}
	stack := []string{from}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == to {
			return true
		}
		for m := range edges[n] {
			if !seen[m] {
				seen[m] = true
				stack = append(stack, m)
			}
		}
	}
	return false
}

// BenchmarkEngineDefaultContent measures one message against the shipped content.
func BenchmarkEngineDefaultContent(b *testing.B) {
	p := loadPack(b)
	s := &bot.Session{Lang: "en"}
	now := time.Now()
	p.Engine.Respond(s, bot.Event{Kind: bot.KindText, Text: "/start", Time: now})
	evs := []bot.Event{{Kind: bot.KindText, Text: "1", Time: now}, {Kind: bot.KindText, Text: "/menu", Time: now}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Engine.Respond(s, evs[i%2])
	}
}
