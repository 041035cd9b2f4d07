package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/metrics"
	rstore "github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// waReplica builds the WhatsApp channel as serve does, on store, with the Graph API at graph.
func waReplica(t *testing.T, store bot.Store, graph string) (*whatsappChannel, *metrics.Metrics, http.Handler) {
	t.Helper()
	pack, err := LoadContent("", "", bot.DefaultSessionTTL)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"WHATSAPP_TOKEN": "graph-token", "WHATSAPP_PHONE_NUMBER_ID": hoPhoneID, "WHATSAPP_APP_SECRET": hoAppSecret,
		"WHATSAPP_VERIFY_TOKEN": hoVerify, "WHATSAPP_API_ENDPOINT": graph + "/v21.0", "WHATSAPP_TEMPLATE_NAME": "counsellor_reply",
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	m := metrics.New()
	d := deps{
		cfg: Config{Secret: hoSecret, SessionTTL: bot.DefaultSessionTTL, Getenv: func(k string) string { return env[k] }},
		bot: bot.New(pack.Engine, store, log), pack: pack, log: log, store: store, metrics: m,
	}
	ch, err := newWhatsApp(d)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ch.Routes(mux)
	return ch.(*whatsappChannel), m, mux
}

// TestWhatsAppWindowSharedByReplicas: replica A receives a user's message; replica B then sends
// a staff answer. With Redis, B knows the 24-hour window is open and sends the answer itself;
// with a store per process (the control) B has not seen the message and sends the template.
func TestWhatsAppWindowSharedByReplicas(t *testing.T) {
	redisURL := redistest.Server(t)
	newRedis := func() bot.Store {
		c, err := rstore.NewClient(redisURL)
		if err != nil {
			t.Fatal(err)
		}
		s, err := rstore.New(c, rstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	newMemory := func() bot.Store { return inmem.New(time.Hour) }
	answer := []bot.Reply{{Lang: "en", Text: hoStaffReply}}
	for _, c := range []struct {
		name     string
		store    func() bot.Store
		wantType string
	}{
		{"Redis", newRedis, "text"},
		{"InProcess", newMemory, "template"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := &hoGraph{}
			gs := httptest.NewServer(g)
			t.Cleanup(gs.Close)
			a, _, muxA := waReplica(t, c.store(), gs.URL)
			b, mb, _ := waReplica(t, c.store(), gs.URL)
			body := waText(hoWaNumber, "hello", time.Now())
			r := httptest.NewRequest("POST", "/whatsapp/webhook", bytes.NewReader(body))
			r.Header.Set("X-Hub-Signature-256", whatsapp.Sign(hoAppSecret, body))
			w := httptest.NewRecorder()
			muxA.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("webhook answered %d", w.Code)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := a.Adapter().Wait(ctx); err != nil {
				t.Fatal(err)
			}
			g.mu.Lock()
			answered := len(g.sent)
			g.sent, g.at = nil, nil
			g.mu.Unlock()
			if answered == 0 {
				t.Fatal("replica A did not answer the message")
			}
			if err := b.Adapter().SendProactive(ctx, hoWaNumber, answer); err != nil {
				t.Fatal(err)
			}
			g.mu.Lock()
			sent := g.sent
			g.mu.Unlock()
			if len(sent) != 1 || sent[0]["type"] != c.wantType {
				t.Fatalf("replica B sent %v, want one %s message", sent, c.wantType)
			}
			if c.wantType == "text" && hoBody(sent[0]) != hoStaffReply {
				t.Fatalf("replica B sent %v", sent[0])
			}
			if out := scrapeMetrics(t, mb.Handler()); !strings.Contains(out, `returnbot_replies_total{channel="whatsapp",result="sent"} 1`+"\n") {
				t.Errorf("replica B's metrics lack its one send:\n%s", out)
			}
		})
	}
}

// TestServeMetricsWhatsAppAndRedisErrors runs `returnbot serve` on Redis with WhatsApp and the
// web chat and reads /metrics: WhatsApp sends, a real delivery-status payload, a redelivered
// message and web chat replies are counted; once Redis is stopped, its failed commands are
// counted by name. No number, message id or text appears.
func TestServeMetricsWhatsAppAndRedisErrors(t *testing.T) {
	srv := redistest.Start(t)
	g := &hoGraph{}
	gs := httptest.NewServer(g)
	t.Cleanup(gs.Close)
	rb := startMain(t, "REDIS_URL="+srv.URL(), "RETURNBOT_SECRET="+hoSecret,
		"WHATSAPP_TOKEN=graph-token", "WHATSAPP_PHONE_NUMBER_ID="+hoPhoneID, "WHATSAPP_APP_SECRET="+hoAppSecret,
		"WHATSAPP_VERIFY_TOKEN="+hoVerify, "WHATSAPP_API_ENDPOINT="+gs.URL+"/v21.0", "RETURNBOT_WEBCHAT=")
	base := rb.base
	post := func(body []byte) { t.Helper(); postWhatsApp(t, base, body) }
	sentCount := func() int { g.mu.Lock(); defer g.mu.Unlock(); return len(g.sent) }
	waitSent := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for sentCount() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d messages sent, want %d", sentCount(), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // the rest of the answer
	}

	msg := waText(hoWaNumber, "where is your office?", time.Now())
	post(msg)
	waitSent(1)
	post(msg) // Meta delivers again
	status, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "fixtures", "whatsapp", "status_delivered.json"))
	if err != nil {
		t.Fatalf("the real status fixture: %v", err)
	}
	post(status)
	var web hoWebAnswer
	hoWeb(t, base, "message", map[string]any{"id": hoWebID, "text": "hello", "lang": "en"}, &web)
	_, out := get(t, base+"/metrics")
	sends := sentCount()
	for _, want := range []string{
		fmt.Sprintf(`returnbot_replies_total{channel="whatsapp",result="sent"} %d`, sends),
		`returnbot_updates_total{channel="whatsapp",outcome="duplicate"} 1`,
		`returnbot_updates_total{channel="whatsapp",outcome="ok"} 1`,
		`returnbot_delivery_status_total{channel="whatsapp",status="delivered"} 1`,
		fmt.Sprintf(`returnbot_replies_total{channel="web",result="sent"} %d`, len(web.Replies)),
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("metrics lack %s:\n%s", want, metricLines(out))
		}
	}
	if strings.Contains(out, "returnbot_redis_errors_total{") {
		t.Errorf("Redis errors counted while Redis was up:\n%s", metricLines(out))
	}

	srv.Stop()
	// Meta gets 503 and delivers again; the spool tries meanwhile. The user is told once.
	down := waText(hoWaNumber, "hello again", time.Now())
	for range 2 {
		req, _ := http.NewRequest("POST", base+"/whatsapp/webhook", bytes.NewReader(down))
		req.Header.Set("X-Hub-Signature-256", whatsapp.Sign(hoAppSecret, down))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("Redis down: webhook answered %d, want 503", resp.StatusCode)
		}
	}
	waitSent(sends + 1) // the static "temporarily unavailable" reply
	time.Sleep(time.Second)
	if n := sentCount(); n != sends+1 {
		t.Errorf("%d messages sent during the outage, want the notice once", n-sends)
	}
	_, out = get(t, base+"/metrics")
	for _, re := range []string{
		// The session write (this replica wrote the session last, so it is not read first; the
		// dedupe is in the write).
		`returnbot_redis_errors_total\{command="evalsha"\} [1-9]`,
		`returnbot_redis_errors_total\{command="dial"\} [1-9]`,
		`returnbot_updates_total\{channel="whatsapp",outcome="unavailable"\} [1-9]`, // each try
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("metrics lack %s:\n%s", re, metricLines(out))
		}
	}
	for _, leak := range []string{hoWaNumber, "972987654321", "wamid", "where is your office", hoWebID, "rb:{"} {
		if strings.Contains(out, leak) {
			t.Errorf("metrics contain %q", leak)
		}
	}
	srv.Restart()
	rb.stop(t)
}

// waText is a webhook delivery of one text message from number.
func waText(number, text string, at time.Time) []byte {
	m := map[string]any{"from": number, "id": fmt.Sprintf("wamid.in%d", time.Now().UnixNano()),
		"timestamp": fmt.Sprint(at.Unix()), "type": "text", "text": map[string]any{"body": text}}
	body, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "1",
		"changes": []any{map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
			"metadata": map[string]any{"phone_number_id": hoPhoneID}, "messages": []any{m}}}}}}})
	return body
}

func scrapeMetrics(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// metricLines keeps the returnbot_ lines of an exposition, for failure messages.
func metricLines(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "returnbot_") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
