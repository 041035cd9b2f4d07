package handoff_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// askChat asks for a counsellor while the office is open and returns the staff card of the chat
// ticket.
func askChat(t *testing.T, srv *telegramtest.Server, hs handoff.Store, chat int64, lang string) (card telegramtest.Call, code string) {
	t.Helper()
	before := count(srv, staffChat, "🎫 ")
	srv.Push(userPress(chat, lang, bot.OptionData("handoff.start", "chat")))
	waitText(t, srv, chat, firstLine(text(lang, "handoff.chat_wait")))
	srv.WaitFor(5*time.Second, "a new ticket card", func([]telegramtest.Call) bool { return count(srv, staffChat, "🎫 ") > before })
	cards := 0
	for _, c := range srv.Sent(staffChat) {
		if strings.Contains(c.Params["text"], "🎫 ") {
			if cards++; cards > before {
				return linked(t, hs, c), codeRE.FindString(c.Params["text"])
			}
		}
	}
	t.Fatal("card not found")
	return
}

// linked waits until the staff chat message sent in c is linked to its ticket: the link is
// stored once Telegram's answer to the send is read, just after the fake records the call.
func linked(t *testing.T, hs handoff.Store, c telegramtest.Call) telegramtest.Call {
	t.Helper()
	ref := itoa(staffChat) + ":" + itoa(c.MessageID)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if code, _ := hs.PostTicket(context.Background(), ref); code != "" {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("staff chat message %s not linked to a ticket: %q", ref, c.Params["text"])
		}
	}
}

// counsellorTexts are the staff messages a user got, without the "Counsellor:" line.
func counsellorTexts(srv *telegramtest.Server, chat int64, lang string) []string {
	var out []string
	for _, c := range srv.Sent(chat) {
		if rest, ok := strings.CutPrefix(c.Params["text"], text(lang, bot.MsgFromStaff)+"\n"); ok {
			out = append(out, rest)
		}
	}
	return out
}

// TestStaffRepliesReachOnlyTheMeantUser: with two tickets open at once, a reply to a ticket's
// card or to a message its user wrote reaches that user and no other; /reply CODE text does
// too. Replies to anything else that names a code — the /queue list, the bot's answer to
// /code, a colleague's message — reach nobody: staff get a hint for the bot's messages and
// nothing for a colleague's.
func TestStaffRepliesReachOnlyTheMeantUser(t *testing.T) {
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 30, 11, 0, 0, 0, osloTime(t))) // Tuesday, the office is open
	hs := inmem.NewHandoff()
	startDesk(t, srv, inmem.New(0), hs, clk)
	const userA, userB = userChat, userChat + 1
	cardA, codeA := askChat(t, srv, hs, userA, "en")
	cardB, codeB := askChat(t, srv, hs, userB, "en")
	if codeA == "" || codeB == "" || codeA == codeB {
		t.Fatalf("codes %q and %q", codeA, codeB)
	}
	srv.Push(userMsg(userA, "en", "hello from A"))
	relA := linked(t, hs, waitText(t, srv, staffChat, "hello from A"))
	srv.Push(userMsg(userB, "en", "hello from B"))
	relB := linked(t, hs, waitText(t, srv, staffChat, "hello from B"))

	// Meant: the card and the relayed message of each ticket, and /reply.
	srv.Push(staffReply(staffID, "to A by the card", cardA))
	srv.Push(staffReply(staffID, "to B by the card", cardB))
	srv.Push(staffReply(staffID, "to A by the message", relA))
	srv.Push(staffReply(staffID, "to B by the message", relB))
	srv.Push(staffMsg(staffID, "/reply "+codeB+" to B by reply"))
	waitText(t, srv, userB, "to B by reply")
	waitText(t, srv, userA, "to A by the message")

	// Not meant: the bot's /queue list and /code answer name both codes or one.
	srv.Push(staffMsg(staffID, "/queue"))
	var list telegramtest.Call
	srv.WaitFor(5*time.Second, "the queue", func([]telegramtest.Call) bool {
		for _, c := range srv.Sent(staffChat) {
			if strings.Contains(c.Params["text"], codeA+" [en]") && strings.Contains(c.Params["text"], codeB+" [en]") {
				list = c
				return true
			}
		}
		return false
	})
	srv.Push(staffMsg(staffID, "/code "+codeA))
	srv.WaitFor(5*time.Second, "the /code answer", func([]telegramtest.Call) bool { return count(srv, staffChat, "🎫 "+codeA) == 2 })
	var codeAnswer telegramtest.Call
	for _, c := range srv.Sent(staffChat) {
		if strings.Contains(c.Params["text"], "🎫 "+codeA) {
			codeAnswer = c // the last: the answer, not the card
		}
	}
	hints := count(srv, staffChat, text("nb", handoff.StaffPrefix+"reply_hint"))
	srv.Push(staffReply(staffID, "misdirected to the queue", list))
	srv.Push(staffReply(staffID, "misdirected to the code answer", codeAnswer))
	colleague := staffMessage(staffID+1, "Kan noen ta "+codeA+"? Og "+codeB+".")
	srv.Push(mustJSON(map[string]any{"message": colleague}))
	srv.Push(staffReplyToColleague(staffID, "misdirected to a colleague", colleague))
	// A reply that does go through, after the misdirected ones: the staff chat's updates are
	// handled in order, so once it arrived the others were acted on.
	srv.Push(staffMsg(staffID, "/reply "+codeA+" last to A"))
	waitText(t, srv, userA, "last to A")
	wantA := []string{"to A by the card", "to A by the message", "last to A"}
	wantB := []string{"to B by the card", "to B by the message", "to B by reply"}
	for _, u := range []struct {
		chat int64
		want []string
	}{{userA, wantA}, {userB, wantB}} {
		got := counsellorTexts(srv, u.chat, "en")
		if strings.Join(got, "|") != strings.Join(u.want, "|") {
			t.Errorf("user %d got from staff %q, want %q", u.chat, got, u.want)
		}
	}
	hint := text("nb", handoff.StaffPrefix+"reply_hint")
	srv.WaitFor(5*time.Second, "two hints", func([]telegramtest.Call) bool { return count(srv, staffChat, hint) >= hints+2 })
	time.Sleep(100 * time.Millisecond)
	if n := count(srv, staffChat, hint); n != hints+2 {
		t.Errorf("%d hints for the two replies to the bot's messages, want 2", n-hints)
	}
}
