package handoff_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/bot/whatsapp/graphtest"
)

const (
	waAppSecret = "wa-app-secret"
	waPhoneID   = "1122334455667" // the fixtures' phone_number_id
	waUser      = "972987654321"  // the fixtures' wa_id
)

// oggOpus is the start of an Ogg Opus voice note (the first page: OggS, then the OpusHead
// header); enough for every check here, which compares bytes.
var oggOpus = append([]byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"), bytes.Repeat([]byte{0x4f}, 3000)...)

// jpeg is the start of a JPEG file (SOI, JFIF APP0) and some bytes.
var jpeg = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), bytes.Repeat([]byte{0x11}, 5000)...)

// pdf is the start of a PDF file.
var pdf = append([]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), bytes.Repeat([]byte("0 0 obj\n"), 400)...)

// waDesk is a desk with a WhatsApp adapter on a fake Graph API next to the Telegram staff group.
type waDesk struct {
	*desk
	graph *graphtest.Server
	hook  http.Handler
	n     int
	// bodies are the webhook payloads delivered, for the log check.
	bodies [][]byte
}

func startWADesk(t *testing.T, srv *telegramtest.Server, p procStores, clk *clock) *waDesk {
	t.Helper()
	d := startDesk(t, srv, p.sessions, p.handoff, clk)
	g := graphtest.NewServer(t)
	wa := whatsapp.New(whatsapp.Config{
		Bot: d.bot, Secret: secret, Token: graphtest.Token, PhoneNumberID: waPhoneID, AppSecret: waAppSecret,
		VerifyToken: "v", Endpoint: g.Endpoint(), Now: clk.now, Backoff: time.Millisecond,
	})
	d.svc.SetUserSender(whatsapp.Channel, wa)
	mux := http.NewServeMux()
	wa.Routes(mux)
	return &waDesk{desk: d, graph: g, hook: mux}
}

// deliver posts a real WhatsApp webhook payload (testdata/fixtures/whatsapp/name), its message
// changed by edit and given a new id, signed as Meta signs it.
func (w *waDesk) deliver(t *testing.T, name string, edit func(msg map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "whatsapp", name))
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	msg := p["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)["messages"].([]any)[0].(map[string]any)
	w.n++
	msg["id"] = "wamid.test" + itoa(int64(w.n))
	if edit != nil {
		edit(msg)
	}
	body := mustJSON(p)
	w.bodies = append(w.bodies, body)
	r := httptest.NewRequest("POST", "/whatsapp/webhook", bytes.NewReader(body))
	r.Header.Set("X-Hub-Signature-256", whatsapp.Sign(waAppSecret, body))
	rec := httptest.NewRecorder()
	w.hook.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: webhook answered %d", name, rec.Code)
	}
}

