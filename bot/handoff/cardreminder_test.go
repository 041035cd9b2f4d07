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

// TestCardPromisesReminderOnlyWhenOneIsSent plans visits on the shipped content in every
// language: the visit card says "we send you a reminder the day before" exactly when the service
// schedules one. A visit today (or tomorrow, once the reminder hour has passed) gets no such line.
func TestCardPromisesReminderOnlyWhenOneIsSent(t *testing.T) {
	pack := handofftest.Content(t)
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	for _, c := range []struct {
		name   string
		now    time.Time
		day    string
		remind bool
	}{
		// Wednesday 17 and Thursday 18 March 2027 are ordinary open days (Easter is later).
		{"same day", time.Date(2027, 3, 17, 10, 30, 0, 0, loc), "2027-03-17", false},
		{"tomorrow, after the reminder hour", time.Date(2027, 3, 17, 14, 0, 0, 0, loc), "2027-03-18", false},
		{"tomorrow, before the reminder hour", time.Date(2027, 3, 17, 10, 30, 0, 0, loc), "2027-03-18", true},
		{"next week", time.Date(2027, 3, 17, 16, 0, 0, 0, loc), "2027-03-23", true},
	} {
		for _, lang := range pack.Catalog.Languages() {
			t.Run(c.name+"/"+lang, func(t *testing.T) {
				eng, cal := handofftest.Engine(t)
				hs := inmem.NewHandoff()
				secret := []byte("0123456789abcdef0123456789abcdef")
				sealer, err := handoff.NewSealer(secret)
				if err != nil {
					t.Fatal(err)
				}
				now := c.now
				svc, err := handoff.NewService(handoff.Config{
					Store: hs, Sessions: inmem.New(0), Language: pack.Catalog, Content: pack.Content, Calendar: cal,
					Codes: handoff.NewCodes(secret), Sealer: sealer, Secret: secret, Now: func() time.Time { return now },
				})
				if err != nil {
					t.Fatal(err)
				}
				b := bot.New(eng, inmem.New(0), nil)
				b.SetHandoff(svc)
				var card string
				for _, data := range []string{bot.OptionData("handoff.start", "visit"), "v|" + c.day, bot.OptionData("handoff.interp", "no")} {
					replies, err := b.Handle(context.Background(), bot.Event{Channel: "test", User: "u1", Lang: lang, Kind: bot.KindChoice, Data: data, Time: now})
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range replies {
						if r.Handoff == bot.HandoffVisit {
							card = r.Text
						}
					}
				}
				if card == "" {
					t.Fatalf("no visit card for %s", c.day)
				}
				line := pack.Catalog.Text(lang, bot.MsgCardReminder, "")
				if got := strings.Contains(card, line); got != c.remind {
					t.Errorf("card promises the reminder: %v, want %v:\n%s", got, c.remind, card)
				}
				due, err := hs.DueReminders(context.Background(), now.AddDate(0, 1, 0), 10)
				if err != nil {
					t.Fatal(err)
				}
				if scheduled := len(due) == 1; scheduled != c.remind {
					t.Errorf("reminder scheduled: %v, want %v", scheduled, c.remind)
				}
			})
		}
	}
}
