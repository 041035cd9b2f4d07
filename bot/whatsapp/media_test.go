package whatsapp_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/bot/whatsapp/graphtest"
)

// TestMediaOfRealPayloads: the media of real webhook payloads become bot.Media with the kind,
// the media id, the type and what the user wrote with it (no size: the webhook gives none).
func TestMediaOfRealPayloads(t *testing.T) {
	want := map[string]bot.Medium{
		"voice_message.json":    {Kind: bot.MediumVoice, MIME: "audio/ogg; codecs=opus", Ref: "1234567890987654321"},
		"image_message.json":    {Kind: bot.MediumPhoto, MIME: "image/jpeg", Ref: "1013859600285441", Caption: "my letter"},
		"document_message.json": {Kind: bot.MediumDocument, MIME: "application/pdf", Ref: "2244668800113355", Name: "decision.pdf"},
	}
	seen := 0
	eachFixture(t, func(t *testing.T, name string, _ []byte, p whatsapp.Payload) {
		w, ok := want[name]
		if !ok || len(p.Entry) == 0 {
			return
		}
		seen++
		ev, _ := whatsapp.ToEvent(p.Entry[0].Changes[0].Value.Messages[0])
		m := ev.Medium
		if m == nil || m.Kind != w.Kind || m.MIME != w.MIME || m.Ref != w.Ref || m.Caption != w.Caption || m.Name != w.Name || m.Channel != whatsapp.Channel {
			t.Fatalf("%+v, want %+v", m, w)
		}
	})
	if seen != len(want) {
		t.Fatalf("%d of %d media fixtures found", seen, len(want))
	}
}

// TestSendMediumOutsideTheWindowIsHeldBack: a counsellor's medium for a user who has not written
// in 24 hours is neither uploaded nor sent (a template cannot carry it).
func TestSendMediumOutsideTheWindowIsHeldBack(t *testing.T) {
	g := graphtest.NewServer(t)
	a := whatsapp.New(whatsapp.Config{Secret: []byte("s"), Token: graphtest.Token, PhoneNumberID: "1", Endpoint: g.Endpoint()})
	opened := false
	m := bot.Medium{Kind: bot.MediumVoice, MIME: "audio/ogg", Size: 3, Open: func(context.Context) (io.ReadCloser, error) {
		opened = true
		return io.NopCloser(strings.NewReader("abc")), nil
	}}
	err := a.SendMedium(context.Background(), "4790000000", bot.UserKey([]byte("s"), whatsapp.Channel, "4790000000"), m, "hi")
	if !errors.Is(err, whatsapp.ErrHeldBack) || opened || len(g.Calls("")) != 0 {
		t.Fatalf("err %v, opened %v, calls %d", err, opened, len(g.Calls("")))
	}
}
