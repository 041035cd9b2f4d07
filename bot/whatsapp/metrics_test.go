package whatsapp_test

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/metrics"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// counted records what the adapter tells its Metrics, as "kind channel value" → count.
type counted struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counted) add(kind, channel, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[kind+" "+channel+" "+v]++
}

func (c *counted) Update(channel, outcome string) { c.add("update", channel, outcome) }
func (c *counted) Reply(channel, result string)   { c.add("reply", channel, result) }
func (c *counted) Status(channel, status string)  { c.add("status", channel, status) }

// take returns the counts so far and starts again.
func (c *counted) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = nil
	if n == nil {
		n = map[string]int{}
	}
	return n
}

func withMetrics(m whatsapp.Metrics) func(*whatsapp.Config) {
	return func(c *whatsapp.Config) { c.Metrics = m }
}

// TestMetricsFixtures posts every real payload and checks what reaches Metrics: one status per
// status delivery, under its own name; one "sent" per message the fake Graph API accepted.
func TestMetricsFixtures(t *testing.T) {
	eachFixture(t, func(t *testing.T, name string, body []byte, p whatsapp.Payload) {
		m := &counted{}
		e := setup(t, withMetrics(m))
		if code := e.deliver(t, body); code != 200 {
			t.Fatalf("status %d", code)
		}
		want := map[string]int{}
		for _, en := range p.Entry {
			for _, c := range en.Changes {
				for _, s := range c.Value.Statuses {
					want["status whatsapp "+s.Status]++
				}
			}
		}
		if n := len(e.g.take()); n > 0 {
			want["reply whatsapp sent"] = n
		}
		if got := m.take(); !maps.Equal(got, want) {
			t.Fatalf("counted %v, want %v", got, want)
		}
	})
}

// TestMetricsUpdates: a redelivered message counts as a duplicate, a reaction as ignored, a
// signed body that is not JSON as malformed, a status Meta has added since as "other".
func TestMetricsUpdates(t *testing.T) {
	m := &counted{}
	e := setup(t, withMetrics(m))
	body := textMsg("/start")
	e.deliver(t, body)
	e.g.take()
	m.take()
	e.deliver(t, body)
	e.deliver(t, message("reaction", map[string]any{"message_id": "wamid.x", "emoji": "👍"}))
	if code := e.deliver(t, []byte("{not json")); code != 400 {
		t.Fatalf("a body that is not JSON answered %d", code)
	}
	status := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{` +
		`"metadata":{"phone_number_id":"` + phoneID + `"},"statuses":[{"id":"wamid.o1","status":"deleted","recipient_id":"` + sender + `"},` +
		`{"id":"wamid.o2","status":"read","recipient_id":"` + sender + `"}]}}]}]}`)
	e.deliver(t, status)
	want := map[string]int{
		"update whatsapp duplicate": 1, "update whatsapp ignored": 1, "update whatsapp malformed": 1,
		"status whatsapp other": 1, "status whatsapp read": 1,
	}
	if got := m.take(); !maps.Equal(got, want) {
		t.Fatalf("counted %v, want %v", got, want)
	}
	if sends := e.g.take(); len(sends) != 0 {
		t.Fatalf("%d sends for a duplicate, a reaction and statuses", len(sends))
	}
}

// TestMetricsReplies: retries count each 429 as throttled and the message once as sent; a
// refusal counts the refused message and the rest of its answer as failed; a message held back
// outside the window counts as held, the template sent instead of it as sent.
func TestMetricsReplies(t *testing.T) {
	m := &counted{}
	e := setup(t, withMetrics(m))
	e.g.respond = func(n int) (int, string) {
		switch n {
		case 1:
			return 500, `{"error":{"message":"oops","type":"OAuthException","code":1}}`
		case 2:
			return 429, `{"error":{"message":"slow down","type":"OAuthException","code":130429}}`
		}
		return 200, ""
	}
	e.deliver(t, textMsg("/start"))
	if got, want := m.take(), map[string]int{"reply whatsapp throttled": 1, "reply whatsapp sent": 1}; !maps.Equal(got, want) {
		t.Fatalf("after a 500 and a 429: %v, want %v", got, want)
	}
	e.g.take()

	// Three replies, the first refused: the user gets none of them.
	ctx := context.Background()
	e.g.respond = func(int) (int, string) {
		return 400, `{"error":{"message":"bad","type":"OAuthException","code":131047}}`
	}
	replies := []bot.Reply{{Lang: "en", Text: "one"}, {Lang: "en", Text: "two"}, {Lang: "en", Text: "three"}}
	var se *whatsapp.SendError
	if err := e.a.SendProactive(ctx, sender, replies); !errors.As(err, &se) || se.Status != 400 {
		t.Fatalf("SendProactive: %v", err)
	}
	if got, want := m.take(), map[string]int{"reply whatsapp failed": 3}; !maps.Equal(got, want) {
		t.Fatalf("after a refusal: %v, want %v", got, want)
	}
	if st := e.a.Stats(); st.SendErrors != 1 {
		t.Errorf("stats count %d send errors, want the one refused", st.SendErrors)
	}

	e.g.respond = nil
	e.clock.add(25 * time.Hour)
	if err := e.a.SendProactive(ctx, sender, replies); !errors.Is(err, whatsapp.ErrHeldBack) {
		t.Fatalf("outside the window: %v", err)
	}
	if got, want := m.take(), map[string]int{"reply whatsapp held": 1}; !maps.Equal(got, want) {
		t.Fatalf("held back: %v, want %v", got, want)
	}

	e = setup(t, func(c *whatsapp.Config) { c.Metrics, c.TemplateName = m, "counsellor_reply" })
	if err := e.a.SendProactive(ctx, sender, replies); err != nil {
		t.Fatal(err)
	}
	if got, want := m.take(), map[string]int{"reply whatsapp sent": 1}; !maps.Equal(got, want) {
		t.Fatalf("template: %v, want %v", got, want)
	}
}

// TestMetricsExposition wires bot/metrics in, as serve does, and reads /metrics after a
// conversation, a redelivery and the real status fixtures: the WhatsApp series are there, and
// no number, message id or text is.
func TestMetricsExposition(t *testing.T) {
	m := metrics.New()
	e := setup(t, withMetrics(m))
	body := textMsg("where is your office?")
	e.deliver(t, body)
	e.deliver(t, body)
	for _, name := range []string{"status_delivered.json", "status_failed.json"} {
		raw, err := os.ReadFile(filepath.Join(fixturesDir(t), name))
		if err != nil {
			t.Fatal(err)
		}
		e.deliver(t, raw)
	}
	sends := len(e.g.take())
	if sends == 0 {
		t.Fatal("nothing was sent")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	raw, _ := io.ReadAll(rec.Body)
	out := string(raw)
	for _, want := range []string{
		`returnbot_replies_total{channel="whatsapp",result="sent"} ` + strconv.Itoa(sends),
		`returnbot_updates_total{channel="whatsapp",outcome="duplicate"} 1`,
		`returnbot_delivery_status_total{channel="whatsapp",status="delivered"} 1`,
		`returnbot_delivery_status_total{channel="whatsapp",status="failed"} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{sender, waID, "wamid", "where is your office", "Test Name"} {
		if strings.Contains(out, leak) {
			t.Errorf("metrics contain %q", leak)
		}
	}
	if strings.Contains(e.logs.String(), sender) || strings.Contains(e.logs.String(), "where is your office") {
		t.Errorf("logs contain the number or the text:\n%s", e.logs)
	}
}
