package webchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/webchat"
)

// staffMedium has staff send data as a reply to the ticket card of code, as the Telegram
// adapter hands a counsellor's voice note or photo to the service, and returns its answer.
func (o *office) staffMedium(t *testing.T, code, kind string, data []byte, caption string) string {
	t.Helper()
	ref := ""
	for i, p := range o.staff.Posts() {
		if strings.Contains(p, "🎫 "+code) {
			ref = handofftest.Ref(i + 1)
		}
	}
	if ref == "" {
		t.Fatalf("no card for %s", code)
	}
	m := &bot.Medium{Kind: kind, Size: int64(len(data)), Channel: "telegram", Ref: "file-1",
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	return o.svc.Staff(context.Background(), handoff.StaffMsg{StaffID: "4242", Name: "Kari", Text: caption, ReplyTo: ref, Medium: m})
}

// chatting has the web user id ask for a counsellor and returns the ticket's code.
func (o *office) chatting(t *testing.T, id string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": id, "choice": bot.OptionData("handoff.start", "chat"), "lang": "en"})
	if w := postTo(t, o.h, "/webchat/api/message", string(body)); w.Code != 200 {
		t.Fatalf("chat request: %d", w.Code)
	}
	return o.staff.LastCode()
}

func heldMedia(t *testing.T, o *office, id string) []*webchat.Media {
	t.Helper()
	var out []*webchat.Media
	for _, item := range postInbox(t, o.h, id, 0) {
		for _, r := range item.Replies {
			if r.Media != nil {
				out = append(out, r.Media)
			}
		}
	}
	return out
}

func fetchMedium(t *testing.T, o *office, id, token string) (int, string, []byte) {
	t.Helper()
	body, _ := json.Marshal(webchat.MediaRequest{ID: id, Token: token})
	w := postTo(t, o.h, "/webchat/api/media", string(body))
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("media answer headers %v", w.Header())
	}
	return w.Code, w.Header().Get("Content-Type"), w.Body.Bytes()
}

// TestStaffMediumReachesWebUser: a counsellor's voice note, sent as a reply to the ticket's card,
// reaches the web chat user as a message naming a held medium with the caption; another browser
// id cannot fetch it (404, the same as an unknown token), the user's own id gets the very bytes
// once, typed by their signature, and then it is gone. Staff are told it was sent.
func TestStaffMediumReachesWebUser(t *testing.T) {
	o := newOffice(t, time.Date(2027, 3, 30, 11, 0, 0, 0, osloLoc(t)), webchat.Config{})
	const id, other = "WebMediumUser_0123456789", "WebMediumOther_012345678"
	code := o.chatting(t, id)
	o.chatting(t, other)
	if ans := o.staffMedium(t, code, bot.MediumVoice, upOgg, "listen to this"); !strings.Contains(ans, code) || strings.Contains(ans, handofftest.Content(t).Catalog.Text("nb", handoff.StaffPrefix+"send_failed", "")) {
		t.Fatalf("staff answer %q", ans)
	}
	var caption string
	for _, item := range postInbox(t, o.h, id, 0) {
		for _, r := range item.Replies {
			if r.Media != nil {
				caption = r.Text
			}
		}
	}
	media := heldMedia(t, o, id)
	if len(media) != 1 || media[0].Kind != bot.MediumVoice || media[0].MIME != "audio/ogg" || media[0].Size != int64(len(upOgg)) || len(media[0].Token) < 40 {
		t.Fatalf("page got %+v", media)
	}
	if !strings.Contains(caption, "listen to this") {
		t.Errorf("caption %q", caption)
	}
	if n := len(heldMedia(t, o, other)); n != 0 {
		t.Errorf("the other user's page got %d media", n)
	}
	if st, _, _ := fetchMedium(t, o, other, media[0].Token); st != 404 {
		t.Errorf("another session fetched the medium: %d", st)
	}
	// A guess differs from the token in one letter (the last letter of 32 base64 bytes takes only
	// 16 values, so replacing it with a fixed one would hit the token itself one time in 16).
	guess := []byte(media[0].Token)
	if guess[10] == 'A' {
		guess[10] = 'B'
	} else {
		guess[10] = 'A'
	}
	if st, _, _ := fetchMedium(t, o, id, string(guess)); st != 404 {
		t.Errorf("a guessed token: %d", st)
	}
	st, ct, data := fetchMedium(t, o, id, media[0].Token)
	if st != 200 || ct != "audio/ogg" || !bytes.Equal(data, upOgg) {
		t.Fatalf("the user's fetch: %d %q %d bytes", st, ct, len(data))
	}
	if st, _, _ := fetchMedium(t, o, id, media[0].Token); st != 404 {
		t.Errorf("a second fetch: %d", st)
	}
}

// TestStaffMediumExpires: a medium the page did not fetch within webchat.HeldTTL is gone (404);
// a medium the page cannot show safely (not a signature Sniff knows) is not delivered, and
// staff are told so.
func TestStaffMediumExpires(t *testing.T) {
	at := time.Date(2027, 3, 30, 11, 0, 0, 0, osloLoc(t))
	o := newOffice(t, at, webchat.Config{})
	const id = "WebMediumLate_0123456789"
	code := o.chatting(t, id)
	o.staffMedium(t, code, bot.MediumPhoto, upPng, "")
	media := heldMedia(t, o, id)
	if len(media) != 1 || media[0].MIME != "image/png" {
		t.Fatalf("page got %+v", media)
	}
	o.setClock(at.Add(webchat.HeldTTL))
	if st, _, _ := fetchMedium(t, o, id, media[0].Token); st != 404 {
		t.Errorf("fetch after the expiry: %d", st)
	}
	failed := handofftest.Content(t).Catalog.Text("nb", handoff.StaffPrefix+"send_failed", "")
	if ans := o.staffMedium(t, code, bot.MediumDocument, pad("<html><script>"), ""); !strings.Contains(ans, failed) {
		t.Errorf("an HTML 'document' answered %q, want %q", ans, failed)
	}
}
