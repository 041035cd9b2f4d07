package webchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/webchat"
)

// The first bytes of real files of each type (Ogg page + OpusHead, EBML + "webm" DocType, the
// ftyp box of an M4A and an MP4, JFIF, PNG signature, PDF header), padded.
var (
	upOgg  = pad("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead\x01\x01\x38\x01")
	upWebm = pad("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm")
	upM4a  = pad("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom")
	upMp4  = pad("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	upJpeg = pad("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01")
	upPng  = pad("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	upPdf  = pad("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
)

func pad(head string) []byte { return append([]byte(head), bytes.Repeat([]byte{0x20}, 2000)...) }

func TestSniffByMagicBytes(t *testing.T) {
	for _, c := range []struct {
		name       string
		data       []byte
		kind, mime string
	}{
		{"ogg opus", upOgg, bot.MediumVoice, "audio/ogg"},
		{"webm", upWebm, bot.MediumVoice, "audio/webm"},
		{"m4a", upM4a, bot.MediumVoice, "audio/mp4"},
		{"mp4", upMp4, bot.MediumVideo, "video/mp4"},
		{"jpeg", upJpeg, bot.MediumPhoto, "image/jpeg"},
		{"png", upPng, bot.MediumPhoto, "image/png"},
		{"pdf", upPdf, bot.MediumDocument, "application/pdf"},
	} {
		kind, mime, ok := webchat.Sniff(c.data)
		if !ok || kind != c.kind || mime != c.mime {
			t.Errorf("%s: %q %q %v", c.name, kind, mime, ok)
		}
	}
	for name, data := range map[string][]byte{
		"gif": pad("GIF89a"), "html": pad("<!doctype html><script>"), "elf": pad("\x7fELF\x02\x01"),
		"ogg vorbis": pad("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1e\x01vorbis"),
		"matroska":   pad("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska"), "empty": nil, "svg": pad("<svg xmlns="),
		"zip (docx)": pad("PK\x03\x04"),
	} {
		if kind, _, ok := webchat.Sniff(data); ok {
			t.Errorf("%s passed as %s", name, kind)
		}
	}
}

func upload(t *testing.T, h *webchat.Handler, query string, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", "/webchat/api/upload?"+query, bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func replyText(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var resp webchat.Response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Replies) == 0 {
		t.Fatalf("status %d, body %s: %v", w.Code, w.Body, err)
	}
	return resp.Replies[0].Text
}

// An upload is refused, with a kind answer in the user's language and nothing stored, when its
// bytes are not an allowed type (whatever the browser claims) or over its kind's limit; a
// voice note outside a chat with staff gets the voice answer.
func TestUploadRefusesWrongTypeAndSize(t *testing.T) {
	h, store := newHandler(t, webchat.Config{})
	q := "id=" + testID + "&msg_id=u1&lang=en"
	w := upload(t, h, q, "image/jpeg", pad("GIF89a")) // a GIF claiming to be a JPEG
	if w.Code != 415 || replyText(t, w) != "en:common.media_type" {
		t.Errorf("gif: %d %s", w.Code, w.Body)
	}
	w = upload(t, h, q, "text/html", pad("<html><script>alert(1)</script>"))
	if w.Code != 415 {
		t.Errorf("html: %d", w.Code)
	}
	big := append(append([]byte(nil), upJpeg...), make([]byte, bot.MaxImageBytes)...)
	if w = upload(t, h, q, "image/jpeg", big); w.Code != 413 || replyText(t, w) != "en:common.media_too_large" {
		t.Errorf("jpeg over 5 MB: %d %s", w.Code, w.Body)
	}
	huge := append(append([]byte(nil), upPdf...), make([]byte, bot.MaxMediumBytes)...)
	if w = upload(t, h, q, "application/pdf", huge); w.Code != 413 {
		t.Errorf("pdf over 16 MB: %d", w.Code)
	}
	if err := store.Update(context.Background(), bot.UserKey([]byte("test-secret-0123456789"), webchat.Channel, testID), func(s *bot.Session) error {
		if s.Turn != 0 || s.Lang != "" {
			t.Errorf("a refused upload reached the session: %+v", s)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A PDF of 6 MB is within the document limit; a voice note outside a chat is answered.
	if w = upload(t, h, "id="+testID+"&msg_id=u2&lang=en", "application/octet-stream", upOgg); w.Code != 200 || replyText(t, w) != "en:common.media_voice" {
		t.Errorf("voice outside a chat: %d %s", w.Code, w.Body)
	}
	for _, bad := range []string{"id=short&lang=en", "id=" + testID + "&msg_id=" + strings.Repeat("x", 65)} {
		if w = upload(t, h, bad, "audio/ogg", upOgg); w.Code != 400 {
			t.Errorf("%s: %d", bad, w.Code)
		}
	}
	r := httptest.NewRequest("POST", "/webchat/api/upload?"+q, bytes.NewReader(upOgg))
	r.Header.Set("Origin", "https://evil.example")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 403 {
		t.Errorf("cross-origin upload: %d", rec.Code)
	}
}
