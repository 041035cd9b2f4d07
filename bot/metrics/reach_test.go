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

// TestDeepLinkMetric: starts by deep link are counted by source × topic × language; a source
// not in reach.yaml is "other", so a stranger's links cannot add series; no user shows.
func TestDeepLinkMetric(t *testing.T) {
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	b := bot.New(p.Engine, inmem.New(time.Hour), nil)
	b.Observe(m)
	for i, text := range []string{"/start fa-return-poster", "/start fa-return-poster", "/start so-spam1", "/start so-spam2", "/start ti"} {
		ev := bot.Event{Channel: "telegram", User: "user-key-" + string(rune('a'+i)), Lang: "en", Text: text, Time: time.Now()}
		if _, err := b.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	// A 👍 under the return page, by the first user.
	if _, err := b.Handle(context.Background(), bot.Event{Channel: "telegram", User: "user-key-a", Kind: bot.KindChoice, Data: "h|return.about|y", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`returnbot_deep_links_total{lang="fa",source="poster",topic="return"} 2`,
		`returnbot_deep_links_total{lang="so",source="other",topic=""} 2`,
		`returnbot_deep_links_total{lang="ti",source="none",topic=""} 1`,
		`returnbot_helpful_total{answer="yes",lang="fa",topic="return"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(body), "spam") || strings.Contains(string(body), "user-key") {
		t.Error("a stranger's source or a user key reached the metrics")
	}
}
