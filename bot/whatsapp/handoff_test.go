package whatsapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/internal/syncbuf"
)

// desk is the WhatsApp adapter with a handoff service, on a fake Graph API.
type desk struct {
	*env
	svc   *handoff.Service
	staff *handofftest.StaffPosts
}

func newDesk(t *testing.T, at time.Time, template string) *desk {
	t.Helper()
	secret := []byte("pseudonym-secret")
	sessions := inmem.New(time.Hour * 24 * 30)
	clk := &clock{t: at}
	office := handofftest.NewOffice(t, sessions, secret, clk.now)
	d := &desk{staff: office.Staff, svc: office.Service}
	b := office.Bot
	g := &graph{}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	logs := &syncbuf.Buffer{}
	a := whatsapp.New(whatsapp.Config{
		Bot: b, Secret: secret, Token: "TOKEN", PhoneNumberID: phoneID, AppSecret: appSecret, VerifyToken: "v",
		Endpoint: srv.URL + "/v21.0", Backoff: time.Millisecond, Now: clk.now, TemplateName: template, TemplateLang: "en",
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	d.svc.SetUserSender(whatsapp.Channel, a)
	mux := http.NewServeMux()
	a.Routes(mux)
	d.env = &env{a: a, g: g, h: mux, logs: logs, clock: clk, store: sessions}
	return d
}

var inSeq int

// from is a delivery of one message from number, sent now (the window counts from it).
func (d *desk) from(t *testing.T, number, typ string, content any) {
	t.Helper()
	inSeq++
	m := map[string]any{"from": number, "id": fmt.Sprintf("wamid.handoff%d", inSeq),
		"timestamp": fmt.Sprint(d.clock.now().Unix()), "type": typ, typ: content}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "1",
		"changes": []any{map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
			"metadata": map[string]any{"phone_number_id": phoneID}, "messages": []any{m}}}}}}})
	if code := d.deliver(t, b); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
}

func (d *desk) text(t *testing.T, number, s string) {
	d.from(t, number, "text", map[string]any{"body": s})
}

func (d *desk) press(t *testing.T, number, data string) {
	d.from(t, number, "interactive", map[string]any{"type": "button_reply", "button_reply": map[string]any{"id": data, "title": "x"}})
}

func (d *desk) staffSays(t *testing.T, text string) string {
	t.Helper()
	return d.svc.Staff(context.Background(), handoff.StaffMsg{StaffID: "4242", Name: "Kari", Text: text})
}

// shown is the text a sent message shows: a text body or an interactive body.
func shown(s sent) string {
	if b, ok := path(s.Body, "text", "body").(string); ok {
		return b
	}
	b, _ := path(s.Body, "interactive", "body", "text").(string)
	return b
}

