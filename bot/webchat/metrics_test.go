package webchat_test

import (
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot/metrics"
	"github.com/returnbot/returnbot/bot/webchat"
)

// TestMetrics wires bot/metrics in, as serve does: every reply the page gets counts as sent
// under the channel "web" (the channel of the web chat's updates), a message sent again with
// the same msg_id counts as a duplicate, a refused request counts nothing, and /metrics holds
// no browser id or text.
func TestMetrics(t *testing.T) {
	m := metrics.New()
	h, _ := newHandler(t, webchat.Config{Metrics: m})
	body := `{"id":"` + testID + `","text":"where is your office?","lang":"en","msg_id":"m1"}`
	n := len(decode(t, post(t, h, body)).Replies)
	if n == 0 {
		t.Fatal("no replies")
	}
	if resp := decode(t, post(t, h, body)); !resp.Duplicate {
		t.Fatal("the retry was not recognised")
	}
	if w := post(t, h, `{"id":"short","text":"hi"}`); w.Code != 400 {
		t.Fatalf("a bad id answered %d", w.Code)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	raw, _ := io.ReadAll(rec.Body)
	out := string(raw)
	for _, want := range []string{
		`returnbot_replies_total{channel="web",result="sent"} ` + strconv.Itoa(n) + "\n",
		`returnbot_updates_total{channel="web",outcome="duplicate"} 1` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{testID, "where is your office", "m1"} {
		if strings.Contains(out, `"`+leak) || strings.Contains(out, leak+`"`) {
			t.Errorf("metrics contain %q", leak)
		}
	}
}
