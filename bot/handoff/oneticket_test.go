package handoff_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// lastTo is the last message sent to chat.
func lastTo(srv *telegramtest.Server, chat int64) telegramtest.Call {
	sent := srv.Sent(chat)
	if len(sent) == 0 {
		return telegramtest.Call{}
	}
	return sent[len(sent)-1]
}

// planAgain walks the visit pages again for day and returns the visit card (or what came
// instead of it).
func planAgain(t *testing.T, srv *telegramtest.Server, chat int64, lang, day string) telegramtest.Call {
	t.Helper()
	n := len(srv.Sent(chat))
	srv.Push(userPress(chat, lang, bot.OptionData("handoff.start", "visit")))
	srv.Push(userPress(chat, lang, "v|"+day))
	srv.Push(userPress(chat, lang, bot.OptionData("handoff.interp", "no")))
	// The pick page, the interpreter question, the map pin and the card (or the refusal).
	srv.WaitFor(5*time.Second, "the card for "+day, func([]telegramtest.Call) bool { return len(srv.Sent(chat)) >= n+4 })
	return lastTo(srv, chat)
}

// TestOneOpenTicketPerUser: a user who plans a visit again sees the visit they planned and its
// code; the same day again changes nothing, another day moves the visit on the same ticket
// (staff see "visit changed", the reminder moves). Past three requests in an hour the user is
// told kindly, in their language, and staff see nothing.
func TestOneOpenTicketPerUser(t *testing.T) {
	srv := telegramtest.NewServer(t)
	hs := inmem.NewHandoff()
	clk := &clock{}
	loc := osloTime(t)
	clk.set(time.Date(2027, 3, 24, 16, 0, 0, 0, loc))
	d := startDesk(t, srv, inmem.New(0), hs, clk)
	lang := "fa"
	code := planVisit(t, srv, userChat, lang, "2027-03-30")
	waitText(t, srv, staffChat, "🎫 "+code)

	// "Plan a visit" again: the visit planned, its code, and the days to change it.
	srv.Push(userPress(userChat, lang, bot.OptionData("handoff.start", "visit")))
	pick := waitText(t, srv, userChat, text(lang, bot.MsgVisitPlanned))
	for _, want := range []string{"30.03.2027", code, text(lang, bot.MsgVisitChange)} {
		if !strings.Contains(pick.Params["text"], want) {
			t.Fatalf("the visit page lacks %q: %q", want, pick.Params["text"])
		}
	}
	if kb := pick.Keyboard(); len(kb) < 2 || !strings.HasPrefix(kb[0].Data, "v|") {
		t.Fatalf("no days to change the visit to: %v", kb)
	}
	// The same day again: the same code, and nothing for staff.
	staffBefore := len(srv.Sent(staffChat))
	srv.Push(userPress(userChat, lang, "v|2027-03-30"))
	srv.Push(userPress(userChat, lang, bot.OptionData("handoff.interp", "no")))
	srv.WaitFor(5*time.Second, "the card again", func([]telegramtest.Call) bool {
		return count(srv, userChat, code) >= 3 && strings.Contains(lastTo(srv, userChat).Params["text"], code)
	})
	// Another day: the same ticket moves.
	card := planAgain(t, srv, userChat, lang, "2027-03-31")
	if got := codeRE.FindString(card.Params["text"]); got != code || !strings.Contains(card.Params["text"], "31.03.2027") {
		t.Fatalf("the card after changing the day: %q (code %q, want %q)", card.Params["text"], got, code)
	}
	moved := waitText(t, srv, staffChat, "📅 "+code)
	if !strings.Contains(moved.Params["text"], "onsdag 31.03.2027") {
		t.Fatalf("staff told of the change as %q", moved.Params["text"])
	}
	if n := len(srv.Sent(staffChat)); n != staffBefore+1 {
		t.Fatalf("%d staff posts for the same day again and a change, want 1:%s", n-staffBefore, telegramtest.Summary(srv.Sent(staffChat)[staffBefore:]))
	}
	if n := count(srv, staffChat, "🎫 "); n != 1 {
		t.Fatalf("%d ticket cards for one user, want 1", n)
	}
	ctx := context.Background()
	if tk, _ := hs.Ticket(ctx, code); tk == nil || tk.Day != "2027-03-31" {
		t.Fatalf("ticket after the change: %+v", tk)
	}
	user := bot.UserKey(secret, telegram.Channel, itoa(userChat))
	if due, _ := hs.DueReminders(ctx, time.Date(2027, 3, 29, 12, 0, 1, 0, loc), 10); len(due) != 0 {
		t.Fatalf("the reminder for the old day is still due: %v", due)
	}
	if due, _ := hs.DueReminders(ctx, time.Date(2027, 3, 30, 12, 0, 1, 0, loc), 10); len(due) != 1 || due[0] != user {
		t.Fatalf("no reminder the day before the new day: %v", due)
	}

	// The third request in the hour goes through; the fourth is refused, kindly.
	planAgain(t, srv, userChat, lang, "2027-04-01")
	waitText(t, srv, staffChat, "torsdag 01.04.2027")
	refused := planAgain(t, srv, userChat, lang, "2027-04-02")
	if refused.Params["text"] != text(lang, bot.MsgHandoffLimited) {
		t.Fatalf("the fourth request in an hour was answered %q, want %q", refused.Params["text"], text(lang, bot.MsgHandoffLimited))
	}
	if tk, _ := hs.Ticket(ctx, code); tk == nil || tk.Day != "2027-04-01" {
		t.Fatalf("a refused change moved the visit: %+v", tk)
	}
	if n := count(srv, staffChat, "fredag 02.04.2027"); n != 0 {
		t.Fatal("staff were told of a refused change")
	}
	_ = d
}

