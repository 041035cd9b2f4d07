package metrics_test

import (
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

// observedBot is a bot on the shipped content and an in-process store that reports to a
// registry of its own.
func observedBot(t *testing.T) (*bot.Bot, *metrics.Metrics) {
	t.Helper()
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	b := bot.New(p.Engine, inmem.New(time.Hour), nil)
	b.Observe(m)
	return b, m
}

// scrape returns m's exposition, as Prometheus reads it.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

// grep returns the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
