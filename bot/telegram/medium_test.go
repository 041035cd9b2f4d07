package telegram

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// TestMediumOfRealUpdates: the media of real updates become bot.Media with the kind, type, size,
// file_id and message Telegram gave (the largest photo size within the image limit), and the
// caption; a Telegram medium can be fetched (Open), for users on other platforms.
func TestMediumOfRealUpdates(t *testing.T) {
	c := &Adapter{cfg: Config{Secret: []byte("s"), Now: time.Now}}
	for _, w := range []struct {
		file                           string
		kind, mime, ref, message, name string
		size                           int64
		caption                        string
	}{
		{"voice.json", bot.MediumVoice, "audio/ogg", "dfghjjghdjhgd", "12345:123456", "", 6448, ""},
		{"photo_with_caption.json", bot.MediumPhoto, "image/jpeg", "SEES", "11111111:456901", "", 104893, "asdasdasdasdasdasd"},
		{"document.json", bot.MediumDocument, "application/pdf", "BQACAgQAAxkBAAIGX2U4", "11111111:456902", "decision.pdf", 183204, ""},
		{"sticker.json", bot.MediumSticker, "image/webp", "yhufjikjhgjkghjffghgf", "12345:123456", "", 38662, ""},
	} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "telegram", w.file))
		if err != nil {
			t.Fatal(err)
		}
		u, err := decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		a := c.actionFor(u)
		m := a.event.Medium
		if m == nil {
			t.Fatalf("%s: no medium in %+v", w.file, a.event)
		}
		if m.Kind != w.kind || m.MIME != w.mime || m.Ref != w.ref || m.Message != w.message || m.Name != w.name ||
			m.Size != w.size || m.Caption != w.caption || m.Channel != Channel || m.Open == nil {
			t.Errorf("%s: %+v", w.file, m)
		}
	}
	for _, file := range []string{"location.json", "contact.json", "venue.json"} {
		raw, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "telegram", file))
		u, _ := decode(raw)
		if a := c.actionFor(u); a.event.Kind != bot.KindMedia || a.event.Medium != nil {
			t.Errorf("%s: %+v (no medium to relay)", file, a.event)
		}
	}
}

func TestSendMethodByKindAndType(t *testing.T) {
	for _, c := range []struct {
		kind, mime, method string
	}{
		{bot.MediumVoice, "audio/ogg; codecs=opus", "sendVoice"},
		{bot.MediumVoice, "audio/webm", "sendDocument"},
		{bot.MediumAudio, "audio/mpeg", "sendAudio"},
		{bot.MediumPhoto, "image/png", "sendPhoto"},
		{bot.MediumVideo, "video/mp4", "sendVideo"},
		{bot.MediumDocument, "application/pdf", "sendDocument"},
		{bot.MediumSticker, "image/webp", "sendSticker"},
		{bot.MediumSticker, "application/x-tgsticker", "sendDocument"},
	} {
		if m, _ := sendMethod(&bot.Medium{Kind: c.kind, MIME: c.mime}); m != c.method {
			t.Errorf("%s %s: %s, want %s", c.kind, c.mime, m, c.method)
		}
	}
}