// waSent waits for a message to the user of the given type whose JSON contains want.
func (w *waDesk) waSent(t *testing.T, typ, want string) graphtest.Call {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, c := range w.graph.Calls("/messages") {
			if c.Body["type"] == typ && strings.Contains(string(mustJSON(c.Body)), want) {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s message to the WhatsApp user containing %q; got %d messages", typ, want, len(w.graph.Calls("/messages")))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWhatsAppMediaRelayBothWays: a WhatsApp user who waits for a counsellor sends a voice note,
// a photo and a PDF (real webhook payloads); each is looked up on the Graph API, fetched from its
// media URL with the bearer token (through a redirect) and uploaded to the staff group
// (sendVoice, sendPhoto, sendDocument multipart) byte for byte, as a reply to the ticket's card
// with the code, kind, size and the user's caption. A counsellor's voice note replying to it is
// fetched from Telegram (getFile, download), uploaded to the Graph API (POST /media, multipart,
// audio/ogg) and sent as an audio message by its new media id, after the "from a counsellor"
// line. Redis gets no new key but the staff chat links, and nothing of the media.
func TestWhatsAppMediaRelayBothWays(t *testing.T) {
	p, rc := redisProcess(t, redistest.Server(t))
	logs := recordLogs(t)
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 30, 11, 0, 0, 0, osloTime(t)))
	w := startWADesk(t, srv, p, clk)

	before := count(srv, staffChat, "🎫 ")
	w.deliver(t, "interactive_button_reply.json", func(msg map[string]any) {
		msg["interactive"].(map[string]any)["button_reply"].(map[string]any)["id"] = bot.OptionData("handoff.start", "chat")
	})
	srv.WaitFor(5*time.Second, "the WhatsApp user's ticket card", func([]telegramtest.Call) bool { return count(srv, staffChat, "🎫 ") > before })
	var card telegramtest.Call
	for _, c := range srv.Sent(staffChat) {
		if strings.Contains(c.Params["text"], "🎫 ") {
			card = c
		}
	}
	card = linked(t, p.handoff, card)
	code := codeRE.FindString(card.Params["text"])
	snapshot := dump(t, rc)

	w.graph.AddMedia("1234567890987654321", graphtest.Medium{MIME: "audio/ogg; codecs=opus", Data: oggOpus})
	w.graph.AddMedia("1013859600285441", graphtest.Medium{MIME: "image/jpeg", Data: jpeg})
	w.graph.AddMedia("2244668800113355", graphtest.Medium{MIME: "application/pdf", Data: pdf})
	var voiceUp telegramtest.Call
	for _, c := range []struct {
		fixture, method, field string
		data                   []byte
		describe, caption      string
	}{
		{"voice_message.json", "sendVoice", "voice", oggOpus, "[voice · " + bot.HumanSize(int64(len(oggOpus))) + "]", ""},
		{"image_message.json", "sendPhoto", "photo", jpeg, "[photo · " + bot.HumanSize(int64(len(jpeg))) + "]", "my letter"},
		{"document_message.json", "sendDocument", "document", pdf, "[document · " + bot.HumanSize(int64(len(pdf))) + "]", ""},
	} {
		w.deliver(t, c.fixture, nil)
		up := waitCall(t, srv, c.fixture+" uploaded to the staff group", c.method, func(tc telegramtest.Call) bool { return tc.ChatID() == staffChat })
		f, ok := up.Files[c.field]
		if !ok || !bytes.Equal(f.Data, c.data) {
			t.Fatalf("%s: the upload's %s part is not the medium (%d bytes, want %d)", c.fixture, c.field, len(f.Data), len(c.data))
		}
		capt := up.Params["caption"]
		if !strings.Contains(capt, code) || !strings.Contains(capt, c.describe) || !strings.Contains(capt, c.caption) {
			t.Errorf("%s: caption %q lacks %s, %q or %q", c.fixture, capt, code, c.describe, c.caption)
		}
		if replyTo(up) != card.MessageID {
			t.Errorf("%s: upload replies to %d, not the card %d", c.fixture, replyTo(up), card.MessageID)
		}
		if c.method == "sendDocument" && f.Name != "decision.pdf" {
			t.Errorf("document uploaded as %q", f.Name)
		}
		linked(t, p.handoff, up)
		if c.method == "sendVoice" {
			voiceUp = up
		}
	}
	for _, c := range w.graph.Calls("") {
		if strings.HasPrefix(c.Path, "/cdn/") && c.Status != http.StatusOK {
			t.Errorf("media download %s answered %d", c.Path, c.Status)
		}
	}
	if n := len(w.graph.Calls("")); n == 0 {
		t.Fatal("the Graph API was never asked")
	}
	// A photo Meta no longer has (its media id unknown): staff get its line, the logs its kind.
	w.deliver(t, "image_message.json", func(msg map[string]any) {
		msg["image"].(map[string]any)["id"] = "5550001112223334"
		msg["image"].(map[string]any)["caption"] = "lost letter"
	})
	if line := waitText(t, srv, staffChat, "[photo]"); !strings.Contains(line.Params["text"], "lost letter") || !strings.Contains(line.Params["text"], code) {
		t.Errorf("the line of a photo that could not be fetched: %q", line.Params["text"])
	}

	// A counsellor's voice note, replying to the user's, goes back to WhatsApp.
	srv.AddFile("STAFFVOICE", oggOpus[:2000])
	m := staffMessage(staffID, "")
	delete(m, "text")
	m["voice"] = map[string]any{"duration": 3, "mime_type": "audio/ogg", "file_id": "STAFFVOICE", "file_unique_id": "sv", "file_size": 2000}
	m["reply_to_message"] = map[string]any{"message_id": voiceUp.MessageID, "date": 1,
		"from": map[string]any{"id": 111111111, "is_bot": true, "first_name": "Returnbot test", "username": telegramtest.BotUsername},
		"chat": map[string]any{"id": staffChat, "type": "supergroup", "title": "staff"}}
	srv.Push(mustJSON(map[string]any{"message": m}))
	audio := w.waSent(t, "audio", `"id"`)
	id := audio.Body["audio"].(map[string]any)["id"].(string)
	held, ok := w.graph.Media(id)
	if !ok || !bytes.Equal(held.Data, oggOpus[:2000]) || held.MIME != "audio/ogg" {
		t.Fatalf("the audio message's media %q is not the counsellor's voice note (%d bytes, %q)", id, len(held.Data), held.MIME)
	}
	ups := w.graph.Calls("/media")
	if len(ups) != 1 || ups[0].Fields["messaging_product"] != "whatsapp" || ups[0].File == nil {
		t.Fatalf("uploads: %+v", ups)
	}
	if audio.Body["to"] != waUser {
		t.Errorf("audio went to %v", audio.Body["to"])
	}
	w.waSent(t, "text", firstLine(text("en", bot.MsgFromStaff)))
	waitText(t, srv, staffChat, code+": sendt")

	checkLogs(t, logs, w.bodies, "5550001112223334", "lost letter", "STAFFVOICE", waUser)
	for k, v := range dump(t, rc) {
		if _, ok := snapshot[k]; !ok && !strings.HasPrefix(k, "rb:p:") && k != "rb:audit" && k != "rb:h:"+code && !strings.HasPrefix(k, "rb:seen:") && !strings.HasSuffix(k, "}:turn") {
			t.Errorf("relaying media added key %q to Redis", k)
		}
		for _, s := range []string{"1234567890987654321", "1013859600285441", "2244668800113355", "STAFFVOICE", "my letter", "decision.pdf", "OpusHead", "JFIF", "%PDF"} {
			if strings.Contains(k, s) || strings.Contains(v, s) {
				t.Errorf("Redis key %q holds %q of a medium", k, s)
			}
		}
	}
}

// TestWhatsAppMediumTooLarge: a document the Graph API says is over the limit is neither fetched
// nor uploaded; the user gets the kind answer, staff its kind and size.
func TestWhatsAppMediumTooLarge(t *testing.T) {
	p, _ := redisProcess(t, redistest.Server(t))
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 30, 11, 0, 0, 0, osloTime(t)))
	w := startWADesk(t, srv, p, clk)
	before := count(srv, staffChat, "🎫 ")
	w.deliver(t, "interactive_button_reply.json", func(msg map[string]any) {
		msg["interactive"].(map[string]any)["button_reply"].(map[string]any)["id"] = bot.OptionData("handoff.start", "chat")
	})
	srv.WaitFor(5*time.Second, "the ticket card", func([]telegramtest.Call) bool { return count(srv, staffChat, "🎫 ") > before })
	w.graph.AddMedia("2244668800113355", graphtest.Medium{MIME: "application/pdf", Data: pdf, Size: bot.MaxMediumBytes + 1})
	w.deliver(t, "document_message.json", nil)
	w.waSent(t, "text", firstLine(text("en", bot.MsgMediaTooLarge)))
	waitText(t, srv, staffChat, "[document · 16.8 MB ⛔]")
	if n := len(srv.Calls("sendDocument")); n != 0 {
		t.Errorf("%d uploads of a document over the limit", n)
	}
	for _, c := range w.graph.Calls("") {
		if strings.HasPrefix(c.Path, "/cdn/") {
			t.Errorf("a medium over the limit was downloaded")
		}
	}
}
