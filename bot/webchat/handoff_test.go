package webchat_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/webchat"
)

// office is a web chat with a handoff service (the office's staff) on in-process stores.
type office struct {
	h      *webchat.Handler
	svc    *handoff.Service
	staff  *handofftest.StaffPosts
	outbox *inmem.Outbox
	now    atomic.Int64
}

func (o *office) clock() time.Time     { return time.Unix(0, o.now.Load()) }
func (o *office) setClock(t time.Time) { o.now.Store(t.UnixNano()) }

func newOffice(t *testing.T, at time.Time, cfg webchat.Config) *office {
	t.Helper()
	secret := []byte("test-secret-0123456789")
	sessions := inmem.New(time.Hour)
	o := &office{outbox: inmem.NewOutbox()}
	o.setClock(at)
	desk := handofftest.NewOffice(t, sessions, secret, o.clock)
	o.staff, o.svc = desk.Staff, desk.Service
	b := desk.Bot
	cfg.Bot, cfg.Secret, cfg.Now, cfg.Outbox = b, secret, o.clock, o.outbox
	o.h = webchat.New(cfg)
	o.svc.SetUserSender(webchat.Channel, o.h)
	return o
}

func (o *office) staffSays(t *testing.T, text string) string {
	t.Helper()
	return o.svc.Staff(context.Background(), handoff.StaffMsg{StaffID: "4242", Name: "Kari", Text: text})
}

