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

func TestBotReportsUpdatesAndTopics(t *testing.T) {
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	b := bot.New(p.Engine, inmem.New(time.Hour), nil)
	b.Observe(m)
	ctx := context.Background()
	for _, text := range []string{"/start", "where is your office?", "/menu", "address please"} {
		if _, err := b.Handle(ctx, bot.Event{Channel: "web", User: "secret-user-key", Lang: "en", Text: text, Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	m.Reply("web", "sent")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	out := string(body)
	for _, want := range []string{
		`returnbot_updates_total{channel="web",outcome="ok"} 4`,
		`returnbot_topics_total{lang="en",topic="contact"} 1`, // once per session, not per visit
		`returnbot_handle_seconds_count{channel="web"} 4`,
		`returnbot_replies_total{channel="web",result="sent"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{"secret-user-key", "where is your office"} {
		if strings.Contains(out, leak) {
			t.Errorf("metrics contain %q", leak)
		}
	}
}
