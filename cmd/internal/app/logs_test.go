package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/internal/logleak"
)

// The log privacy test runs the bot (Main, as serve does) on a private Redis with every channel
// on and the log at debug, drives whole conversations on Telegram (webhook), WhatsApp and the web
// chat in several languages — texts, buttons, voice notes, stickers, a handoff to staff with
// replies and visit codes, /forget, and malformed or unsigned webhooks — and then reads every log
// line for what must never be there: what users and staff wrote, platform ids and phone numbers
// in any formatting, names and usernames, web chat ids. The forbidden values are collected from
// the payloads as they are sent, so a new message in the script is checked without anyone
// remembering to list it.

const (
	pvLogsSecret     = "e93b07d4c1a85f26b4e0c9d7a3f1825e"
	pvLogsHookSecret = "tg_hook_secret_for_the_logs_test"
	pvWaAppSecret    = "whatsapp-app-secret-for-the-logs-test"
	pvWaVerify       = "verify-token-for-the-logs-test"
	pvWaPhoneID      = "1122334455667" // the fixtures' metadata.phone_number_id (the office's number)
	pvStaffChatID    = -1001987654321
)

// pvTgPerson is a Telegram account whose details the test puts into the fixture payloads.
type pvTgPerson struct {
	ID                    int64
	First, Last, Username string
	Lang                  string
}

var (
	// Users; ids are long so that a digit run in a log line cannot match one by chance.
	pvTgDari   = pvTgPerson{ID: 7310000001, First: "Farid", Last: "Ahmadi", Username: "farid_kabul", Lang: "fa"}
	pvTgMario  = pvTgPerson{ID: 7310000003, First: "Mario", Last: "Bros", Username: "MarioBros", Lang: "it"}
	pvTgGroupy = pvTgPerson{ID: 7310000009, First: "Gunnhild", Username: "gunnhild_grp", Lang: "nb"}
	// Staff: Kari may act, Olaf is in the staff chat but not on STAFF_USER_IDS.
	pvStaffKari = pvTgPerson{ID: 7320000001, First: "Kari", Last: "Nordmann", Username: "kari_office", Lang: "nb"}
	pvStaffOla  = pvTgPerson{ID: 7320000002, First: "Olaf", Last: "Hansen", Username: "olaf_h", Lang: "nb"}

	// WhatsApp numbers: the fixtures' sender, and an Afghan number (Dari hint).
	pvWaFixtureUser = "972987654321"
	pvWaDari        = "93701234567"
)