func postInbox(t *testing.T, h *webchat.Handler, id string, ack int64) []webchat.InboxItem {
	t.Helper()
	w := postTo(t, h, "/webchat/api/inbox", `{"id":"`+id+`","ack":`+itoa64(ack)+`}`)
	if w.Code != 200 {
		t.Fatalf("inbox: status %d: %s", w.Code, w.Body)
	}
	var resp struct {
		Inbox []webchat.InboxItem `json:"inbox"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Inbox == nil {
		t.Fatalf("inbox body %s: %v", w.Body, err)
	}
	return resp.Inbox
}

func postTo(t testing.TB, h http.Handler, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }

func msg(t *testing.T, h *webchat.Handler, id, field, value string, ack int64) webchat.Response {
	t.Helper()
	// The page sends navigator.language with every message.
	body, _ := json.Marshal(map[string]any{"id": id, field: value, "ack": ack, "lang": "en-GB"})
	return decode(t, post(t, h, string(body)))
}

// page is what the browser script does with inbox items: show those above the last seq shown.
type page struct {
	lastSeq int64
	shown   []string
}

func (p *page) show(items []webchat.InboxItem) {
	for _, it := range items {
		if it.Seq <= p.lastSeq {
			continue
		}
		for _, r := range it.Replies {
			p.shown = append(p.shown, r.Text)
		}
		p.lastSeq = it.Seq
	}
}

// TestStaffRepliesReachThePageOnceInOrder: a web chat user asks for a counsellor; staff answers
// wait in the outbox and reach the page through polls and message answers, each once and in the
// order staff sent them, even when an answer to a poll is lost; /forget deletes what waits.
func TestStaffRepliesReachThePageOnceInOrder(t *testing.T) {
	// A Tuesday in office hours.
	o := newOffice(t, time.Date(2027, 3, 30, 11, 0, 0, 0, osloLoc(t)), webchat.Config{})
	cat := handofftest.Content(t).Catalog
	const id = "PageUserId_0123456789"
	msg(t, o.h, id, "text", "/counsellor", 0)
	r := msg(t, o.h, id, "choice", bot.OptionData("handoff.start", "chat"), 0)
	if len(r.Replies) == 0 || !strings.Contains(r.Replies[0].Text, strings.SplitN(cat.Text("en", "handoff.chat_wait", ""), "\n", 2)[0]) {
		t.Fatalf("chat request answered %+v", r.Replies)
	}
	code := o.staff.LastCode()
	if code == "" {
		t.Fatalf("no ticket card for staff: %v", o.staff.Posts())
	}
	var p page
	if items := postInbox(t, o.h, id, p.lastSeq); len(items) != 0 {
		t.Fatalf("inbox before any staff answer: %+v", items)
	}
	sent := o.staffSays(t, "/reply "+code+" First answer")
	if !strings.HasPrefix(sent, code+": ") {
		t.Fatalf("staff /reply answered %q", sent)
	}
	if ans := o.staffSays(t, "/reply "+code+" Second answer"); ans != sent {
		t.Fatalf("second /reply answered %q, the first %q", ans, sent)
	}
	items := postInbox(t, o.h, id, p.lastSeq)
	// The answer to that poll is lost on the way: the next poll brings the same items.
	again := postInbox(t, o.h, id, p.lastSeq)
	if len(items) != 2 || len(again) != 2 || again[0].Seq != items[0].Seq || items[0].Seq >= items[1].Seq {
		t.Fatalf("polls: %+v then %+v", items, again)
	}
	marker := cat.Text("en", bot.MsgFromStaff, "")
	for _, it := range items {
		if len(it.Replies) != 1 || !strings.HasPrefix(it.Replies[0].Text, marker) || it.Replies[0].Lang != "en" || it.Replies[0].Dir != "ltr" {
			t.Fatalf("inbox item %+v lacks the counsellor marker %q", it, marker)
		}
	}
	p.show(again)
	p.show(items) // an overlapping poll's answer arriving late shows nothing twice
	if got := postInbox(t, o.h, id, p.lastSeq); len(got) != 0 {
		t.Fatalf("acknowledged items came back: %+v", got)
	}

	// A third answer comes with the answer to the user's next message, before its replies.
	o.staffSays(t, "/reply "+code+" Third answer")
	r = msg(t, o.h, id, "text", "thank you", p.lastSeq)
	if len(r.Inbox) != 1 {
		t.Fatalf("message answer inbox %+v", r.Inbox)
	}
	p.show(r.Inbox)
	p.show(postInbox(t, o.h, id, p.lastSeq))
	want := []string{"First answer", "Second answer", "Third answer"}
	if len(p.shown) != len(want) {
		t.Fatalf("page shows %q", p.shown)
	}
	for i, w := range want {
		if p.shown[i] != marker+"\n"+w {
			t.Fatalf("message %d on the page is %q, want %q", i, p.shown[i], w)
		}
	}

	// What still waits is erased by /forget, and staff can no longer reach the user.
	o.staffSays(t, "/reply "+code+" Fourth answer")
	user := bot.UserKey([]byte("test-secret-0123456789"), webchat.Channel, id)
	if items, _ := o.outbox.Fetch(context.Background(), user, p.lastSeq); len(items) != 1 {
		t.Fatalf("outbox before /forget: %+v", items)
	}
	msg(t, o.h, id, "text", "/forget", p.lastSeq)
	msg(t, o.h, id, "choice", "c|forget_yes", p.lastSeq)
	if items, _ := o.outbox.Fetch(context.Background(), user, 0); len(items) != 0 || o.outbox.Len() != 0 {
		t.Fatalf("outbox after /forget: %+v (%d boxes)", items, o.outbox.Len())
	}
	if ans := o.staffSays(t, "/reply "+code+" Fifth answer"); ans == sent || o.outbox.Len() != 0 {
		t.Fatalf("reply after /forget: %q, %d boxes", ans, o.outbox.Len())
	}
}

// TestReminderWaitsInTheInbox: the day-before reminder of a visit planned in the web chat is put
// into the outbox with its menu button and reaches the page once.
func TestReminderWaitsInTheInbox(t *testing.T) {
	loc := osloLoc(t)
	o := newOffice(t, time.Date(2027, 3, 24, 16, 0, 0, 0, loc), webchat.Config{})
	cat := handofftest.Content(t).Catalog
	const id = "VisitUserId_0123456789"
	msg(t, o.h, id, "choice", bot.OptionData("handoff.start", "visit"), 0)
	msg(t, o.h, id, "choice", "v|2027-03-30", 0)
	r := msg(t, o.h, id, "choice", bot.OptionData("handoff.interp", "no"), 0)
	if last := r.Replies[len(r.Replies)-1]; !strings.Contains(last.Text, cat.Text("en", bot.MsgVisitCode, "")) {
		t.Fatalf("visit card %+v", r.Replies)
	}
	if n := o.svc.SendDueReminders(context.Background()); n != 0 {
		t.Fatalf("%d reminders before their time", n)
	}
	o.setClock(time.Date(2027, 3, 29, 12, 0, 1, 0, loc))
	if n := o.svc.SendDueReminders(context.Background()); n != 1 {
		t.Fatalf("%d reminders sent, want 1", n)
	}
	items := postInbox(t, o.h, id, 0)
	if len(items) != 1 || len(items[0].Replies) != 1 {
		t.Fatalf("inbox %+v", items)
	}
	rem := items[0].Replies[0]
	if !strings.HasPrefix(rem.Text, cat.Text("en", bot.MsgReminder, "")) || !strings.Contains(rem.Text, "30.03.2027") ||
		len(rem.Buttons) != 1 || rem.Buttons[0].Data != "c|menu" {
		t.Fatalf("reminder on the page: %+v", rem)
	}
	if got := postInbox(t, o.h, id, items[0].Seq); len(got) != 0 {
		t.Fatalf("reminder delivered again: %+v", got)
	}
	// Its button works like any other.
	if r := msg(t, o.h, id, "choice", "c|menu", items[0].Seq); len(r.Replies) == 0 {
		t.Fatal("the reminder's menu button got no answer")
	}
}

// TestInboxRequests: the inbox endpoint checks its requests like the message endpoint, and its
// own rate limits leave the budget for messages alone.
func TestInboxRequests(t *testing.T) {
	lim := &countLimiter{}
	h, _ := newHandler(t, webchat.Config{Limiter: lim, PollPerID: webchat.Rate{PerSecond: 1, Burst: 2}})
	for body, want := range map[string]int{
		`{"id":"short"}`:                    400,
		`{"id":"` + testID + `"`:            400,
		`{"id":"` + testID + `","ack":"x"}`: 400,
		`{"id":"` + testID + `","ack":0}`:   200,
	} {
		if w := postTo(t, h, "/webchat/api/inbox", body); w.Code != want {
			t.Errorf("%s: status %d, want %d", body, w.Code, want)
		}
	}
	r := httptest.NewRequest("POST", "/webchat/api/inbox", strings.NewReader(`{"id":"`+testID+`"}`))
	r.Header.Set("Content-Type", "text/plain")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 415 {
		t.Errorf("text/plain: status %d", w.Code)
	}
	r = httptest.NewRequest("POST", "/webchat/api/inbox", strings.NewReader(`{"id":"`+testID+`"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", "https://evil.example")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 403 {
		t.Errorf("cross-origin: status %d", w.Code)
	}
	if w := postTo(t, h, "/webchat/api/inbox", `{"id":"`+testID+`"}`); w.Code != 200 {
		t.Errorf("second poll: status %d", w.Code)
	}
	if w := postTo(t, h, "/webchat/api/inbox", `{"id":"`+testID+`"}`); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("third poll within the burst of 2: status %d", w.Code)
	}
	// Polling used up its budget, not the one for messages.
	decode(t, post(t, h, `{"id":"`+testID+`","text":"hello"}`))
	w = postTo(t, h, "/webchat/api/inbox", `{"id":"`+testID+`"}`)
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("inbox headers %v", w.Header())
	}
}

func osloLoc(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
