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

// TestVisitKeptUntilAfterItsDay: a visit planned further ahead than the ticket TTL is kept, on
// its day's sheet, in the look-up and with the route its reminder needs, until VisitGrace after
// its day, even once staff closed its ticket; then it goes.
func TestVisitKeptUntilAfterItsDay(t *testing.T) {
	loc := osloTime(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 24, 11, 0, 0, 0, loc))
	store := inmem.NewHandoff()
	store.SetClock(clk.now)
	pack := handofftest.Content(t)
	_, cal := handofftest.Engine(t)
	sealer, _ := handoff.NewSealer(secret)
	svc, err := handoff.NewService(handoff.Config{
		Store: store, Sessions: inmem.New(0), Language: pack.Catalog, Content: pack.Content, Calendar: cal,
		Codes: handoff.NewCodes(secret), Sealer: sealer, Secret: secret, StaffIDs: map[string]bool{"4242": true},
		StaffLang: "en", Now: clk.now, TicketTTL: time.Hour,
	})
	must(t, err)
	ctx := context.Background()
	const day = "2027-05-20" // eight weeks ahead: far past the one-hour ticket TTL
	sess := bot.Session{Lang: "fa", Answers: map[string]string{bot.AnswerVisitDay: day, bot.AnswerInterpreter: "yes"}}
	_, err = svc.AfterHandle(ctx, bot.Event{Channel: "web", User: "u1", Route: "r-u1", Time: clk.now()}, sess,
		bot.Result{Replies: []bot.Reply{{Lang: "fa", Text: "card", Handoff: bot.HandoffVisit}}})
	must(t, err)
	list, err := svc.DayVisits(ctx, day)
	must(t, err)
	if len(list) != 1 || !list[0].Interp || list[0].Lang != "fa" {
		t.Fatalf("the day's visits: %+v", list)
	}
	code := list[0].Code
	if ans := svc.Staff(ctx, handoff.StaffMsg{StaffID: "4242", Name: "Kari", Text: "/close " + code}); !strings.Contains(ans, code) {
		t.Fatalf("/close: %q", ans)
	}
	listed := func() bool {
		t.Helper()
		list, err := svc.DayVisits(ctx, day)
		must(t, err)
		return len(list) == 1 && list[0].Code == code
	}
	end := time.Date(2027, 5, 21, 0, 0, 0, 0, loc).Add(handoff.VisitGrace)
	for _, at := range []time.Time{clk.now().Add(2 * time.Hour), time.Date(2027, 5, 19, 18, 0, 0, 0, loc), end.Add(-time.Minute)} {
		clk.set(at)
		if !listed() {
			t.Fatalf("at %v the visit is off its day's sheet", at)
		}
		if _, err := svc.Lookup(ctx, code); err != nil {
			t.Fatalf("at %v the look-up fails: %v", at, err)
		}
		if r, _ := store.Route(ctx, "u1"); r == nil && at.Before(time.Date(2027, 5, 20, 0, 0, 0, 0, loc)) {
			t.Fatalf("at %v the route for the reminder is gone", at)
		}
	}
	clk.set(end.Add(time.Minute))
	if listed() {
		t.Fatal("the visit outlived its day by more than VisitGrace")
	}
	if _, err := svc.Lookup(ctx, code); err == nil {
		t.Fatal("the look-up still finds the visit")
	}
}