// TestServeLogsCarryNoPersonalData is the cross-channel log privacy check.
func TestServeLogsCarryNoPersonalData(t *testing.T) {
	started := time.Now()
	bad := logleak.NewForbidden()

	redisURL := redistest.Server(t)
	tg := telegramtest.NewServer(t)
	graph := pvNewFakeGraph(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	hook := "http://" + addr + "/telegram/webhook"
	proc := startMain(t,
		"RETURNBOT_ADDR="+addr, "REDIS_URL="+redisURL, "RETURNBOT_SECRET="+pvLogsSecret, "RETURNBOT_LOG_LEVEL=debug",
		"TELEGRAM_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+tg.Endpoint(),
		"TELEGRAM_WEBHOOK_URL="+hook, "TELEGRAM_WEBHOOK_SECRET="+pvLogsHookSecret,
		"TELEGRAM_STAFF_CHAT_ID="+strconv.FormatInt(pvStaffChatID, 10),
		"STAFF_USER_IDS="+strconv.FormatInt(pvStaffKari.ID, 10)+",7320000005", "STAFF_LANG=nb",
		"WHATSAPP_TOKEN=graph-token", "WHATSAPP_PHONE_NUMBER_ID="+pvWaPhoneID, "WHATSAPP_APP_SECRET="+pvWaAppSecret,
		"WHATSAPP_VERIFY_TOKEN="+pvWaVerify, "WHATSAPP_API_ENDPOINT="+graph.URL+"/v21.0",
		"WHATSAPP_TEMPLATE_NAME=", "WHATSAPP_TEMPLATE_LANG=", "RETURNBOT_WEBCHAT=", "RETURNBOT_WEBCHAT_ORIGINS=")
	deadline := time.Now().Add(10 * time.Second)
	for tg.Webhook() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("setWebhook was not called; stderr:\n%s", proc.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := &pvDriver{bad: bad, tg: tg, hook: hook, graph: graph, base: proc.base, pack: pvLoadPackForTest(t), redisURL: redisURL}

	t.Run("conversations", func(t *testing.T) {
		t.Run("telegram dari handoff", func(t *testing.T) { t.Parallel(); d.telegramDariHandoff(t) })
		t.Run("telegram russian", func(t *testing.T) { t.Parallel(); d.telegramRussian(t) })
		t.Run("telegram fixtures", func(t *testing.T) { t.Parallel(); d.telegramFixtures(t) })
		t.Run("telegram malformed", func(t *testing.T) { t.Parallel(); d.telegramMalformed(t) })
		t.Run("whatsapp russian", func(t *testing.T) { t.Parallel(); d.whatsappRussian(t) })
		t.Run("whatsapp dari visit", func(t *testing.T) { t.Parallel(); d.whatsappDariVisit(t) })
		t.Run("whatsapp malformed", func(t *testing.T) { t.Parallel(); d.whatsappMalformed(t) })
		t.Run("webchat", func(t *testing.T) { t.Parallel(); d.webchat(t) })
	})
	if t.Failed() {
		t.Fatalf("the conversations failed; stderr:\n%s", proc.stderr.String())
	}
	proc.stop(t)

	stderr, stdout := proc.stderr.String(), proc.stdout.String()
	lines := pvCheckJSONLines(t, stderr)
	if len(lines) < 10 {
		t.Fatalf("only %d log lines at debug level: the check would be close to vacuous", len(lines))
	}
	nTexts, nIDs := bad.Len()
	if nTexts < 40 || nIDs < 10 {
		t.Fatalf("only %d texts and %d ids collected from the payloads: the check would be close to vacuous", nTexts, nIDs)
	}
	var leaks []string
	for i, l := range lines {
		for _, s := range l.Strings {
			leaks = append(leaks, bad.Find(s, fmt.Sprintf("stderr line %d", i+1))...)
		}
		leaks = append(leaks, bad.Find(l.Raw, fmt.Sprintf("stderr line %d (raw)", i+1))...)
	}
	for i, l := range strings.Split(stdout, "\n") {
		leaks = append(leaks, bad.Find(l, fmt.Sprintf("stdout line %d", i+1))...)
	}
	if len(leaks) > 0 {
		slices.Sort(leaks)
		leaks = slices.Compact(leaks)
		t.Errorf("the logs carry personal data (%d findings):\n%s", len(leaks), strings.Join(leaks, "\n"))
	}

	// The log saw what happened: these events must be there, or the script did not reach them.
	mario := bot.UserKey([]byte(pvLogsSecret), "telegram", strconv.FormatInt(pvTgMario.ID, 10))
	for _, want := range []struct {
		msg  string
		attr string
		val  string
	}{
		{msg: "sessions are kept in Redis"},
		{msg: "telegram: webhook set"},
		{msg: "telegram: webhook body is not JSON", attr: "bytes"},
		{msg: "telegram: webhook update not readable; skipped", attr: "err"},
		{msg: "telegram: update ignored", attr: "why", val: "edited"},
		{msg: "telegram: update ignored", attr: "why", val: "group"},
		{msg: "telegram: user blocked the bot; session erased", attr: "user", val: mario},
		{msg: "whatsapp: message not delivered", attr: "code", val: "130472"},
		{msg: "whatsapp: send failed; dropping the rest of this answer", attr: "user"},
		{msg: "shutting down"},
	} {
		found := false
		for _, l := range lines {
			if l.Fields["msg"] != want.msg {
				continue
			}
			if want.attr == "" {
				found = true
			} else if v, ok := l.Fields[want.attr]; ok && (want.val == "" || fmt.Sprint(v) == want.val) {
				found = true
			}
		}
		if !found {
			t.Errorf("no log line %q with %s=%q", want.msg, want.attr, want.val)
		}
	}
	// Where a log line names a user, it is by pseudonym (bot.UserKey: 22 characters of base64url).
	pseudonym := regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	for i, l := range lines {
		if u, ok := l.Fields["user"]; ok {
			if s, _ := u.(string); !pseudonym.MatchString(s) {
				t.Errorf("stderr line %d names a user by %q, not by a pseudonym", i+1, u)
			}
		}
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", stderr)
	}
	t.Logf("%d log lines checked against %d texts and %d ids in %v", len(lines), nTexts, nIDs, time.Since(started).Round(100*time.Millisecond))
}

// ---- the conversations ----

// pvDriver sends the conversations and registers everything it sends with bad.
type pvDriver struct {
	bad   *logleak.Forbidden
	tg    *telegramtest.Server
	hook  string
	graph *pvFakeGraph
	base  string
	pack  interface {
		text(lang, id string) string
	}
	redisURL string
}

// linked waits until the bot has linked a message it sent to the staff chat to its ticket
// (rb:p:<chat>:<message id>, written once Telegram's answer to the send is read), so that a
// staff reply to it cannot overtake the link.
func (d *pvDriver) linked(t *testing.T, c telegramtest.Call) telegramtest.Call {
	t.Helper()
	rc, err := redis.NewClient(d.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	key := redis.DefaultPrefix + "p:" + strconv.FormatInt(pvStaffChatID, 10) + ":" + strconv.FormatInt(c.MessageID, 10)
	for deadline := time.Now().Add(10 * time.Second); rc.Exists(context.Background(), key).Val() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the staff chat message %d was not linked to its ticket", c.MessageID)
		}
	}
	return c
}

var pvVisitCodeRE = regexp.MustCompile(handoff.CodePattern)

// telegramDariHandoff: a Dari speaker asks where the office is, asks for a counsellor and plans
// a visit; staff take the ticket, look the code up, reply by /reply and by answering a relayed
// message; the user then erases everything with /forget.
func (d *pvDriver) telegramDariHandoff(t *testing.T) {
	u := pvTgDari
	d.tgSend(t, pvTgText(t, u, "آدرس دفتر شما کجاست؟ می‌خواهم حضوری بیایم"))
	d.tgSend(t, pvTgText(t, u, "/counsellor"))
	d.tgSend(t, pvTgPress(t, u, bot.OptionData("handoff.start", "visit")))
	pick := d.tgWait(t, u.ID, "the visit days", func(c telegramtest.Call) bool {
		return slices.ContainsFunc(c.Keyboard(), func(b telegramtest.Button) bool { return strings.HasPrefix(b.Data, "v|") })
	})
	var day string
	for _, b := range pick.Keyboard() {
		if strings.HasPrefix(b.Data, "v|") {
			day = b.Data
			break
		}
	}
	d.tgSend(t, pvTgPress(t, u, day))
	d.tgSend(t, pvTgPress(t, u, bot.OptionData("handoff.interp", "yes")))
	card := d.tgWait(t, u.ID, "the visit card", func(c telegramtest.Call) bool {
		return pvVisitCodeRE.MatchString(c.Params["text"])
	})
	code := pvVisitCodeRE.FindString(card.Params["text"])
	d.tgWait(t, pvStaffChatID, "the staff card for "+code, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "🎫 "+code)
	})
	d.tgSend(t, pvTgStaffPress(t, pvStaffOla, "take|"+code))
	d.tgSend(t, pvTgStaffPress(t, pvStaffKari, "take|"+code))
	d.tgSend(t, pvTgStaffText(t, pvStaffKari, "/code "+strings.ReplaceAll(code, "-", ""), telegramtest.Call{}))
	d.tgSend(t, pvTgStaffText(t, pvStaffKari, "/reply "+code+" Hei Farid! Vi har bestilt tolk til besøket ditt.", telegramtest.Call{}))
	d.tgWait(t, u.ID, "the staff reply", func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "Vi har bestilt tolk")
	})
	d.tgSend(t, pvTgText(t, u, "ممنون، با برادرم احمد می‌آیم"))
	relayed := d.tgWait(t, pvStaffChatID, "the relayed message", func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "برادرم") && strings.Contains(c.Params["text"], code)
	})
	d.tgSend(t, pvTgStaffText(t, pvStaffKari, "Det går fint, velkommen begge to.", d.linked(t, relayed)))
	d.tgWait(t, u.ID, "the answer to the relayed message", func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "velkommen begge to")
	})
	d.tgSend(t, pvTgText(t, u, "/forget"))
	d.tgSend(t, pvTgPress(t, u, "c|forget_yes"))
	d.tgWait(t, u.ID, "the /forget confirmation", func(c telegramtest.Call) bool {
		return c.Params["text"] == d.pack.text("fa", bot.MsgForgotten)
	})
}

