package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/metrics"
	rstore "github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
)

func TestBotReportsUpdatesAndTopics(t *testing.T) {
	b, m := observedBot(t)
	ctx := context.Background()
	for _, text := range []string{"/start", "where is your office?", "/menu", "address please"} {
		if _, err := b.Handle(ctx, bot.Event{Channel: "web", User: "secret-user-key", Lang: "en", Text: text, Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	m.Reply("web", "sent")
	out := scrape(t, m)
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

// TestRedisErrors wires the go-redis hook of bot/redis to the metrics, as serve does, and reads
// the exposition: misses are not errors; with the server stopped, the failed commands appear by
// name and no key or pseudonym does.
func TestRedisErrors(t *testing.T) {
	srv := redistest.Start(t)
	c, err := rstore.NewClient(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m := metrics.New()
	rstore.CountErrors(c, m.RedisError)
	ctx := context.Background()
	key := "rb:{secret-user-key}:s"
	if err := c.Get(ctx, key).Err(); err != goredis.Nil {
		t.Fatalf("GET of a missing key: %v", err)
	}
	if out := scrape(t, m); strings.Contains(out, "returnbot_redis_errors_total{") {
		t.Fatalf("a miss was counted:\n%s", grep(out, "returnbot_redis_errors_total"))
	}
	srv.Stop()
	for range 2 {
		if err := c.Get(ctx, key).Err(); err == nil {
			t.Fatal("GET succeeded with Redis stopped")
		}
	}
	if err := c.EvalSha(ctx, "0123456789012345678901234567890123456789", []string{key}).Err(); err == nil {
		t.Fatal("EVALSHA succeeded with Redis stopped")
	}
	out := scrape(t, m)
	for _, want := range []string{
		`returnbot_redis_errors_total{command="get"} 2`,
		`returnbot_redis_errors_total{command="evalsha"} 1`,
		`returnbot_redis_errors_total{command="dial"} `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s:\n%s", want, grep(out, "returnbot_redis_errors_total"))
		}
	}
	if strings.Contains(out, "secret-user-key") {
		t.Error("metrics contain a key")
	}
}
