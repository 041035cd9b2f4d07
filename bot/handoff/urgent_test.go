package handoff_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
)

// TestCrisisGivesStaffAnUrgentTicketInOfficeHours: a person who writes that they are in danger
// gets the help numbers at once, any time; while the office is open staff also get a ticket
// marked urgent, without the message text, and the user is not put on hold.
func TestCrisisGivesStaffAnUrgentTicketInOfficeHours(t *testing.T) {
	pack := handofftest.Content(t)
	eng, cal := handofftest.Engine(t)
	loc := osloTime(t)
	sealer, _ := handoff.NewSealer(secret)
	svc, err := handoff.NewService(handoff.Config{
		Store: inmem.NewHandoff(), Sessions: inmem.New(0), Language: pack.Catalog, Content: pack.Content,
		Calendar: cal, Codes: handoff.NewCodes(secret), Sealer: sealer, Secret: secret, StaffLang: "en",
	})
	if err != nil {
		t.Fatal(err)
	}
	posts := &handofftest.StaffPosts{}
	svc.SetStaff(posts)
	const text = "i dont want to live anymore"
	for _, c := range []struct {
		name    string
		at      time.Time
		tickets int
	}{
		{"open", time.Date(2026, 12, 2, 11, 0, 0, 0, loc), 1},   // a Wednesday, 11:00
		{"closed", time.Date(2026, 12, 2, 20, 0, 0, 0, loc), 0}, // the same day, 20:00
	} {
		before := len(posts.Posts())
		s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: c.at.Unix() - 60}
		ev := bot.Event{Kind: bot.KindText, Text: text, User: "u-" + c.name, Channel: "telegram", Time: c.at}
		res := eng.Respond(s, ev)
		if s.Position() != "safety.help" || s.Mode != "" {
			t.Fatalf("%s: at %s mode %q, want the safety page and no hold", c.name, s.Position(), s.Mode)
		}
		if !strings.Contains(res.Replies[0].Text, "116 123") {
			t.Errorf("%s: %q lacks the help numbers", c.name, res.Replies[0].Text)
		}
		if _, err := svc.AfterHandle(context.Background(), ev, *s, res); err != nil {
			t.Fatal(err)
		}
		got := posts.Posts()[before:]
		if len(got) != c.tickets {
			t.Fatalf("%s: staff posts %q, want %d", c.name, got, c.tickets)
		}
		for _, p := range got {
			if !strings.HasPrefix(p, "🚨") || !strings.Contains(p, pack.Catalog.Text("en", "staff.urgent", "")) || strings.Contains(p, text) {
				t.Errorf("%s: card %q: want marked urgent, without the message", c.name, p)
			}
		}
	}
}