// telegramRussian: the real Russian fixture's user greets, asks about money, sends a sticker,
// goes back to the menu and forgets.
func (d *pvDriver) telegramRussian(t *testing.T) {
	greet := pvLoadFixture(t, "telegram/private_text_russian.json")
	pvSetUpdateID(greet)
	msg := greet["message"].(map[string]any)
	msg["date"] = time.Now().Unix()
	d.tgSend(t, greet)
	u := pvPersonOf(t, msg)
	d.tgSend(t, pvTgText(t, u, "Сколько денег дают, если я вернусь домой с семьёй?"))
	d.tgSend(t, pvTgFixture(t, "sticker.json", u))
	d.tgSend(t, pvTgPress(t, u, "c|menu"))
	d.tgSend(t, pvTgText(t, u, "/forget"))
	d.tgSend(t, pvTgPress(t, u, "c|forget_yes"))
	d.tgWait(t, u.ID, "the /forget confirmation", func(c telegramtest.Call) bool {
		return c.Params["text"] == d.pack.text("ru", bot.MsgForgotten)
	})
}

// telegramFixtures: the other real payloads — a start, a shared contact (with a phone number), a
// location, a voice note, an edited message, a group message, a channel post — and a user who
// blocks the bot.
func (d *pvDriver) telegramFixtures(t *testing.T) {
	u := pvTgMario
	d.tgSend(t, pvTgFixture(t, "start_command_plain.json", u))
	contact := pvTgFixture(t, "contact.json", u)
	c := contact["message"].(map[string]any)["contact"].(map[string]any)
	c["phone_number"], c["first_name"], c["last_name"] = "+47 912 34 567", "Leyla", "Karimi"
	c["vcard"] = "BEGIN:VCARD\nVERSION:3.0\nFN:Leyla Karimi\nTEL;CELL:+47 912 34 567\nEND:VCARD"
	d.tgSend(t, contact)
	d.tgSend(t, pvTgFixture(t, "location.json", u))
	d.tgSend(t, pvTgFixture(t, "voice.json", u))
	d.tgSend(t, pvTgText(t, u, "Where is your office and when is it open?"))
	d.tgWait(t, u.ID, "the answers", func(c telegramtest.Call) bool { return c.Method == "sendVenue" })

	edited := pvLoadFixture(t, "telegram/edited_message.json") // ids of the fixture, 999999999
	pvSetUpdateID(edited)
	d.tgSend(t, edited)
	group := pvLoadFixture(t, "telegram/supergroup_text_forum.json")
	pvSetUpdateID(group)
	gm := group["message"].(map[string]any)
	pvApplyPerson(gm["from"].(map[string]any), pvTgGroupy, true)
	gm["text"] = "Does anyone know a lawyer in Bergen?"
	d.tgSend(t, group)
	post := pvLoadFixture(t, "telegram/channel_post.json")
	pvSetUpdateID(post)
	pm := post["channel_post"].(map[string]any)
	pvApplyPerson(pm["from"].(map[string]any), pvTgGroupy, true)
	pm["chat"].(map[string]any)["id"] = int64(-1001555000111)
	pm["text"] = "Channel news for returnees"
	d.tgSend(t, post)

	kicked := pvLoadFixture(t, "telegram/my_chat_member_kicked_private.json")
	pvSetUpdateID(kicked)
	mcm := kicked["my_chat_member"].(map[string]any)
	pvApplyPerson(mcm["from"].(map[string]any), u, true)
	pvApplyPerson(mcm["chat"].(map[string]any), u, false)
	mcm["date"] = time.Now().Unix()
	for _, k := range []string{"old_chat_member", "new_chat_member"} {
		mcm[k].(map[string]any)["user"].(map[string]any)["id"] = int64(6000000001) // the bot itself
	}
	d.tgSend(t, kicked)
}