func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func oslo(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestStaffReplyReachesWhatsApp: a WhatsApp user asks for a counsellor; a staff /reply inside the
// 24-hour window arrives as a text marked as from a counsellor, and one outside it as the
// configured template. The wa_id never reaches the log.
func TestStaffReplyReachesWhatsApp(t *testing.T) {
	d := newDesk(t, time.Date(2027, 3, 30, 11, 0, 0, 0, oslo(t)), "counsellor_reply")
	cat := handofftest.Content(t).Catalog
	d.text(t, sender, "/counsellor")
	d.press(t, sender, bot.OptionData("handoff.start", "chat"))
	code := d.staff.LastCode()
	if code == "" {
		t.Fatalf("no ticket card: %v", d.staff.Posts())
	}
	d.g.take()
	sentAns := d.staffSays(t, "/reply "+code+" We can help you with the papers.")
	got := d.g.take()
	if len(got) != 1 || path(got[0].Body, "type") != "text" || path(got[0].Body, "to") != sender {
		t.Fatalf("staff reply sent as %+v", got)
	}
	if want := cat.Text("en", bot.MsgFromStaff, "") + "\nWe can help you with the papers."; shown(got[0]) != want {
		t.Fatalf("staff reply %q, want %q", shown(got[0]), want)
	}

	// A day and more later the window is closed: the template goes out instead.
	d.clock.add(25 * time.Hour)
	if ans := d.staffSays(t, "/reply "+code+" Are you still there?"); ans != sentAns {
		t.Fatalf("reply by template answered %q, the first %q", ans, sentAns)
	}
	got = d.g.take()
	if len(got) != 1 || path(got[0].Body, "type") != "template" || path(got[0].Body, "template", "name") != "counsellor_reply" ||
		path(got[0].Body, "to") != sender {
		t.Fatalf("outside the window sent %+v", got)
	}
	if st := d.a.Stats(); st.TemplateSent != 1 || st.HeldBack != 0 {
		t.Fatalf("stats %+v", st)
	}
	// The user answers the template: the window is open again and replies are texts.
	d.text(t, sender, "yes")
	d.g.take()
	d.staffSays(t, "/reply "+code+" Good.")
	if got := d.g.take(); len(got) != 1 || !strings.HasSuffix(shown(got[0]), "\nGood.") {
		t.Fatalf("after the user wrote again: %+v", got)
	}
	if strings.Contains(d.logs.String(), sender) {
		t.Fatalf("the log names the user's number:\n%s", d.logs)
	}
}

// TestStaffReplyHeldBackWithoutTemplate: outside the window and without a template nothing is
// sent; staff are told it was not delivered, and the adapter logs and counts it.
func TestStaffReplyHeldBackWithoutTemplate(t *testing.T) {
	d := newDesk(t, time.Date(2027, 3, 30, 11, 0, 0, 0, oslo(t)), "")
	d.text(t, sender, "/counsellor")
	d.press(t, sender, bot.OptionData("handoff.start", "chat"))
	code := d.staff.LastCode()
	d.g.take()
	sentAns := d.staffSays(t, "/reply "+code+" Hello")
	d.clock.add(25 * time.Hour)
	d.g.take()
	if ans := d.staffSays(t, "/reply "+code+" Hello again"); ans == sentAns || !strings.HasPrefix(ans, code+": ") {
		t.Fatalf("held-back reply answered %q (delivered: %q)", ans, sentAns)
	}
	if got := d.g.take(); len(got) != 0 {
		t.Fatalf("sent outside the window without a template: %+v", got)
	}
	if st := d.a.Stats(); st.HeldBack != 1 {
		t.Fatalf("HeldBack = %d", st.HeldBack)
	}
	if logs := d.logs.String(); !strings.Contains(logs, "held back") || strings.Contains(logs, sender) {
		t.Fatalf("log:\n%s", logs)
	}
}

// TestReminderReachesWhatsApp: two users plan visits; the day before, the reminder reaches the
// one who wrote that morning as a message with the reminder text, and the other (outside the
// window) as the template. Each gets exactly one.
func TestReminderReachesWhatsApp(t *testing.T) {
	loc := oslo(t)
	d := newDesk(t, time.Date(2027, 3, 24, 16, 0, 0, 0, loc), "visit_reminder")
	cat := handofftest.Content(t).Catalog
	const other = "447700900456"
	for _, n := range []string{sender, other} {
		d.press(t, n, bot.OptionData("handoff.start", "visit"))
		d.press(t, n, "v|2027-03-30")
		d.press(t, n, bot.OptionData("handoff.interp", "no"))
	}
	if n := d.svc.SendDueReminders(context.Background()); n != 0 {
		t.Fatalf("%d reminders early", n)
	}
	d.clock.set(time.Date(2027, 3, 29, 9, 0, 0, 0, loc))
	d.text(t, sender, "hello")
	d.clock.set(time.Date(2027, 3, 29, 12, 0, 1, 0, loc))
	d.g.take()
	if n := d.svc.SendDueReminders(context.Background()); n != 2 {
		t.Fatalf("%d reminders sent, want 2", n)
	}
	if n := d.svc.SendDueReminders(context.Background()); n != 0 {
		t.Fatalf("%d reminders sent again", n)
	}
	byTo := map[string][]sent{}
	for _, s := range d.g.take() {
		to, _ := path(s.Body, "to").(string)
		byTo[to] = append(byTo[to], s)
	}
	in := byTo[sender]
	if len(in) != 1 || path(in[0].Body, "type") != "interactive" || !strings.HasPrefix(shown(in[0]), cat.Text("en", bot.MsgReminder, "")) ||
		!strings.Contains(shown(in[0]), "30.03.2027") || path(in[0].Body, "interactive", "action", "buttons", 0, "reply", "id") != "c|menu" {
		t.Fatalf("reminder inside the window: %+v", in)
	}
	out := byTo[other]
	if len(out) != 1 || path(out[0].Body, "type") != "template" || path(out[0].Body, "template", "name") != "visit_reminder" {
		t.Fatalf("reminder outside the window: %+v", out)
	}
	if strings.Contains(d.logs.String(), sender) || strings.Contains(d.logs.String(), other) {
		t.Fatalf("the log names a number:\n%s", d.logs)
	}
}
