package handoff_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
)

// sentTo records what the handoff service writes first to users (a handoff.UserSender).
type sentTo struct {
	mu      sync.Mutex
	replies []bot.Reply
}

func (s *sentTo) SendTo(route, user string, replies []bot.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, replies...)
	return nil
}

func (s *sentTo) all() []bot.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.Reply(nil), s.replies...)
}

// TestUntakenChatOffersPhoneAndVisit: a chat request nobody takes within the set time in office
// hours gets, once, the notice in the user's language with a visit and the phone; before that
// time, out of hours, or once taken, nothing is sent.
func TestUntakenChatOffersPhoneAndVisit(t *testing.T) {
	loc := osloTime(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 24, 11, 0, 0, 0, loc)) // Wednesday, open
	sessions := inmem.New(0)
	o := handofftest.NewOffice(t, sessions, secret, clk.now)
	out := &sentTo{}
	o.Service.SetUserSender("web", out)
	ctx := context.Background()
	ask := func(user string) {
		for _, d := range []string{"l|fa", "c|counsellor", bot.OptionData("handoff.start", "chat")} {
			if _, err := o.Bot.Handle(ctx, bot.Event{Channel: "web", User: user, Kind: bot.KindChoice, Data: d, Time: clk.now(), Route: "r-" + user}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ask("waits")
	ask("taken")
	if n := o.Service.NudgeUntaken(ctx); n != 0 {
		t.Fatalf("told %d users right after they asked", n)
	}
	o.Service.Staff(ctx, staffTake(t, o, "taken"))
	clk.set(clk.now().Add(11 * time.Minute))
	if n := o.Service.NudgeUntaken(ctx); n != 1 {
		t.Fatalf("told %d users after 11 minutes, want 1 (the other was taken)", n)
	}
	if n := o.Service.NudgeUntaken(ctx); n != 0 {
		t.Fatalf("told %d users again", n)
	}
	got := out.all()
	if len(got) != 1 {
		t.Fatalf("sent %d replies, want 1: %+v", len(got), got)
	}
	want := handofftest.Content(t).Catalog.Text("fa", bot.MsgUntaken, "")
	if got[0].Lang != "fa" || got[0].Text != want || strings.Contains(want, "{{") {
		t.Fatalf("notice %+v, want the Dari text", got[0])
	}
	data := strings.Join(buttonData(got), " ")
	for _, w := range []string{bot.OptionData("handoff.chat", "visit"), bot.OptionData("handoff.chat", "phone")} {
		if !strings.Contains(data, w) {
			t.Fatalf("notice buttons %s lack %s", data, w)
		}
	}
	// Out of hours nothing is sent, however long the request waits.
	ask("late")
	clk.set(time.Date(2027, 3, 24, 16, 0, 0, 0, loc))
	if n := o.Service.NudgeUntaken(ctx); n != 0 {
		t.Fatalf("told %d users out of hours", n)
	}
}

// staffTake is the staff chat's /take of the user's ticket.
func staffTake(t *testing.T, o *handofftest.Office, user string) handoff.StaffMsg {
	t.Helper()
	tickets, err := o.Service.Tickets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tickets {
		if tk.User == user {
			return handoff.StaffMsg{StaffID: "4242", Name: "Kari", Text: "/take " + tk.Code}
		}
	}
	t.Fatalf("no ticket for %s", user)
	return handoff.StaffMsg{}
}
