package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// TestDeepLinkMetric: starts by deep link are counted by source × topic × language; a source
// not in reach.yaml is "other", so a stranger's links cannot add series; no user shows.
func TestDeepLinkMetric(t *testing.T) {
	b, m := observedBot(t)
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
	out := scrape(t, m)
	for _, want := range []string{
		`returnbot_deep_links_total{lang="fa",source="poster",topic="return"} 2`,
		`returnbot_deep_links_total{lang="so",source="other",topic=""} 2`,
		`returnbot_deep_links_total{lang="ti",source="none",topic=""} 1`,
		`returnbot_helpful_total{answer="yes",lang="fa",topic="return"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(out, "spam") || strings.Contains(out, "user-key") {
		t.Error("a stranger's source or a user key reached the metrics")
	}
}
