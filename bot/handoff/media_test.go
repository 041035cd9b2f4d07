package handoff_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
	"github.com/returnbot/returnbot/internal/logleak"
)

// fixtureFrom is a real Telegram update (testdata/fixtures/telegram) as sent from chat, in lang;
// edit changes its message further. It returns the update and its message.
func fixtureFrom(t *testing.T, name string, chat int64, lang string, edit func(msg map[string]any)) ([]byte, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "telegram", name))
	if err != nil {
		t.Fatal(err)
	}
	var u map[string]any
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatal(err)
	}
	m := u["message"].(map[string]any)
	m["chat"].(map[string]any)["id"] = chat
	from := m["from"].(map[string]any)
	from["id"], from["language_code"] = chat, lang
	if edit != nil {
		edit(m)
	}
	return mustJSON(u), m
}

// calls waits for one call of method matching ok and returns it.
func waitCall(t *testing.T, srv *telegramtest.Server, what, method string, ok func(telegramtest.Call) bool) telegramtest.Call {
	t.Helper()
	var got telegramtest.Call
	srv.WaitFor(5*time.Second, what, func([]telegramtest.Call) bool {
		for _, c := range srv.Calls(method) {
			if ok(c) {
				got = c
				return true
			}
		}
		return false
	})
	return got
}

func replyTo(c telegramtest.Call) int64 {
	var rp struct {
		MessageID int64 `json:"message_id"`
	}
	_ = json.Unmarshal([]byte(c.Params["reply_parameters"]), &rp)
	return rp.MessageID
}

// recordLogs sends every log of the test (the bot, the service, the adapters: all log to
// slog.Default when given no logger) to a recorder, for checkLogs.
func recordLogs(t *testing.T) *logleak.Recorder {
	rec := logleak.NewRecorder()
	old := slog.Default()
	slog.SetDefault(slog.New(rec))
	t.Cleanup(func() { slog.SetDefault(old) })
	return rec
}

// mediaLogAllow are the attributes that carry no user data by construction.
var mediaLogAllow = logleak.Allow{
	Strings: map[string]*regexp.Regexp{"user": logleak.Pseudonym, "kind": logleak.Enum, "reason": logleak.Enum},
	Counts:  map[string]bool{"size": true, "code": true, "sent": true, "undeliverable": true, "changed": true, "failures": true},
}

// checkLogs fails when a log attribute holds a string or number of the payloads the test sent
// or one of the extra canaries (ids, captions, file names).
func checkLogs(t *testing.T, logs *logleak.Recorder, bodies [][]byte, extra ...string) {
	t.Helper()
	canaries := extra
	for _, b := range bodies {
		canaries = append(canaries, logleak.Canaries(b, nil)...)
	}
	recs := logs.Take()
	if len(recs) == 0 {
		t.Fatal("nothing was logged: the check sees nothing")
	}
	if leaked := logleak.Leaks(recs, canaries, mediaLogAllow); len(leaked) > 0 {
		t.Errorf("the logs hold what users or staff sent: %v", leaked)
	}
}

