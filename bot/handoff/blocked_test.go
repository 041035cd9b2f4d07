package handoff_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// TestBlockingKeepsTheVisit: a user plans a visit, then blocks the bot. The session, the route
// and the reminder go; the ticket stays until it expires, so reception can still look the code
// up when the visitor comes, and staff are told that nothing reaches the user any more.
func TestBlockingKeepsTheVisit(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		blockingKeepsTheVisit(t, procStores{inmem.New(0), inmem.NewHandoff()})
	})
	t.Run("redis", func(t *testing.T) {
		p, _ := redisProcess(t, redistest.Server(t))
		blockingKeepsTheVisit(t, p)
	})
}

func blockingKeepsTheVisit(t *testing.T, p procStores) {
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	loc := osloTime(t)
	clk.set(time.Date(2027, 3, 24, 16, 0, 0, 0, loc))
	d := startDesk(t, srv, p.sessions, p.handoff, clk)
	code := planVisit(t, srv, userChat, "en", "2027-03-30")
	waitText(t, srv, staffChat, "🎫 "+code)
	ctx := context.Background()
	user := bot.UserKey(secret, telegram.Channel, itoa(userChat))
	if r, _ := p.handoff.Route(ctx, user); r == nil {
		t.Fatal("no route after planning a visit: the test sees nothing")
	}

	srv.Push(kicked(t, userChat))
	deadline := time.Now().Add(5 * time.Second)
	for sessionOf(t, p.sessions, userChat).Lang != "" {
		if time.Now().After(deadline) {
			t.Fatal("the session outlived the block")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if tk, err := p.handoff.Ticket(ctx, code); err != nil || tk == nil {
		t.Fatalf("the visit ticket went with the block: %+v, %v", tk, err)
	}
	srv.Push(staffMsg(staffID, "/code "+code))
	srv.WaitFor(5*time.Second, "the /code answer", func([]telegramtest.Call) bool { return count(srv, staffChat, "🎫 "+code) == 2 })
	waitText(t, srv, staffChat, "⛔ "+code)
	if r, _ := p.handoff.Route(ctx, user); r != nil {
		t.Error("the route to a user who blocked the bot is kept")
	}
	clk.set(time.Date(2027, 3, 29, 12, 0, 1, 0, loc))
	if n := d.svc.SendDueReminders(ctx); n != 0 {
		t.Errorf("%d reminders went to a user who blocked the bot", n)
	}
	if due, _ := p.handoff.DueReminders(ctx, clk.now(), 10); len(due) != 0 {
		t.Errorf("the reminder of a user who blocked the bot is still scheduled: %v", due)
	}
	srv.Push(staffMsg(staffID, "/reply "+code+" Hei"))
	waitText(t, srv, staffChat, code+": "+text("nb", handoff.StaffPrefix+"send_failed"))
}

// planVisit plans a visit for day through the buttons, as a user does, and returns the code
// on the visit card.
func planVisit(t *testing.T, srv *telegramtest.Server, chat int64, lang, day string) string {
	t.Helper()
	before := count(srv, chat, text(lang, bot.MsgVisitCode))
	srv.Push(userPress(chat, lang, bot.OptionData("handoff.start", "visit")))
	srv.Push(userPress(chat, lang, "v|"+day))
	srv.Push(userPress(chat, lang, bot.OptionData("handoff.interp", "no")))
	var code string
	srv.WaitFor(5*time.Second, "the visit card", func([]telegramtest.Call) bool {
		n := 0
		for _, c := range srv.Sent(chat) {
			if m := codeRE.FindString(c.Params["text"]); m != "" {
				if n++; n > before {
					code = m
					return true
				}
			}
		}
		return false
	})
	return code
}

// kicked is Telegram's my_chat_member update for a user who blocked the bot (the fixture, with
// the chat's ids).
func kicked(t *testing.T, chat int64) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/fixtures/telegram/my_chat_member_kicked_private.json")
	if err != nil {
		t.Fatal(err)
	}
	var u map[string]any
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatal(err)
	}
	m := u["my_chat_member"].(map[string]any)
	m["chat"].(map[string]any)["id"] = chat
	m["from"].(map[string]any)["id"] = chat
	return mustJSON(u)
}
