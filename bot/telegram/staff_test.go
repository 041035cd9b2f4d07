package telegram_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

const staffGroup = -1001234567489 // the fixture's supergroup

// staffUpdate is the supergroup fixture, replying to replyTo when it is set.
func staffUpdate(t *testing.T, replyTo map[string]any) tgbotapi.Update {
	t.Helper()
	var u map[string]any
	if err := json.Unmarshal(fixtures(t)["supergroup_text_forum.json"], &u); err != nil {
		t.Fatal(err)
	}
	if replyTo != nil {
		u["message"].(map[string]any)["reply_to_message"] = replyTo
	}
	var out tgbotapi.Update
	if err := json.Unmarshal(mustJSON(u), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStaffActionOfReply: a staff reply names the message replied to by chat and message id
// (never by its text), and says whether the bot wrote it.
func TestStaffActionOfReply(t *testing.T) {
	chat := map[string]any{"id": staffGroup, "type": "supergroup", "title": "Testing"}
	for _, c := range []struct {
		name    string
		replyTo map[string]any
		ref     string
		bot     bool
	}{
		{"no reply", nil, "", false},
		{"to the bot", map[string]any{"message_id": 34, "date": 1, "chat": chat, "text": "🎫 ACD3-46KM",
			"from": map[string]any{"id": 111111111, "is_bot": true, "first_name": "Returnbot"}}, "-1001234567489:34", true},
		{"to a colleague", map[string]any{"message_id": 33, "date": 1, "chat": chat, "text": "ACD3-46KM?",
			"from": map[string]any{"id": 7, "is_bot": false, "first_name": "Ola"}}, "-1001234567489:33", false},
	} {
		a, ok := telegram.StaffActionOf(staffUpdate(t, c.replyTo))
		if !ok || a.Text != "foo" || a.ReplyTo != c.ref || a.ReplyToBot != c.bot {
			t.Errorf("%s: %+v, %v; want ReplyTo %q, ReplyToBot %v", c.name, a, ok, c.ref, c.bot)
		}
	}
}

// TestStaffPostsTakeTurns: posts to the staff chat are paced; those of different tickets take
// turns, those of one ticket keep their order, and each delivered message's reference (chat and
// the message id Telegram gave it) goes to Posted.
func TestStaffPostsTakeTurns(t *testing.T) {
	h := start(t, polling, func(c *telegram.Config) {
		c.StaffChatID = staffGroup
		c.ChatRate = telegram.Rate{PerSecond: 20, Burst: 1}
	})
	var mu sync.Mutex
	refs := map[string]string{}
	post := func(ticket, text string) {
		h.ad.PostStaff(bot.StaffPost{Ticket: ticket, Text: text, Posted: func(ref string) {
			mu.Lock()
			refs[text] = ref
			mu.Unlock()
		}})
	}
	for i := range 10 {
		post("AAAA-AAAA", fmt.Sprintf("A%d", i))
	}
	post("BBBB-BBBB", "B0")
	h.ad.PostStaff(bot.StaffPost{Text: "answer"})
	h.srv.WaitFor(5*time.Second, "12 posts", func([]telegramtest.Call) bool { return len(h.srv.Sent(staffGroup)) == 12 })
	var order []string
	for _, c := range h.srv.Sent(staffGroup) {
		order = append(order, c.Params["text"])
	}
	pos := map[string]int{}
	for i, x := range order {
		pos[x] = i
	}
	if pos["B0"] > 2 || pos["answer"] > 3 {
		t.Errorf("order %v: the other ticket's post and the answer waited behind one ticket's", order)
	}
	for i := 1; i < 10; i++ {
		if pos[fmt.Sprintf("A%d", i)] < pos[fmt.Sprintf("A%d", i-1)] {
			t.Fatalf("one ticket's posts out of order: %v", order)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(refs)
		mu.Unlock()
		if n == 11 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range h.srv.Sent(staffGroup) {
		text := c.Params["text"]
		if text == "answer" {
			continue
		}
		if want := strconv.FormatInt(staffGroup, 10) + ":" + strconv.FormatInt(c.MessageID, 10); refs[text] != want {
			t.Errorf("%s posted as %q, want %q", text, refs[text], want)
		}
	}
}

// TestStaffPostsOutlastAnOutage: while the Bot API answers 500, staff posts wait and are tried
// again with backoff, long past the few tries a single call gets; once it recovers every post
// arrives, in order, and is linked.
func TestStaffPostsOutlastAnOutage(t *testing.T) {
	h := start(t, polling, func(c *telegram.Config) { c.StaffChatID = staffGroup })
	h.srv.Fail("sendMessage", staffGroup, -1, telegramtest.Fault{Code: 500})
	var mu sync.Mutex
	var posted []string
	for i := range 5 {
		text := fmt.Sprintf("card %d", i)
		h.ad.PostStaff(bot.StaffPost{Ticket: fmt.Sprintf("T%d", i%2), Text: text, Posted: func(string) {
			mu.Lock()
			posted = append(posted, text)
			mu.Unlock()
		}})
	}
	// Tries keep coming through the outage (backoff 5 ms doubling to 40 ms in the harness):
	// far more than MaxAttempts.
	h.srv.WaitFor(5*time.Second, "many failed tries", func(calls []telegramtest.Call) bool {
		n := 0
		for _, c := range calls {
			if c.ChatID() == staffGroup && c.Status == 500 {
				n++
			}
		}
		return n > 20
	})
	h.srv.Clear()
	h.srv.WaitFor(5*time.Second, "every post", func([]telegramtest.Call) bool { return len(h.srv.Sent(staffGroup)) == 5 })
	var got []string
	for _, c := range h.srv.Sent(staffGroup) {
		got = append(got, c.Params["text"])
	}
	if want := "card 0|card 1|card 2|card 3|card 4"; strings.Join(got, "|") != want {
		t.Fatalf("posts arrived as %v", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(posted)
		mu.Unlock()
		if n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 5 posts linked", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