// dump is every key of the server with its serialized value.
func dump(t *testing.T, c goredis.UniversalClient) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range allKeys(t, c) {
		v, err := c.Dump(context.Background(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// TestTelegramMediaRelayBothWays: while a user waits for a counsellor, their voice note, photo,
// document and sticker (real updates) reach the staff group as themselves: copied by
// copyMessage from the user's chat, as a reply to the ticket's card (a sticker, which takes no
// caption, after the ticket's line and as a reply to it), with the code, kind and size in the
// caption and each copy linked to the ticket. A counsellor's voice note and photo replying to
// one of them reach the user by copyMessage, marked as from a counsellor. Redis (a real
// redis-server) gets no new key but the staff chat links, and no key or value holds a file_id,
// a caption or a file name.
func TestTelegramMediaRelayBothWays(t *testing.T) {
	url := redistest.Server(t)
	p, rc := redisProcess(t, url)
	logs := recordLogs(t)
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 30, 11, 0, 0, 0, osloTime(t))) // Tuesday, the office is open
	startDesk(t, srv, p.sessions, p.handoff, clk)
	card, code := askChat(t, srv, p.handoff, userChat, "en")
	before := dump(t, rc)

	type media struct {
		fixture, describe, caption string
		msgID                      int64
	}
	sent := []media{
		{"voice.json", "[voice · 6 KB]", "", 123456},
		{"photo_with_caption.json", "[photo · 105 KB]", "asdasdasdasdasdasd", 456901},
		{"document.json", "[document · 183 KB]", "", 456902},
		{"sticker.json", "[sticker · 39 KB]", "", 123456},
	}
	var copies []telegramtest.Call
	var bodies [][]byte
	for i, m := range sent {
		upd, _ := fixtureFrom(t, m.fixture, userChat, "en", func(msg map[string]any) { msg["message_id"] = m.msgID + int64(i) })
		bodies = append(bodies, upd)
		srv.Push(upd)
		id := itoa(m.msgID + int64(i))
		c := waitCall(t, srv, m.fixture+" copied to the staff chat", "copyMessage", func(c telegramtest.Call) bool {
			return c.ChatID() == staffChat && c.Params["from_chat_id"] == itoa(userChat) && c.Params["message_id"] == id
		})
		linked(t, p.handoff, c)
		copies = append(copies, c)
		if m.fixture == "sticker.json" {
			line := waitText(t, srv, staffChat, m.describe)
			if !strings.Contains(line.Params["text"], code) || replyTo(c) != line.MessageID || c.Params["caption"] != "" {
				t.Errorf("sticker: line %q, copy replies to %d (line %d), caption %q", line.Params["text"], replyTo(c), line.MessageID, c.Params["caption"])
			}
			continue
		}
		capt := c.Params["caption"]
		if !strings.Contains(capt, code) || !strings.Contains(capt, m.describe) || !strings.Contains(capt, m.caption) {
			t.Errorf("%s: caption %q lacks the code %s, %q or the user's caption", m.fixture, capt, code, m.describe)
		}
		if replyTo(c) != card.MessageID {
			t.Errorf("%s: copy replies to %d, not the card %d", m.fixture, replyTo(c), card.MessageID)
		}
	}
	added := 0
	for k := range dump(t, rc) {
		if _, ok := before[k]; ok {
			continue
		}
		// A staff chat message's link to the ticket, and the user's turn log (the turn of a
		// message staff get has no replies, and is logged as delivered as every turn is).
		if added++; !strings.HasPrefix(k, redis.DefaultPrefix+"p:") && !strings.HasSuffix(k, "}:turn") {
			t.Errorf("a user's media added key %q to Redis", k)
		}
	}
	if added < len(sent) {
		t.Fatalf("only %d staff chat links were added for %d media: the scan sees nothing", added, len(sent))
	}
	if n := len(srv.Calls("sendVoice", "sendPhoto", "sendDocument", "sendSticker", "getFile", "file")); n != 0 {
		t.Errorf("a Telegram user's media went through %d uploads or downloads instead of copies", n)
	}

	// Someone in the group who is not staff: their voice note replying to the user's reaches
	// nobody.
	intruder := staffMessage(outsiderID, "")
	delete(intruder, "text")
	intruder["voice"] = map[string]any{"duration": 1, "mime_type": "audio/ogg", "file_id": "OUTSIDERVOICE", "file_unique_id": "ov", "file_size": 900}
	intruder["reply_to_message"] = map[string]any{"message_id": copies[0].MessageID, "date": 1,
		"from": map[string]any{"id": 111111111, "is_bot": true, "first_name": "Returnbot test", "username": telegramtest.BotUsername},
		"chat": map[string]any{"id": staffChat, "type": "supergroup", "title": "staff"}}
	srv.Push(mustJSON(map[string]any{"message": intruder}))
	waitText(t, srv, staffChat, text("nb", "staff.not_allowed"))

	// A counsellor's voice note and photo, replying to the user's voice note and photo.
	for i, kind := range []string{"voice", "photo"} {
		m := staffMessage(staffID, "")
		delete(m, "text")
		if kind == "voice" {
			m["voice"] = map[string]any{"duration": 3, "mime_type": "audio/ogg", "file_id": "STAFFVOICE", "file_unique_id": "sv", "file_size": 9000}
		} else {
			m["photo"] = []map[string]any{{"file_id": "STAFFPHOTO", "file_unique_id": "sp", "file_size": 40000, "width": 600, "height": 800}}
			m["caption"] = "the form"
		}
		to := copies[i]
		m["reply_to_message"] = map[string]any{"message_id": to.MessageID, "date": 1,
			"from": map[string]any{"id": 111111111, "is_bot": true, "first_name": "Returnbot test", "username": telegramtest.BotUsername},
			"chat": map[string]any{"id": staffChat, "type": "supergroup", "title": "staff"}}
		srv.Push(mustJSON(map[string]any{"message": m}))
		staffMsgID := itoa(m["message_id"].(int64))
		c := waitCall(t, srv, "the counsellor's "+kind+" copied to the user", "copyMessage", func(c telegramtest.Call) bool {
			return c.ChatID() == userChat && c.Params["from_chat_id"] == itoa(staffChat) && c.Params["message_id"] == staffMsgID
		})
		want := text("en", bot.MsgFromStaff)
		if kind == "photo" {
			want += "\nthe form"
		}
		if c.Params["caption"] != want {
			t.Errorf("%s to the user: caption %q, want %q", kind, c.Params["caption"], want)
		}
	}
	waitText(t, srv, staffChat, code+": sendt")
	for _, c := range srv.Calls("copyMessage", "sendVoice", "getFile") {
		if c.Params["message_id"] == itoa(intruder["message_id"].(int64)) || c.Params["file_id"] == "OUTSIDERVOICE" {
			t.Errorf("an outsider's voice note reached the user: %v", c.Params)
		}
	}
	checkLogs(t, logs, bodies, "STAFFVOICE", "STAFFPHOTO", "the form", itoa(userChat))

	after := dump(t, rc)
	for k := range after {
		if _, ok := before[k]; ok {
			continue
		}
		// What staff acting adds anyway: the audit entry of the reply, its claim of the ticket,
		// the dedupe record of the staff chat's updates, and the links of the bot's posts.
		if !strings.HasPrefix(k, redis.DefaultPrefix+"p:") && k != redis.DefaultPrefix+"audit" &&
			k != redis.DefaultPrefix+"h:"+code && !strings.HasPrefix(k, redis.DefaultPrefix+"seen:telegram:") && !strings.HasSuffix(k, "}:turn") {
			t.Errorf("a counsellor's media added key %q to Redis", k)
		}
	}
	for k, v := range after {
		for _, secret := range []string{"dfghjjghdjhgd", "SAAS", "SEES", "BQACAgQAAxkBAAIGX2U4", "yhufjikjhgjkghjffghgf", "STAFFVOICE", "STAFFPHOTO", "decision.pdf", "asdasdasd", "the form", "audio/ogg"} {
			if strings.Contains(k, secret) || strings.Contains(v, secret) {
				t.Errorf("Redis key %q holds %q of a medium", k, secret)
			}
		}
	}
}

// TestTelegramMediumTooLargeIsRefused: a voice note over the limit is not passed on; the user
// gets the kind answer, staff a line with its kind and size, and nothing is copied.
func TestTelegramMediumTooLargeIsRefused(t *testing.T) {
	p, _ := redisProcess(t, redistest.Server(t))
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 30, 11, 0, 0, 0, osloTime(t)))
	startDesk(t, srv, p.sessions, p.handoff, clk)
	_, code := askChat(t, srv, p.handoff, userChat, "fa")
	upd, _ := fixtureFrom(t, "voice.json", userChat, "fa", func(msg map[string]any) {
		msg["voice"].(map[string]any)["file_size"] = bot.MaxMediumBytes + 1
	})
	srv.Push(upd)
	waitText(t, srv, userChat, firstLine(text("fa", bot.MsgMediaTooLarge)))
	line := waitText(t, srv, staffChat, "[voice · 16.8 MB ⛔]")
	if !strings.Contains(line.Params["text"], code) {
		t.Errorf("staff line %q lacks the code", line.Params["text"])
	}
	if n := len(srv.Calls("copyMessage", "sendVoice")); n != 0 {
		t.Errorf("%d copies of a medium over the limit", n)
	}
}