// TestTicketLimitOverall: many users at once open at most the overall burst of tickets; the
// next one is told kindly and staff see nothing of it.
func TestTicketLimitOverall(t *testing.T) {
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 24, 16, 0, 0, 0, osloTime(t)))
	startDesk(t, srv, inmem.New(0), inmem.NewHandoff(), clk)
	burst := handoff.DefaultTicketRate.Burst
	for i := range burst {
		if code := planVisit(t, srv, userChat+int64(i), "en", "2027-03-30"); code == "" {
			t.Fatalf("user %d got no code", i+1)
		}
	}
	last := planAgain(t, srv, userChat+int64(burst), "en", "2027-03-30")
	if last.Params["text"] != text("en", bot.MsgHandoffLimited) {
		t.Fatalf("ticket %d in a burst of %d answered %q", burst+1, burst, last.Params["text"])
	}
	srv.WaitFor(5*time.Second, "the cards", func([]telegramtest.Call) bool { return count(srv, staffChat, "🎫 ") >= burst })
	time.Sleep(100 * time.Millisecond)
	if n := count(srv, staffChat, "🎫 "); n != burst {
		t.Fatalf("%d cards, want %d", n, burst)
	}
}

// TestFloodDoesNotDelayAnotherUsersCard: a user writes many messages to the counsellor while
// the staff chat is paced; another user asking for a chat meanwhile gets their card posted
// after at most a few of the first user's messages, not after all of them. None is lost.
func TestFloodDoesNotDelayAnotherUsersCard(t *testing.T) {
	srv := telegramtest.NewServer(t)
	hs := inmem.NewHandoff()
	clk := &clock{}
	clk.set(time.Date(2027, 3, 30, 11, 0, 0, 0, osloTime(t))) // open
	startDeskWith(t, srv, inmem.New(0), hs, clk, func(c *telegram.Config) {
		c.ChatRate = telegram.Rate{PerSecond: 10, Burst: 1} // a message every 100 ms per chat
	})
	const flooder, other, flood = userChat, userChat + 1, 30
	askChat(t, srv, hs, flooder, "en")
	for i := range flood {
		srv.Push(userMsg(flooder, "en", fmt.Sprintf("message %02d", i)))
	}
	waitText(t, srv, staffChat, "message 00")
	_, code := askChat(t, srv, hs, other, "en")
	srv.WaitFor(10*time.Second, "every relayed message", func([]telegramtest.Call) bool { return count(srv, staffChat, "\nmessage ") == flood })
	after := -1
	for _, c := range srv.Sent(staffChat) {
		switch {
		case strings.Contains(c.Params["text"], "🎫 "+code):
			after = 0
		case after >= 0 && strings.Contains(c.Params["text"], "\nmessage "):
			after++
		}
	}
	t.Logf("the other user's card came after %d of the %d relayed messages", flood-after, flood)
	if after < flood/2 {
		t.Fatalf("the other user's card came after %d of the %d relayed messages", flood-after, flood)
	}
}
