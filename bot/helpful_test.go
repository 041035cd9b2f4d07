package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
)

// helpfulCount records what a HelpfulObserver is told.
type helpfulCount struct {
	reachCount
	votes []string
}

func (h *helpfulCount) Helpful(topic, lang string, yes bool) {
	v := "no"
	if yes {
		v = "yes"
	}
	h.votes = append(h.votes, topic+"/"+lang+"/"+v)
}

// TestHelpful: a topic page ends with "Was this helpful?" and 👍/👎; an answer is counted by
// topic and language only and thanked in the user's language, and the page's buttons come back.
// The safety page and the menu never ask, and a forged answer for them counts nothing.
func TestHelpful(t *testing.T) {
	p := shipped(t)
	b := bot.New(p.Engine, inmem.New(time.Hour), nil)
	obs := &helpfulCount{}
	b.Observe(obs)
	ctx := context.Background()
	send := func(ev bot.Event) []bot.Reply {
		t.Helper()
		ev.Channel, ev.User, ev.Time = "test", "u", at
		r, err := b.Handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	got := send(bot.Event{Kind: bot.KindText, Text: "/start so-cash"})
	last := got[len(got)-1]
	if last.Text != p.Catalog.Text("so", bot.MsgHelpfulAsk, "") || len(last.Buttons) != 2 ||
		last.Buttons[0].Label != bot.HelpfulYes || last.Buttons[1].Label != bot.HelpfulNo {
		t.Fatalf("the cash page does not end with the question: %+v", last)
	}
	page := got[len(got)-2]
	if len(page.Buttons) == 0 {
		t.Fatal("the page lost its own buttons")
	}

	got = send(bot.Event{Kind: bot.KindChoice, Data: last.Buttons[1].Data})
	if len(got) != 1 || got[0].Text != p.Catalog.Text("so", bot.MsgHelpfulThanks, "") || len(got[0].Buttons) != len(page.Buttons) {
		t.Fatalf("answer: %+v", got)
	}

	// The menu and the safety page never ask.
	for _, text := range []string{"/menu", "I want to kill myself"} {
		got = send(bot.Event{Kind: bot.KindText, Text: text})
		for _, r := range got {
			if r.Text == p.Catalog.Text("so", bot.MsgHelpfulAsk, "") || r.Text == p.Catalog.Text("en", bot.MsgHelpfulAsk, "") {
				t.Errorf("%q was asked whether it helped", text)
			}
		}
	}
	// Forged answers: not a topic page, no such page, no such answer.
	for _, data := range []string{"h|safety.help|y", "h|main.menu|y", "h|nosuch.page|y", "h|support.cash|maybe"} {
		send(bot.Event{Kind: bot.KindChoice, Data: data})
	}
	if strings.Join(obs.votes, " ") != "support/so/no" {
		t.Errorf("counted %v, want only support/so/no", obs.votes)
	}
}
