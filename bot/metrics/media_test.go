package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/metrics"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

// TestMediaMetric: media are counted by channel, kind and outcome: answered outside a chat with
// staff, relayed during one, too_large over the limit; nothing of the medium or the user shows.
func TestMediaMetric(t *testing.T) {
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	store := inmem.New(time.Hour)
	b := bot.New(p.Engine, store, nil)
	b.Observe(m)
	ctx := context.Background()
	send := func(channel, user, kind string, size int64) {
		t.Helper()
		ev := bot.Event{Channel: channel, User: user, Kind: bot.KindMedia, Media: kind, Time: time.Now(),
			Medium: &bot.Medium{Kind: kind, Size: size, Channel: channel, Ref: "FILEID-secret"}}
		if _, err := b.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	send("telegram", "user-key-a", bot.MediumVoice, 5000)
	send("telegram", "user-key-a", bot.MediumVoice, 5000)
	if err := store.Update(ctx, "user-key-b", func(s *bot.Session) error { s.Lang, s.Mode = "fa", bot.ModeStaff; return nil }); err != nil {
		t.Fatal(err)
	}
	send("whatsapp", "user-key-b", bot.MediumPhoto, 80_000)
	send("whatsapp", "user-key-b", bot.MediumPhoto, bot.MaxImageBytes+1)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`returnbot_media_total{channel="telegram",kind="voice",outcome="answered"} 2`,
		`returnbot_media_total{channel="whatsapp",kind="photo",outcome="relayed"} 1`,
		`returnbot_media_total{channel="whatsapp",kind="photo",outcome="too_large"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(body), "FILEID") || strings.Contains(string(body), "user-key") {
		t.Error("a file id or a user key reached the metrics")
	}
}