// telegramMalformed: broken JSON, fields of the wrong type, a wrong and a missing secret.
func (d *pvDriver) telegramMalformed(t *testing.T) {
	u := pvTgPerson{ID: 7310000007, First: "Samira", Last: "Haddad", Username: "samira_h", Lang: "ar"}
	whole := pvTgText(t, u, "لا أريد أن يعرف أحد أنني كتبت هنا")
	raw := d.register(t, "telegram", whole)
	if code := telegramtest.Post(t, d.hook, pvLogsHookSecret, raw[:len(raw)-7]); code != http.StatusBadRequest {
		t.Errorf("broken JSON answered %d", code)
	}
	wrongType := pvTgText(t, u, "رسالة بحقل من نوع خاطئ")
	wrongType["message"].(map[string]any)["message_id"] = "not-a-number"
	wrongType["message"].(map[string]any)["chat"].(map[string]any)["id"] = strconv.FormatInt(u.ID, 10)
	if code := telegramtest.Post(t, d.hook, pvLogsHookSecret, d.register(t, "telegram", wrongType)); code != http.StatusOK {
		t.Errorf("an update with wrong field types answered %d", code)
	}
	forged := pvTgText(t, u, "رسالة مزورة بدون السر")
	if code := telegramtest.Post(t, d.hook, "wrong-secret", d.register(t, "telegram", forged)); code != http.StatusUnauthorized {
		t.Errorf("a wrong secret answered %d", code)
	}
	if code := telegramtest.Post(t, d.hook, "", d.register(t, "telegram", forged)); code != http.StatusUnauthorized {
		t.Errorf("a missing secret answered %d", code)
	}
}

// whatsappRussian: the fixtures' sender (no language hint: the picker) picks Russian with a
// button, asks about money, sends a voice note and a location (whose answer the Graph API
// refuses), gets delivery statuses, and forgets.
func (d *pvDriver) whatsappRussian(t *testing.T) {
	to := pvWaFixtureUser
	first := pvWaFixture(t, "text_message.json")
	d.waSend(t, first)
	d.waWait(t, to, "the language picker", func(m pvGraphSend) bool { return slices.Contains(m.ids, "l|ru") })
	d.waSend(t, pvWaButton(t, "interactive_button_reply.json", "l|ru"))
	d.waSend(t, pvWaText(t, to, "Здравствуйте! Сколько денег я получу на дорогу домой?"))
	d.waSend(t, pvWaFixture(t, "voice_message.json"))
	d.waWait(t, to, "the voice note answer", func(m pvGraphSend) bool {
		return strings.Contains(m.text, d.pack.text("ru", bot.MsgMediaVoice))
	})
	d.graph.failNext(to) // the next message to this number is refused, naming the number
	d.waSend(t, pvWaFixture(t, "location_message.json"))
	d.waWait(t, to, "the refused send", func(m pvGraphSend) bool { return m.refused })
	d.waSend(t, pvWaFixture(t, "status_delivered.json"))
	d.waSend(t, pvWaFixture(t, "status_failed.json"))
	d.waSend(t, pvWaText(t, to, "/forget"))
	d.waSend(t, pvWaButton(t, "interactive_list_reply.json", "c|forget_yes"))
	d.waWait(t, to, "the /forget confirmation", func(m pvGraphSend) bool { return m.text == d.pack.text("ru", bot.MsgForgotten) })
}

