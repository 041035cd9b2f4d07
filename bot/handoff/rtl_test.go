package handoff_test

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/internal/bidiview"
	"github.com/returnbot/returnbot/bot/lang"
)

// ltrToken finds what must read left to right inside right-to-left text: commands, codes, URLs,
// phone numbers, times, dates and Latin words. It is written apart from lang.Display on purpose,
// so the test does not check the code with itself.
var ltrToken = regexp.MustCompile(`[/+]?[A-Za-z0-9۰-۹٠-٩](?:[A-Za-z0-9۰-۹٠-٩:./\-–+ ]*[A-Za-z0-9۰-۹٠-٩/])?`)

var arabicLetter = regexp.MustCompile(`[\x{0600}-\x{065F}\x{066A}-\x{06EF}\x{06FA}-\x{06FF}]`)

// TestRightToLeftPagesReadInOrder walks every page reachable by buttons — the visit pages with
// their day buttons, the card and the "opens next" line built by code included — in every
// right-to-left language, as users get them (bot.ForDisplay), and reads each line as the bidi
// algorithm lays it out: a line with Arabic-script letters stays a right-to-left paragraph, and
// every command, code, number, time and Latin word in it reads in its own order.
func TestRightToLeftPagesReadInOrder(t *testing.T) {
	eng, _ := handofftest.Engine(t)
	l := eng.Language()
	// A Saturday (closed: the "opens next" line) and a Tuesday morning (open).
	for _, now := range []time.Time{time.Date(2027, 3, 27, 12, 0, 0, 0, time.UTC), time.Date(2027, 3, 30, 9, 0, 0, 0, time.UTC)} {
		for _, code := range l.Languages() {
			if !lang.RightToLeft[code] {
				continue
			}
			lines := 0
			reported := map[string]bool{}
			check := func(where string, text string) {
				if reported[text] {
					return
				}
				reported[text] = true
				for _, line := range strings.Split(text, "\n") {
					if !arabicLetter.MatchString(line) {
						continue
					}
					lines++
					if !bidiview.ParagraphRTL(line) {
						t.Errorf("%s %s: line turns left to right: %q", code, where, line)
					}
					seen, err := bidiview.Visual(line)
					if err != nil {
						t.Fatal(err)
					}
					// Values isolated apart (postcode, city) are read apart: in right-to-left
					// text "0154 Oslo" reads from the right, each value in its own order.
					plain := strings.Map(func(r rune) rune {
						if r >= '\u2066' && r <= '\u2069' {
							return '|'
						}
						return r
					}, line)
					for _, tok := range ltrToken.FindAllString(plain, -1) {
						if !strings.Contains(seen, tok) {
							t.Errorf("%s %s: %q reads as %q, without %q in order", code, where, line, seen, tok)
						}
					}
				}
			}
			walk(t, eng, code, now, func(where string, r bot.Reply) {
				check(where, r.Text)
				for _, b := range r.Buttons {
					check(where+" button", b.Label)
				}
			})
			if lines < 50 {
				t.Errorf("%s: only %d right-to-left lines read; the walk missed pages", code, lines)
			}
		}
	}
}

// walk presses every button from the main menu on and hands each reply, as shown, to see.
func walk(t *testing.T, eng *bot.Engine, code string, now time.Time, see func(where string, r bot.Reply)) {
	t.Helper()
	l := eng.Language()
	type state struct {
		s       bot.Session
		buttons []bot.Button
	}
	start := bot.Session{Lang: code}
	res := eng.Respond(&start, bot.Event{Kind: bot.KindText, Text: "/start", Time: now})
	shown := bot.ForDisplay(l, res.Replies)
	for _, r := range shown {
		see("start", r)
	}
	queue := []state{{start, res.Replies[len(res.Replies)-1].Buttons}}
	seen := map[string]bool{start.Position(): true}
	for len(queue) > 0 && len(seen) < 500 {
		st := queue[0]
		queue = queue[1:]
		for _, b := range st.buttons {
			s := st.s
			s.Trail = append([]string(nil), st.s.Trail...)
			s.Answers = maps.Clone(st.s.Answers)
			s.Topics = append([]string(nil), st.s.Topics...)
			res := eng.Respond(&s, bot.Event{Kind: bot.KindChoice, Data: b.Data, Time: now})
			if res.Erase || s.Lang != code {
				continue
			}
			for _, r := range bot.ForDisplay(l, res.Replies) {
				see(s.Position(), r)
			}
			key := s.Position() + "|" + strings.Join(sortedAnswers(s.Answers), ",")
			if !seen[key] && len(res.Replies) > 0 {
				seen[key] = true
				queue = append(queue, state{s, res.Replies[len(res.Replies)-1].Buttons})
			}
		}
	}
}

func sortedAnswers(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
