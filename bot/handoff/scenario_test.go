package handoff_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

const (
	staffChat  = -100777
	staffID    = 4242
	outsiderID = 5151
	userChat   = 90001
)

var secret = []byte("a test secret of enough length")

// clock is a settable time shared by the adapter and the service.
type clock struct{ ns atomic.Int64 }

func (c *clock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time  { return time.Unix(0, c.ns.Load()) }
func osloTime(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// desk is one process: a bot, a handoff service and a Telegram adapter on shared stores.
type desk struct {
	bot *bot.Bot
	svc *handoff.Service
	ad  *telegram.Adapter
}

// pack is the shipped content, for the texts the scenarios wait for (set by startDesk).
var pack *flow.Pack

func startDesk(t *testing.T, srv *telegramtest.Server, sessions bot.Store, hs handoff.Store, clk *clock) *desk {
	t.Helper()
	return startDeskWith(t, srv, sessions, hs, clk, nil)
}

// startDeskWith is startDesk with the channel's configuration changed by tune (when not nil).
func startDeskWith(t *testing.T, srv *telegramtest.Server, sessions bot.Store, hs handoff.Store, clk *clock, tune func(*telegram.Config)) *desk {
	t.Helper()
	pack = handofftest.Content(t)
	c := pack.Content
	// Each process has its own engine (the calendar is part of it).
	eng, cal := handofftest.Engine(t)
	sealer, _ := handoff.NewSealer(secret)
	d := &desk{bot: bot.New(eng, sessions, nil)}
	var err error
	d.svc, err = handoff.NewService(handoff.Config{
		Store: hs, Sessions: sessions, Language: pack.Catalog, Content: c, Calendar: cal,
		Codes: handoff.NewCodes(secret), Sealer: sealer, Secret: secret,
		StaffIDs: map[string]bool{"4242": true, "4243": true}, StaffLang: "nb", Now: clk.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	d.bot.SetHandoff(d.svc)
	cfg := telegram.Config{
		Token: telegramtest.Token, Endpoint: srv.Endpoint(), Bot: d.bot, Secret: secret,
		StaffChatID: staffChat, Now: clk.now,
		GlobalRate: telegram.Rate{PerSecond: 1000, Burst: 1000}, ChatRate: telegram.Rate{PerSecond: 1000, Burst: 1000},
		PollTimeout: time.Second, SendTimeout: 2 * time.Second, DrainTimeout: 2 * time.Second,
	}
	cfg.StaffHandler = func(ctx context.Context, u tgbotapiUpdate) {
		a, ok := telegram.StaffActionOf(u)
		defer d.ad.AnswerCallback(a.CallbackID)
		if !ok {
			return
		}
		d.ad.Fetchable(a.Medium)
		if ans := d.svc.Staff(ctx, handoff.StaffMsg{StaffID: itoa(a.UserID), Name: a.Name, Text: a.Text,
			ReplyTo: a.ReplyTo, ReplyToBot: a.ReplyToBot, Data: a.Data, Medium: a.Medium}); ans != "" {
			d.ad.PostStaff(bot.StaffPost{Text: ans})
		}
	}
	cfg.Blocked = d.svc.UserBlocked
	if tune != nil {
		tune(&cfg)
	}
	if d.ad, err = telegram.New(cfg); err != nil {
		t.Fatal(err)
	}
	d.svc.SetStaff(d.ad)
	d.svc.SetUserSender(telegram.Channel, d.ad)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.ad.Run(ctx); close(done) }()
	select {
	case <-d.ad.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("adapter not ready")
	}
	t.Cleanup(func() { cancel(); <-done })
	return d
}

func userMsg(chat int64, lang, text string) []byte {
	return mustJSON(map[string]any{"message": map[string]any{
		"message_id": 1, "date": 1, "text": text,
		"from": map[string]any{"id": chat, "is_bot": false, "first_name": "U", "language_code": lang},
		"chat": map[string]any{"id": chat, "type": "private"},
	}})
}

func userPress(chat int64, lang, data string) []byte {
	return mustJSON(map[string]any{"callback_query": map[string]any{
		"id": "q" + data, "data": data, "chat_instance": "x",
		"from":    map[string]any{"id": chat, "is_bot": false, "first_name": "U", "language_code": lang},
		"message": map[string]any{"message_id": 1, "date": 1, "chat": map[string]any{"id": chat, "type": "private"}},
	}})
}

// staffMessage is a message from staff in the staff group.
func staffMessage(from int64, text string) map[string]any {
	m := map[string]any{
		"message_id": staffMessageID.Add(1), "date": 1, "text": text,
		"from": map[string]any{"id": from, "is_bot": false, "first_name": "Kari"},
		"chat": map[string]any{"id": staffChat, "type": "supergroup", "title": "staff"},
	}
	if strings.HasPrefix(text, "/") {
		m["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(strings.Fields(text)[0])}}
	}
	return m
}

// staffMessageID numbers the staff's messages, apart from the fake server's (which count from 1).
var staffMessageID atomic.Int64

func init() { staffMessageID.Store(1_000_000) }

func staffMsg(from int64, text string) []byte {
	return mustJSON(map[string]any{"message": staffMessage(from, text)})
}

// staffReply is staff replying in the group to a message the bot sent there, as Telegram
// delivers it: reply_to_message is that message, with its message_id and the bot as sender.
func staffReply(from int64, text string, to telegramtest.Call) []byte {
	m := staffMessage(from, text)
	m["reply_to_message"] = map[string]any{"message_id": to.MessageID, "date": 1, "text": to.Params["text"],
		"from": map[string]any{"id": 111111111, "is_bot": true, "first_name": "Returnbot test", "username": telegramtest.BotUsername},
		"chat": map[string]any{"id": staffChat, "type": "supergroup", "title": "staff"}}
	return mustJSON(map[string]any{"message": m})
}

// staffReplyToColleague is staff replying to another staff member's message.
func staffReplyToColleague(from int64, text string, to map[string]any) []byte {
	m := staffMessage(from, text)
	m["reply_to_message"] = to
	return mustJSON(map[string]any{"message": m})
}

func staffPress(from int64, data string) []byte {
	return mustJSON(map[string]any{"callback_query": map[string]any{
		"id": "s" + data + itoa(from), "data": data, "chat_instance": "y",
		"from":    map[string]any{"id": from, "is_bot": false, "first_name": "Kari"},
		"message": map[string]any{"message_id": 3, "date": 1, "chat": map[string]any{"id": staffChat, "type": "supergroup"}},
	}})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// waitText waits until chat got a message containing want, and returns that call.
func waitText(t *testing.T, srv *telegramtest.Server, chat int64, want string) telegramtest.Call {
	t.Helper()
	var got telegramtest.Call
	srv.WaitFor(5*time.Second, "a message to "+itoa(chat)+" containing "+want, func([]telegramtest.Call) bool {
		for _, c := range srv.Sent(chat) {
			if strings.Contains(c.Params["text"], want) {
				got = c
				return true
			}
		}
		return false
	})
	return got
}

func count(srv *telegramtest.Server, chat int64, want string) int {
	n := 0
	for _, c := range srv.Sent(chat) {
		if strings.Contains(c.Params["text"], want) {
			n++
		}
	}
	return n
}

// text is a message as the user sees it (bot.ForDisplay isolates Latin runs in right-to-left text).
func text(lang, id string) string { return pack.Catalog.Display(lang, pack.Catalog.Text(lang, id, "")) }

var codeRE = regexp.MustCompile(handoff.CodePattern)

func TestVisitChatStaffAndHandBack(t *testing.T) {
	srv := telegramtest.NewServer(t)
	sessions := inmem.New(0)
	hs := inmem.NewHandoff()
	clk := &clock{}
	loc := osloTime(t)
	// Wednesday before Easter 2027, after closing: Thu, Fri (Easter) and Mon 29 are holidays.
	clk.set(time.Date(2027, 3, 24, 16, 0, 0, 0, loc))
	startDesk(t, srv, sessions, hs, clk)
	lang := "fa"
	if pack.Catalog.Negotiate("fa") != "fa" {
		lang = "nb"
	}

	srv.Push(userMsg(userChat, lang, "/counsellor"))
	waitText(t, srv, userChat, firstLine(text(lang, "handoff.start")))
	// Chat now while closed: told when the office opens next (Tuesday 30.03, not a holiday).
	srv.Push(userPress(userChat, lang, bot.OptionData("handoff.start", "chat")))
	closed := waitText(t, srv, userChat, text(lang, bot.MsgClosedNow))
	if !strings.Contains(closed.Params["text"], "30.03") || !strings.Contains(closed.Params["text"], "10:00") {
		t.Fatalf("closed message does not name the next open day: %q", closed.Params["text"])
	}
	// Plan a visit: the days offered skip Easter.
	srv.Push(userPress(userChat, lang, bot.OptionData("handoff.start", "visit")))
	pick := waitText(t, srv, userChat, text(lang, "handoff.visit_pick"))
	var days []string
	for _, b := range pick.Keyboard() {
		if strings.HasPrefix(b.Data, "v|") {
			days = append(days, b.Data[2:])
		}
	}
	if strings.Join(days, " ") != "2027-03-30 2027-03-31 2027-04-01 2027-04-02" {
		t.Fatalf("visit days offered: %v", days)
	}
	// Good Friday (an old or forged button) is refused and open days are offered again.
	srv.Push(userPress(userChat, lang, "v|2027-03-26"))
	waitText(t, srv, userChat, text(lang, bot.MsgDayClosed))
	srv.Push(userPress(userChat, lang, "v|2027-03-30"))
	waitText(t, srv, userChat, text(lang, "handoff.interp_q"))
	srv.Push(userPress(userChat, lang, bot.OptionData("handoff.interp", "yes")))
	card := waitText(t, srv, userChat, text(lang, bot.MsgVisitCode))
	code := codeRE.FindString(card.Params["text"])
	if code == "" || !strings.Contains(card.Params["text"], "30.03.2027") || !strings.Contains(card.Params["text"], text(lang, bot.MsgCardInterp)) {
		t.Fatalf("visit card: %q", card.Params["text"])
	}
	if len(srv.Calls("sendVenue")) == 0 {
		t.Fatal("no map pin with the visit card")
	}
	// Staff see the ticket in Norwegian with the day, the interpreter and Take/Close.
	staffCard := waitText(t, srv, staffChat, "🎫 "+code)
	for _, want := range []string{"tirsdag 30.03.2027", "Tolk: ja (" + lang + ")", "Språk: " + lang} {
		if !strings.Contains(staffCard.Params["text"], want) {
			t.Fatalf("staff card lacks %q: %q", want, staffCard.Params["text"])
		}
	}
	if kb := staffCard.Keyboard(); len(kb) != 2 || kb[0].Data != "take|"+code {
		t.Fatalf("staff card buttons: %v", kb)
	}
	// Reception looks the visitor up by code.
	srv.Push(staffMsg(staffID, "/code "+strings.ToLower(strings.ReplaceAll(code, "-", ""))))
	srv.WaitFor(5*time.Second, "the /code answer", func([]telegramtest.Call) bool { return count(srv, staffChat, "🎫 "+code) == 2 })

	// Next open day, 11:00: the user asks to chat now.
	clk.set(time.Date(2027, 3, 30, 11, 0, 0, 0, loc))
	srv.Push(userMsg(userChat, lang, "/counsellor"))
	srv.WaitFor(5*time.Second, "handoff start again", func([]telegramtest.Call) bool {
		return count(srv, userChat, firstLine(text(lang, "handoff.start"))) == 2
	})
	srv.Push(userPress(userChat, lang, bot.OptionData("handoff.start", "chat")))
	waitText(t, srv, userChat, firstLine(text(lang, "handoff.chat_wait")))
	// One open ticket per user: the chat goes to the visit's ticket, staff see a note, no card.
	waitText(t, srv, staffChat, "💬 "+code+" ["+lang+"]: Vil chatte")
	chatCode := code
	if n := count(srv, staffChat, "🎫 "); n != 2 {
		t.Fatalf("%d ticket cards (the visit's and the /code answer expected): a second ticket opened", n)
	}
	// A member of the staff chat who is not staff cannot take or reply.
	srv.Push(staffPress(outsiderID, "take|"+chatCode))
	waitText(t, srv, staffChat, "Ikke tillatt")
	srv.Push(staffMsg(outsiderID, "/reply "+chatCode+" hei"))
	srv.WaitFor(5*time.Second, "second refusal", func([]telegramtest.Call) bool { return count(srv, staffChat, "Ikke tillatt") == 2 })
	// Staff take; a second take is told who has it.
	srv.Push(staffPress(staffID, "take|"+chatCode))
	waitText(t, srv, staffChat, chatCode+": tatt av Kari")
	srv.Push(staffPress(staffID+1, "take|"+chatCode))
	waitText(t, srv, staffChat, chatCode+" er allerede tatt av Kari")
	if s := sessionOf(t, sessions, userChat); s.Mode != bot.ModeStaff {
		t.Fatalf("session mode after take = %q", s.Mode)
	}
	// The user writes: it goes to staff, the bot says nothing.
	before := len(srv.Sent(userChat))
	srv.Push(userMsg(userChat, lang, "سلام، کمک می‌خواهم"))
	relayed := waitText(t, srv, staffChat, "سلام")
	if !strings.Contains(relayed.Params["text"], chatCode) {
		t.Fatalf("relayed message lacks the code: %q", relayed.Params["text"])
	}
	// Staff answer by replying to the relayed message, in Norwegian.
	srv.Push(staffReply(staffID, "Hei! Vi kan hjelpe deg.", linked(t, hs, relayed)))
	answer := waitText(t, srv, userChat, "Vi kan hjelpe deg.")
	if !strings.HasPrefix(answer.Params["text"], text(lang, bot.MsgFromStaff)) {
		t.Fatalf("staff answer not marked as from a counsellor: %q", answer.Params["text"])
	}
	if n := len(srv.Sent(userChat)); n != before+1 {
		t.Fatalf("the bot spoke while staff held the chat: %d messages, want %d", n, before+1)
	}
	// /reply works too.
	srv.Push(staffMsg(staffID, "/reply "+chatCode+" Kom gjerne innom."))
	waitText(t, srv, userChat, "Kom gjerne innom.")
	// The user takes the bot back; staff are told.
	srv.Push(userMsg(userChat, lang, "/bot"))
	waitText(t, srv, userChat, text(lang, bot.MsgBackWithBot))
	waitText(t, srv, staffChat, "↩ "+chatCode)
	if s := sessionOf(t, sessions, userChat); s.Mode != "" {
		t.Fatalf("session mode after /bot = %q", s.Mode)
	}
	// Staff hand a chat back: take again via /reply, then /back.
	srv.Push(staffMsg(staffID, "/take "+code))
	waitText(t, srv, staffChat, code+": tatt av Kari")
	srv.Push(staffMsg(staffID, "/visit "+code+" 2027-04-01 13:00"))
	waitText(t, srv, userChat, "01.04.2027, 13:00")
	srv.Push(staffMsg(staffID, "/visit "+code+" 2027-04-02")) // Good Friday? no: 2 April 2027 is open
	srv.Push(staffMsg(staffID, "/visit "+code+" 2027-05-17"))
	waitText(t, srv, staffChat, "Kontoret er stengt")
	srv.Push(staffMsg(staffID, "/queue"))
	waitText(t, srv, staffChat, code+" ["+lang+"]")
	srv.Push(staffMsg(staffID, "/close "+code))
	waitText(t, srv, staffChat, code+": lukket av Kari")
	trail, err := hs.AuditTrail(context.Background(), 100)
	if err != nil || len(trail) < 8 {
		t.Fatalf("audit trail: %d entries, %v", len(trail), err)
	}
	for _, a := range trail {
		if strings.Contains(a.Staff, "4242") || a.Action == "" || a.Time.IsZero() {
			t.Fatalf("audit entry: %+v", a)
		}
	}

	// /forget erases the tickets and routes too.
	srv.Push(userMsg(userChat, lang, "/forget"))
	waitText(t, srv, userChat, text(lang, bot.MsgForgetConfirm))
	srv.Push(userPress(userChat, lang, "c|forget_yes"))
	waitText(t, srv, userChat, text(lang, bot.MsgForgotten))
	if n := hs.Len(); n != 0 {
		t.Fatalf("%d handoff records left after /forget", n)
	}
	if tk, _ := hs.Ticket(context.Background(), code); tk != nil {
		t.Fatal("ticket survived /forget")
	}
}

func TestReminderOnceWithTwoProcesses(t *testing.T) {
	sessions := inmem.New(0)
	hs := inmem.NewHandoff()
	reminderOnce(t, procStores{sessions, hs}, procStores{sessions, hs})
}

// procStores are the stores one process of the bot uses.
type procStores struct {
	sessions bot.Store
	handoff  handoff.Store
}

// reminderOnce runs two processes on their stores (which share their data): a user plans a
// visit, and when the reminder falls due, both processes racing to send it send it once.
func reminderOnce(t *testing.T, pa, pb procStores) {
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	loc := osloTime(t)
	clk.set(time.Date(2027, 3, 24, 16, 0, 0, 0, loc))
	a := startDesk(t, srv, pa.sessions, pa.handoff, clk)
	b := startDesk(t, srv, pb.sessions, pb.handoff, clk)
	srv.Push(userPress(userChat, "nb", bot.OptionData("handoff.start", "visit")))
	waitText(t, srv, userChat, text("nb", "handoff.visit_pick"))
	srv.Push(userPress(userChat, "nb", "v|2027-03-30"))
	waitText(t, srv, userChat, text("nb", "handoff.interp_q"))
	srv.Push(userPress(userChat, "nb", bot.OptionData("handoff.interp", "no")))
	waitText(t, srv, userChat, text("nb", bot.MsgVisitCode))
	if a.svc.SendDueReminders(context.Background())+b.svc.SendDueReminders(context.Background()) != 0 {
		t.Fatal("a reminder went out early")
	}
	clk.set(time.Date(2027, 3, 29, 12, 0, 1, 0, loc))
	var wg sync.WaitGroup
	var sent atomic.Int64
	for _, d := range []*desk{a, b, a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); sent.Add(int64(d.svc.SendDueReminders(context.Background()))) }()
	}
	wg.Wait()
	if sent.Load() != 1 {
		t.Fatalf("reminder sent %d times", sent.Load())
	}
	waitText(t, srv, userChat, text("nb", bot.MsgReminder))
	time.Sleep(100 * time.Millisecond)
	if n := count(srv, userChat, text("nb", bot.MsgReminder)); n != 1 {
		t.Fatalf("user got %d reminders", n)
	}
}

func TestNoRemindCancels(t *testing.T) {
	srv := telegramtest.NewServer(t)
	hs := inmem.NewHandoff()
	clk := &clock{}
	loc := osloTime(t)
	clk.set(time.Date(2027, 3, 24, 16, 0, 0, 0, loc))
	d := startDesk(t, srv, inmem.New(0), hs, clk)
	srv.Push(userPress(userChat, "en", bot.OptionData("handoff.start", "visit")))
	srv.Push(userPress(userChat, "en", "v|2027-03-31"))
	srv.Push(userPress(userChat, "en", bot.OptionData("handoff.interp", "no")))
	waitText(t, srv, userChat, text("en", bot.MsgVisitCode))
	srv.Push(userMsg(userChat, "en", "/noremind"))
	waitText(t, srv, userChat, text("en", "handoff.reminder_off"))
	clk.set(time.Date(2027, 3, 30, 13, 0, 0, 0, loc))
	if n := d.svc.SendDueReminders(context.Background()); n != 0 {
		t.Fatalf("cancelled reminder sent (%d)", n)
	}
}

func TestStaffCommandInPrivateChatIsRefused(t *testing.T) {
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 24, 11, 0, 0, 0, osloTime(t)))
	startDesk(t, srv, inmem.New(0), inmem.NewHandoff(), clk)
	srv.Push(userMsg(userChat, "en", "/reply ACD-346 hello"))
	waitText(t, srv, userChat, text("en", bot.MsgNotAllowed))
}

func sessionOf(t *testing.T, s bot.Store, chat int64) bot.Session {
	t.Helper()
	var got bot.Session
	_ = s.Update(context.Background(), bot.UserKey(secret, telegram.Channel, itoa(chat)), func(sess *bot.Session) error {
		got = *sess
		return context.Canceled
	})
	return got
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 30 {
		s = s[:30]
	}
	return s
}