// whatsappDariVisit: an Afghan number asks in Dari where the office is and for a counsellor,
// plans a visit; staff take it and reply, and the reply reaches WhatsApp.
func (d *pvDriver) whatsappDariVisit(t *testing.T) {
	to := pvWaDari
	d.waSend(t, pvWaText(t, to, "سلام، دفتر شما کجاست و چه ساعتی باز است؟"))
	d.waSend(t, pvWaText(t, to, "می‌خواهم با یک مشاور صحبت کنم"))
	d.waWait(t, to, "the handoff options", func(m pvGraphSend) bool {
		return slices.Contains(m.ids, bot.OptionData("handoff.start", "visit"))
	})
	d.waSend(t, pvWaFrom(t, pvWaButton(t, "interactive_button_reply.json", bot.OptionData("handoff.start", "visit")), to, "Mina Rahimi"))
	days := d.waWait(t, to, "the visit days", func(m pvGraphSend) bool {
		return slices.ContainsFunc(m.ids, func(id string) bool { return strings.HasPrefix(id, "v|") })
	})
	day := days.ids[slices.IndexFunc(days.ids, func(id string) bool { return strings.HasPrefix(id, "v|") })]
	d.waSend(t, pvWaFrom(t, pvWaButton(t, "interactive_list_reply.json", day), to, "Mina Rahimi"))
	d.waSend(t, pvWaFrom(t, pvWaButton(t, "interactive_button_reply.json", bot.OptionData("handoff.interp", "no")), to, "Mina Rahimi"))
	card := d.waWait(t, to, "the visit card", func(m pvGraphSend) bool { return pvVisitCodeRE.MatchString(m.text) })
	code := pvVisitCodeRE.FindString(card.text)
	d.tgWait(t, pvStaffChatID, "the staff card for "+code, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "🎫 "+code)
	})
	d.tgSend(t, pvTgStaffText(t, pvStaffKari, "/take "+code, telegramtest.Call{}))
	d.tgSend(t, pvTgStaffText(t, pvStaffKari, "/reply "+code+" Salam Mina, vi ses på kontoret.", telegramtest.Call{}))
	d.waWait(t, to, "the staff reply", func(m pvGraphSend) bool { return strings.Contains(m.text, "vi ses på kontoret") })
	// Two answers in the staff chat: to the /take and to the /reply.
	deadline := time.Now().Add(20 * time.Second)
	for n := 0; n < 2; {
		n = 0
		for _, c := range d.tg.Sent(pvStaffChatID) {
			if strings.HasPrefix(c.Params["text"], code+": ") {
				n++
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the answers to /take and /reply %s: %s", code, telegramtest.Summary(d.tg.Sent(pvStaffChatID)))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// whatsappMalformed: unsigned, wrongly signed, signed but not JSON, another business number, and
// a verification handshake with the wrong token.
func (d *pvDriver) whatsappMalformed(t *testing.T) {
	p := pvWaText(t, "4741234567", "Jeg vil ikke at dette skal lagres noe sted")
	body := d.register(t, "whatsapp", p)
	if code := d.waPost(t, body, ""); code != http.StatusUnauthorized {
		t.Errorf("an unsigned webhook answered %d", code)
	}
	if code := d.waPost(t, body, whatsapp.Sign("not-the-app-secret", body)); code != http.StatusUnauthorized {
		t.Errorf("a wrongly signed webhook answered %d", code)
	}
	broken := body[:len(body)-9]
	if code := d.waPost(t, broken, whatsapp.Sign(pvWaAppSecret, broken)); code != http.StatusBadRequest {
		t.Errorf("a signed webhook that is not JSON answered %d", code)
	}
	other := pvWaText(t, "4741234568", "Melding til et annet nummer")
	other["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)["metadata"].(map[string]any)["phone_number_id"] = "9988776655443"
	ob := d.register(t, "whatsapp", other)
	if code := d.waPost(t, ob, whatsapp.Sign(pvWaAppSecret, ob)); code != http.StatusOK {
		t.Errorf("a webhook for another number answered %d", code)
	}
	resp, err := http.Get(d.base + "/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=12345")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("verification with a wrong token answered %d", resp.StatusCode)
	}
}

// webchat: two browsers, French and Arabic, with texts, buttons, /counsellor and /forget, and
// requests the API refuses.
func (d *pvDriver) webchat(t *testing.T) {
	fr, ar := "wc_Fr4nc3-b7c9d2e8f1a6b3c0", "wc_4r4b1c-e2f9a8b7c6d5e4f3"
	rs := d.web(t, map[string]any{"id": fr, "text": "Bonjour, où se trouve votre bureau à Oslo ?", "lang": "fr-FR"}, 200)
	if len(rs) == 0 {
		t.Fatal("no answer on the web chat")
	}
	if btn := pvFirstButton(rs); btn != "" {
		d.web(t, map[string]any{"id": fr, "choice": btn, "lang": "fr-FR", "msg_id": "m1"}, 200)
	}
	d.web(t, map[string]any{"id": fr, "text": "Est-ce que la police saura que j'ai écrit ?", "lang": "fr-FR"}, 200)
	d.web(t, map[string]any{"id": fr, "text": "/counsellor", "lang": "fr-FR"}, 200)
	d.web(t, map[string]any{"id": fr, "choice": bot.OptionData("handoff.start", "chat"), "lang": "fr-FR"}, 200)
	d.web(t, map[string]any{"id": fr, "text": "/bot", "lang": "fr-FR"}, 200)

	d.web(t, map[string]any{"id": ar, "text": "مرحبا، كم من المال يمكنني الحصول عليه للعودة؟", "lang": "ar"}, 200)
	d.web(t, map[string]any{"id": ar, "text": "/forget", "lang": "ar"}, 200)
	rs = d.web(t, map[string]any{"id": ar, "choice": "c|forget_yes", "lang": "ar"}, 200)
	if len(rs) == 0 || rs[0].Text != d.pack.text("ar", bot.MsgForgotten) {
		t.Errorf("web chat /forget answered %+v", rs)
	}

	whole := d.register(t, "webchat", map[string]any{"id": fr, "text": "نص مكسور بدون نهاية، لا تحفظه"})
	d.webRaw(t, whole[:len(whole)-5], 400)
	d.web(t, map[string]any{"id": "Zq7shrt", "text": "Un identifiant trop court"}, 400)
	d.web(t, map[string]any{"id": fr, "text": "Les deux à la fois", "choice": "c|menu"}, 400)
}

// ---- Telegram payloads, built on the real fixtures ----

var pvUpdateSeq atomic.Int64

func init() { pvUpdateSeq.Store(810000000) }

func pvSetUpdateID(u map[string]any) { u["update_id"] = pvUpdateSeq.Add(1) }

func pvFixturesRoot(t *testing.T) string {
	dir := filepath.Join("..", "..", "..", "testdata", "fixtures")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the real payload fixtures are missing at %s: %v", dir, err)
	}
	return dir
}

// pvLoadFixture reads a fixture as a JSON object; numbers stay exact (json.Number).
func pvLoadFixture(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(pvFixturesRoot(t), name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// pvApplyPerson writes p into a fixture's "from" (user) or "chat" object, keeping its other fields.
func pvApplyPerson(m map[string]any, p pvTgPerson, isUser bool) {
	m["id"] = p.ID
	set := func(k, v string) {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	set("first_name", p.First)
	set("last_name", p.Last)
	set("username", p.Username)
	if isUser {
		set("language_code", p.Lang)
	} else {
		m["type"] = "private"
	}
}

// pvPersonOf reads the person of a fixture message.
func pvPersonOf(t *testing.T, msg map[string]any) pvTgPerson {
	from := msg["from"].(map[string]any)
	id, err := from["id"].(json.Number).Int64()
	if err != nil {
		t.Fatal(err)
	}
	s := func(k string) string { v, _ := from[k].(string); return v }
	return pvTgPerson{ID: id, First: s("first_name"), Last: s("last_name"), Username: s("username"), Lang: s("language_code")}
}

var pvMessageSeq atomic.Int64

// pvTgMessage is a private message fixture from p, with a fresh update id, message id and date.
func pvTgMessage(t *testing.T, fixture string, p pvTgPerson) (map[string]any, map[string]any) {
	u := pvLoadFixture(t, "telegram/"+fixture)
	pvSetUpdateID(u)
	msg := u["message"].(map[string]any)
	pvApplyPerson(msg["from"].(map[string]any), p, true)
	pvApplyPerson(msg["chat"].(map[string]any), p, false)
	msg["message_id"] = pvMessageSeq.Add(1)
	msg["date"] = time.Now().Unix()
	return u, msg
}

// pvTgText is a text message from p (a command gets its bot_command entity, as Telegram sends it).
func pvTgText(t *testing.T, p pvTgPerson, text string) map[string]any {
	fixture := "private_text_language_code.json"
	if strings.HasPrefix(text, "/") {
		fixture = "command_with_entities.json"
	}
	u, msg := pvTgMessage(t, fixture, p)
	msg["text"] = text
	if strings.HasPrefix(text, "/") {
		msg["entities"] = []any{map[string]any{"offset": 0, "length": len(strings.Fields(text)[0]), "type": "bot_command"}}
	}
	return u
}

// pvTgFixture is a message fixture as it is (a command's own text, a voice note, sticker,
// contact or location), from p.
func pvTgFixture(t *testing.T, fixture string, p pvTgPerson) map[string]any {
	u, _ := pvTgMessage(t, fixture, p)
	return u
}

// pvTgPress is a pressed inline button of a bot message in p's private chat.
func pvTgPress(t *testing.T, p pvTgPerson, data string) map[string]any {
	return pvTgPressIn(t, p, data, func(chat map[string]any) { pvApplyPerson(chat, p, false) })
}

// pvTgPressIn is a button pressed by p on a message in the chat that inChat makes of the
// fixture's.
func pvTgPressIn(t *testing.T, p pvTgPerson, data string, inChat func(chat map[string]any)) map[string]any {
	u := pvLoadFixture(t, "telegram/callback_query_inline_button.json")
	pvSetUpdateID(u)
	q := u["callback_query"].(map[string]any)
	q["id"] = fmt.Sprintf("cb%d", pvUpdateSeq.Add(1))
	q["data"] = data
	pvApplyPerson(q["from"].(map[string]any), p, true)
	inChat(q["message"].(map[string]any)["chat"].(map[string]any))
	return u
}

// pvStaffChat turns a fixture's chat into the staff group.
func pvStaffChat(m map[string]any) {
	m["id"] = int64(pvStaffChatID)
	m["type"], m["title"] = "supergroup", "Returkontoret – saksbehandlere"
	delete(m, "first_name")
	delete(m, "last_name")
	delete(m, "username")
	delete(m, "is_forum")
}

// pvTgStaffText is a message from staff in the staff group, replying to the bot's message
// replyTo when it is set (MessageID not 0).
func pvTgStaffText(t *testing.T, p pvTgPerson, text string, replyTo telegramtest.Call) map[string]any {
	u := pvLoadFixture(t, "telegram/supergroup_text_forum.json")
	pvSetUpdateID(u)
	msg := u["message"].(map[string]any)
	pvApplyPerson(msg["from"].(map[string]any), p, true)
	pvStaffChat(msg["chat"].(map[string]any))
	msg["message_id"] = pvMessageSeq.Add(1)
	msg["date"] = time.Now().Unix()
	msg["text"] = text
	if strings.HasPrefix(text, "/") {
		msg["entities"] = []any{map[string]any{"offset": 0, "length": len(strings.Fields(text)[0]), "type": "bot_command"}}
	}
	if replyTo.MessageID != 0 {
		chat := map[string]any{}
		pvStaffChat(chat)
		msg["reply_to_message"] = map[string]any{"message_id": replyTo.MessageID, "date": time.Now().Unix(), "text": replyTo.Params["text"], "chat": chat,
			"from": map[string]any{"id": 123456, "is_bot": true, "first_name": "returnbot", "username": telegramtest.BotUsername}}
	}
	return u
}

// pvTgStaffPress is a pressed button of a ticket card in the staff group.
func pvTgStaffPress(t *testing.T, p pvTgPerson, data string) map[string]any {
	return pvTgPressIn(t, p, data, pvStaffChat)
}

// tgSend registers an update's personal data and delivers it to the webhook as Telegram does.
func (d *pvDriver) tgSend(t *testing.T, update map[string]any) {
	t.Helper()
	if code := telegramtest.Post(t, d.hook, pvLogsHookSecret, d.register(t, "telegram", update)); code != http.StatusOK {
		t.Fatalf("the webhook answered %d", code)
	}
}

// tgWait waits until chat was sent a message for which ok holds, and returns it.
func (d *pvDriver) tgWait(t *testing.T, chat int64, what string, ok func(telegramtest.Call) bool) telegramtest.Call {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, c := range d.tg.Sent(chat) {
			if ok(c) {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; sent to the chat: %s", what, telegramtest.Summary(d.tg.Sent(chat)))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- WhatsApp payloads and a fake Graph API ----

var pvWaSeq atomic.Int64

// pvWaFixture is a WhatsApp fixture with fresh message ids (the fixtures share "wamid.xyzxyz",
// which the bot would drop as a redelivery) and timestamps.
func pvWaFixture(t *testing.T, name string) map[string]any {
	p := pvLoadFixture(t, "whatsapp/"+name)
	v := pvWaValue(p)
	if ms, ok := v["messages"].([]any); ok {
		for _, m := range ms {
			m := m.(map[string]any)
			m["id"] = fmt.Sprintf("wamid.logs%d", pvWaSeq.Add(1))
			m["timestamp"] = strconv.FormatInt(time.Now().Unix(), 10)
		}
	}
	return p
}

func pvWaValue(p map[string]any) map[string]any {
	return p["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)
}

// pvWaFrom sets the sender of a fixture (messages and contacts) to number, named name.
func pvWaFrom(t *testing.T, p map[string]any, number, name string) map[string]any {
	v := pvWaValue(p)
	for _, c := range v["contacts"].([]any) {
		c := c.(map[string]any)
		c["wa_id"] = number
		c["profile"] = map[string]any{"name": name}
		c["user_id"] = "US." + number + "0042"
	}
	for _, m := range v["messages"].([]any) {
		m.(map[string]any)["from"] = number
	}
	return p
}

// pvWaText is the text fixture from number with body text.
func pvWaText(t *testing.T, number, text string) map[string]any {
	p := pvWaFixture(t, "text_message.json")
	if number != pvWaFixtureUser {
		pvWaFrom(t, p, number, "Mina Rahimi")
	}
	pvWaValue(p)["messages"].([]any)[0].(map[string]any)["text"] = map[string]any{"body": text}
	return p
}

// pvWaButton is an interactive reply fixture (button or list) whose reply id is data.
func pvWaButton(t *testing.T, fixture, data string) map[string]any {
	p := pvWaFixture(t, fixture)
	in := pvWaValue(p)["messages"].([]any)[0].(map[string]any)["interactive"].(map[string]any)
	for _, k := range []string{"button_reply", "list_reply"} {
		if r, ok := in[k].(map[string]any); ok {
			r["id"] = data
		}
	}
	return p
}

func (d *pvDriver) waSend(t *testing.T, p map[string]any) {
	t.Helper()
	body := d.register(t, "whatsapp", p)
	if code := d.waPost(t, body, whatsapp.Sign(pvWaAppSecret, body)); code != http.StatusOK {
		t.Fatalf("the WhatsApp webhook answered %d", code)
	}
}

func (d *pvDriver) waPost(t *testing.T, body []byte, signature string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, d.base+"/whatsapp/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// pvGraphSend is one message the fake Graph API received, reduced to what the test looks at.
type pvGraphSend struct {
	to, text string
	ids      []string // reply button and list row ids
	n        int      // how many messages to this number so far, this one included
	refused  bool
}

// pvFakeGraph is the Graph API's /PHONE_ID/messages: it records messages and can refuse one with
// an error that, like Meta's, names the recipient's number in its details.
type pvFakeGraph struct {
	*http.Server
	URL   string
	mu    sync.Mutex
	sends []pvGraphSend
	fail  map[string]bool
}

func pvNewFakeGraph(t *testing.T) *pvFakeGraph {
	g := &pvFakeGraph{fail: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.URL = "http://" + ln.Addr().String()
	g.Server = &http.Server{Handler: http.HandlerFunc(g.serve)}
	go g.Serve(ln)
	t.Cleanup(func() { g.Close() })
	return g
}

func (g *pvFakeGraph) failNext(to string) { g.mu.Lock(); g.fail[to] = true; g.mu.Unlock() }

func (g *pvFakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	var m struct {
		To   string `json:"to"`
		Type string `json:"type"`
		Text struct {
			Body string `json:"body"`
		} `json:"text"`
		Interactive struct {
			Body struct {
				Text string `json:"text"`
			} `json:"body"`
			Action struct {
				Buttons []struct {
					Reply struct {
						ID string `json:"id"`
					} `json:"reply"`
				} `json:"buttons"`
				Sections []struct {
					Rows []struct {
						ID string `json:"id"`
					} `json:"rows"`
				} `json:"sections"`
			} `json:"action"`
		} `json:"interactive"`
	}
	if !strings.HasSuffix(r.URL.Path, "/"+pvWaPhoneID+"/messages") || r.Header.Get("Authorization") != "Bearer graph-token" {
		http.Error(w, `{"error":{"message":"Unsupported post request","type":"GraphMethodException","code":100}}`, 400)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, `{"error":{"message":"Invalid JSON","type":"OAuthException","code":100}}`, 400)
		return
	}
	s := pvGraphSend{to: m.To, text: m.Text.Body}
	if m.Type == "interactive" {
		s.text = m.Interactive.Body.Text
		for _, b := range m.Interactive.Action.Buttons {
			s.ids = append(s.ids, b.Reply.ID)
		}
		for _, sec := range m.Interactive.Action.Sections {
			for _, row := range sec.Rows {
				s.ids = append(s.ids, row.ID)
			}
		}
	}
	g.mu.Lock()
	s.refused = g.fail[m.To]
	delete(g.fail, m.To)
	for _, o := range g.sends {
		if o.to == m.To {
			s.n++
		}
	}
	s.n++
	g.sends = append(g.sends, s)
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if s.refused {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":"(#131026) Message undeliverable","type":"OAuthException","code":131026,`+
			`"error_data":{"messaging_product":"whatsapp","details":"Message undeliverable to +%s"},"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}`, m.To)
		return
	}
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"%s","wa_id":"%s"}],"messages":[{"id":"wamid.out%d"}]}`, m.To, m.To, len(g.sends))
}

// waWait waits until a message to number satisfies ok, and returns it.
func (d *pvDriver) waWait(t *testing.T, to, what string, ok func(pvGraphSend) bool) pvGraphSend {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d.graph.mu.Lock()
		sends := slices.Clone(d.graph.sends)
		d.graph.mu.Unlock()
		for _, s := range sends {
			if s.to == to && ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, s := range sends {
				if s.to == to {
					got = append(got, fmt.Sprintf("%.50q %v", s.text, s.ids))
				}
			}
			t.Fatalf("timed out waiting for %s; sent: %s", what, strings.Join(got, "\n  "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- the web chat ----

type pvWebReply struct {
	Text    string `json:"text"`
	Buttons []struct {
		Data string `json:"data"`
	} `json:"buttons"`
}

func pvFirstButton(rs []pvWebReply) string {
	for _, r := range rs {
		for _, b := range r.Buttons {
			if b.Data != "" {
				return b.Data
			}
		}
	}
	return ""
}

func (d *pvDriver) web(t *testing.T, req map[string]any, want int) []pvWebReply {
	t.Helper()
	return d.webRaw(t, d.register(t, "webchat", req), want)
}

func (d *pvDriver) webRaw(t *testing.T, body []byte, want int) []pvWebReply {
	t.Helper()
	resp, err := http.Post(d.base+"/webchat/api/message", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("web chat answered %d (want %d): %s", resp.StatusCode, want, b)
	}
	var out struct {
		Replies []pvWebReply `json:"replies"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Replies
}

// ---- what must not be logged ----

// register collects the personal data of a payload of channel and returns the payload as JSON.
func (d *pvDriver) register(t *testing.T, channel string, payload map[string]any) []byte {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.bad.CollectJSON(channel, raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

// ---- the process and its log ----

// pvCheckJSONLines fails for any stderr line that is not a JSON object, and decodes the rest.
func pvCheckJSONLines(t *testing.T, stderr string) []logleak.Line {
	t.Helper()
	var out []logleak.Line
	for _, l := range logleak.JSONLines(stderr) {
		if l.Fields == nil {
			t.Errorf("stderr line %d is not a JSON object: %q", l.N, l.Raw)
			continue
		}
		out = append(out, l)
	}
	return out
}

// pvPackTexts gives the test the bot's texts, to recognise answers.
type pvPackTexts struct{ lang bot.Language }

func (p pvPackTexts) text(lang, id string) string { return p.lang.Text(lang, id, "") }

func pvLoadPackForTest(t *testing.T) pvPackTexts {
	t.Helper()
	pack, err := LoadContent("", "", bot.DefaultSessionTTL)
	if err != nil && (pack == nil || pack.Catalog == nil) {
		t.Fatal(err)
	}
	return pvPackTexts{lang: pack.Catalog}
}
