package handoff_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
	"github.com/returnbot/returnbot/bot/webchat"
)

// png is the start of a PNG file (signature and IHDR) and some bytes.
var png = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"), bytes.Repeat([]byte{0x22}, 4000)...)

// webm is the start of a browser's voice recording (EBML header, DocType webm) and some bytes.
var webm = append([]byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"), bytes.Repeat([]byte{0x33}, 3000)...)

// TestWebUploadReachesStaffGroup: a web chat user waiting for a counsellor uploads a photo (PNG)
// and a voice recording (WebM, as browsers record): each reaches the staff group as a multipart
// upload of the very bytes, as a reply to the ticket card, with the code, kind and size; the
// type comes from the bytes, not from what the browser claimed. Nothing of them is logged.
func TestWebUploadReachesStaffGroup(t *testing.T) {
	p, _ := redisProcess(t, redistest.Server(t))
	logs := recordLogs(t)
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 30, 11, 0, 0, 0, osloTime(t)))
	d := startDesk(t, srv, p.sessions, p.handoff, clk)
	web := webchat.New(webchat.Config{Bot: d.bot, Secret: secret, Now: clk.now, Outbox: inmem.NewOutbox()})
	const id = "WebUserId_0123456789ab"
	before := count(srv, staffChat, "🎫 ")
	r := httptest.NewRequest("POST", "/webchat/api/message", strings.NewReader(`{"id":"`+id+`","choice":"`+bot.OptionData("handoff.start", "chat")+`","lang":"en"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	web.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("chat request: %d %s", w.Code, w.Body)
	}
	srv.WaitFor(5*time.Second, "the web user's card", func([]telegramtest.Call) bool { return count(srv, staffChat, "🎫 ") > before })
	var card telegramtest.Call
	for _, c := range srv.Sent(staffChat) {
		if strings.Contains(c.Params["text"], "🎫 ") {
			card = c
		}
	}
	code := codeRE.FindString(card.Params["text"])
	for i, c := range []struct {
		data           []byte
		claimed        string
		method, field  string
		describe, mime string
	}{
		{png, "image/jpeg", "sendPhoto", "photo", "[photo · " + bot.HumanSize(int64(len(png))) + "]", "image/png"},
		{webm, "video/quicktime", "sendDocument", "document", "[voice · " + bot.HumanSize(int64(len(webm))) + "]", "audio/webm"},
	} {
		r := httptest.NewRequest("POST", "/webchat/api/upload?id="+id+"&msg_id=up"+itoa(int64(i))+"&lang=en", bytes.NewReader(c.data))
		r.Header.Set("Content-Type", c.claimed)
		w := httptest.NewRecorder()
		web.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("upload %d: %d %s", i, w.Code, w.Body)
		}
		up := waitCall(t, srv, c.method+" to the staff group", c.method, func(tc telegramtest.Call) bool { return tc.ChatID() == staffChat })
		f := up.Files[c.field]
		if !bytes.Equal(f.Data, c.data) || f.Type != c.mime {
			t.Errorf("%s: uploaded %d bytes of %q, want %d of %q", c.method, len(f.Data), f.Type, len(c.data), c.mime)
		}
		if capt := up.Params["caption"]; !strings.Contains(capt, code) || !strings.Contains(capt, c.describe) {
			t.Errorf("%s: caption %q", c.method, capt)
		}
		if replyTo(up) != card.MessageID {
			t.Errorf("%s replies to %d, not the card %d", c.method, replyTo(up), card.MessageID)
		}
	}
	checkLogs(t, logs, nil, id, "WebUserId")
}
