package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	rstore "github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

const (
	hoSecret     = "7c2e95b1d04f8a63e1b7d9c520fa4e86"
	hoStaffChat  = -100888
	hoStaffID    = 4242
	hoAppSecret  = "ho-app-secret"
	hoVerify     = "4be7a0c9d2f61835"
	hoPhoneID    = "1122334455667"
	hoWaNumber   = "447700900777"
	hoWebID      = "HandoffChannelsWebId_01"
	hoStaffReply = "Hei! Vi ses på kontoret."
)

var hoCodeRE = regexp.MustCompile(handoff.CodePattern)

// hoGraph is a fake Graph API that records the messages sent and when each arrived.
type hoGraph struct {
	mu   sync.Mutex
	sent []map[string]any
	at   []time.Time // at[i]: when sent[i] arrived
}

func (g *hoGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	raw, _ := io.ReadAll(r.Body)
	if json.Unmarshal(raw, &m) != nil {
		http.Error(w, "bad json", 400)
		return
	}
	g.mu.Lock()
	g.sent = append(g.sent, m)
	g.at = append(g.at, time.Now())
	n := len(g.sent)
	g.mu.Unlock()
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.ho%d"}]}`, n)
}

// wait returns the first message to `to` that ok accepts, or fails after 10 s.
func (g *hoGraph) wait(t *testing.T, what string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		g.mu.Lock()
		for _, m := range g.sent {
			if ok(m) {
				g.mu.Unlock()
				return m
			}
		}
		g.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
	return nil
}

func hoBody(m map[string]any) string {
	if t, ok := m["text"].(map[string]any); ok {
		s, _ := t["body"].(string)
		return s
	}
	if i, ok := m["interactive"].(map[string]any); ok {
		b, _ := i["body"].(map[string]any)
		s, _ := b["text"].(string)
		return s
	}
	return ""
}

// hoWhatsApp posts a signed webhook delivery of one message from hoWaNumber.
func hoWhatsApp(t *testing.T, base, typ string, content any) {
	t.Helper()
	m := map[string]any{"from": hoWaNumber, "id": fmt.Sprintf("wamid.in%d", time.Now().UnixNano()),
		"timestamp": fmt.Sprint(time.Now().Unix()), "type": typ, typ: content}
	body, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "1",
		"changes": []any{map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
			"metadata": map[string]any{"phone_number_id": hoPhoneID}, "messages": []any{m}}}}}}})
	postWhatsApp(t, base, body)
}

// postWhatsApp posts a webhook body to the serve process at base, signed as Meta signs it, and
// requires 200.
func postWhatsApp(t *testing.T, base string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/whatsapp/webhook", bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", whatsapp.Sign(hoAppSecret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
}

func hoPress(data string) map[string]any {
	return map[string]any{"type": "button_reply", "button_reply": map[string]any{"id": data, "title": "x"}}
}

// hoWeb posts to a web chat API route and decodes the answer.
func hoWeb(t *testing.T, base, route string, req map[string]any, into any) {
	t.Helper()
	b, _ := json.Marshal(req)
	resp, err := http.Post(base+"/webchat/api/"+route, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", route, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatal(err)
	}
}

type hoWebAnswer struct {
	Replies []struct {
		Text    string       `json:"text"`
		Buttons []bot.Button `json:"buttons"`
	} `json:"replies"`
	Inbox []struct {
		Seq     int64 `json:"seq"`
		Replies []struct {
			Text string `json:"text"`
		} `json:"replies"`
	} `json:"inbox"`
}

// hoVisit plans a visit on the first day offered and returns the visit code; say sends a choice.
func hoVisit(t *testing.T, say func(choice string) []string) string {
	t.Helper()
	var day string
	for _, d := range say(bot.OptionData("handoff.start", "visit")) {
		if strings.HasPrefix(d, "v|") && day == "" {
			day = d
		}
	}
	if day == "" {
		t.Fatal("no visit day offered")
	}
	say(day)
	for _, text := range say(bot.OptionData("handoff.interp", "no")) {
		if c := hoCodeRE.FindString(text); c != "" {
			return c
		}
	}
	t.Fatal("no visit code on the card")
	return ""
}

func hoStaffCmd(text string) []byte {
	b, _ := json.Marshal(map[string]any{"message": map[string]any{
		"message_id": 2, "date": time.Now().Unix(), "text": text,
		"from":     map[string]any{"id": hoStaffID, "is_bot": false, "first_name": "Kari"},
		"chat":     map[string]any{"id": hoStaffChat, "type": "supergroup", "title": "staff"},
		"entities": []map[string]any{{"type": "bot_command", "offset": 0, "length": len(strings.Fields(text)[0])}},
	}})
	return b
}

// TestServeStaffRepliesReachWhatsAppAndWebChat: `returnbot serve` with Redis, the Telegram staff
// group, WhatsApp and the web chat. A WhatsApp user and a web chat user each plan a visit; staff
// answer both from the staff group with /reply. The WhatsApp user gets the answer as a message
// (inside the 24-hour window); the web chat page finds it in its inbox, once. After /forget no
// key of the web user is left in Redis.
func TestServeStaffRepliesReachWhatsAppAndWebChat(t *testing.T) {
	redisURL := redistest.Server(t)
	tg := telegramtest.NewServer(t)
	g := &hoGraph{}
	gs := httptest.NewServer(g)
	t.Cleanup(gs.Close)
	rb := startMain(t, "REDIS_URL="+redisURL, "RETURNBOT_SECRET="+hoSecret,
		"TELEGRAM_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+tg.Endpoint(), "TELEGRAM_WEBHOOK_URL=",
		fmt.Sprintf("TELEGRAM_STAFF_CHAT_ID=%d", hoStaffChat), fmt.Sprintf("STAFF_USER_IDS=%d", hoStaffID), "STAFF_LANG=nb",
		"WHATSAPP_TOKEN=graph-token", "WHATSAPP_PHONE_NUMBER_ID="+hoPhoneID, "WHATSAPP_APP_SECRET="+hoAppSecret,
		"WHATSAPP_VERIFY_TOKEN="+hoVerify, "WHATSAPP_API_ENDPOINT="+gs.URL+"/v21.0", "WHATSAPP_TEMPLATE_NAME=counsellor_reply",
		"RETURNBOT_WEBCHAT=")
	base, stderr := rb.base, rb.stderr

	// WhatsApp: each choice is answered before the next is sent.
	waCode := hoVisit(t, func(choice string) []string {
		before := func() int { g.mu.Lock(); defer g.mu.Unlock(); return len(g.sent) }()
		hoWhatsApp(t, base, "interactive", hoPress(choice))
		var out []string
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && len(out) == 0 {
			time.Sleep(50 * time.Millisecond)
			g.mu.Lock()
			for _, m := range g.sent[before:] {
				out = append(out, hoBody(m))
				if i, ok := m["interactive"].(map[string]any); ok {
					raw, _ := json.Marshal(i["action"])
					for _, id := range regexp.MustCompile(`"id":"([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
						out = append(out, id[1])
					}
				}
			}
			g.mu.Unlock()
		}
		time.Sleep(200 * time.Millisecond) // the rest of this answer
		return out
	})
	// Web chat.
	webCode := hoVisit(t, func(choice string) []string {
		var a hoWebAnswer
		hoWeb(t, base, "message", map[string]any{"id": hoWebID, "choice": choice, "lang": "en"}, &a)
		var out []string
		for _, r := range a.Replies {
			out = append(out, r.Text)
			for _, b := range r.Buttons {
				out = append(out, b.Data)
			}
		}
		return out
	})

	tg.Push(hoStaffCmd("/reply " + waCode + " " + hoStaffReply))
	tg.Push(hoStaffCmd("/reply " + webCode + " " + hoStaffReply))
	wa := g.wait(t, "the staff reply on WhatsApp", func(m map[string]any) bool { return strings.Contains(hoBody(m), hoStaffReply) })
	if wa["to"] != hoWaNumber || wa["type"] != "text" {
		t.Fatalf("WhatsApp staff reply %v", wa)
	}
	tg.WaitFor(10*time.Second, "both /reply answers", func([]telegramtest.Call) bool {
		n := 0
		for _, c := range tg.Sent(hoStaffChat) {
			if strings.HasPrefix(c.Params["text"], waCode+": ") || strings.HasPrefix(c.Params["text"], webCode+": ") {
				n++
			}
		}
		return n == 2
	})
	var in hoWebAnswer
	hoWeb(t, base, "inbox", map[string]any{"id": hoWebID}, &in)
	if len(in.Inbox) != 1 || len(in.Inbox[0].Replies) != 1 || !strings.HasSuffix(in.Inbox[0].Replies[0].Text, "\n"+hoStaffReply) {
		t.Fatalf("web chat inbox %+v", in.Inbox)
	}
	var again hoWebAnswer
	hoWeb(t, base, "inbox", map[string]any{"id": hoWebID, "ack": in.Inbox[0].Seq}, &again)
	if len(again.Inbox) != 0 {
		t.Fatalf("delivered twice: %+v", again.Inbox)
	}

	// /forget: nothing of the web user is left in Redis.
	tg.Push(hoStaffCmd("/reply " + webCode + " Still waiting in the outbox"))
	tg.WaitFor(10*time.Second, "the second /reply answer", func([]telegramtest.Call) bool {
		n := 0
		for _, c := range tg.Sent(hoStaffChat) {
			if strings.HasPrefix(c.Params["text"], webCode+": ") {
				n++
			}
		}
		return n == 2
	})
	user := bot.UserKey([]byte(hoSecret), "web", hoWebID)
	opt, _ := goredis.ParseURL(redisURL)
	rc := goredis.NewClient(opt)
	defer rc.Close()
	// The waiting answer is in Redis (shared by replicas), under the user's pseudonym.
	if v, err := rc.LRange(context.Background(), "rb:{"+user+"}:wo", 0, -1).Result(); err != nil || len(v) != 1 ||
		!strings.Contains(v[0], "Still waiting in the outbox") {
		t.Fatalf("outbox in Redis before /forget: %q, %v", v, err)
	}
	var a hoWebAnswer
	hoWeb(t, base, "message", map[string]any{"id": hoWebID, "text": "/forget"}, &a)
	hoWeb(t, base, "message", map[string]any{"id": hoWebID, "choice": "c|forget_yes"}, &a)
	keys, err := rc.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		v, _ := rc.Dump(context.Background(), k).Result()
		ttl := rc.PTTL(context.Background(), k).Val()
		if ttl <= 0 {
			t.Errorf("key %q has no TTL", k)
		}
		if strings.HasPrefix(k, "rb:rl:{handoff}:") {
			// The handoff's limits (tickets per user and overall) refill within an hour and
			// are keyed by an HMAC of the pseudonym: they outlive /forget, as a limit must,
			// but do not name the user.
			if ttl > time.Hour || strings.Contains(k, user) {
				t.Errorf("handoff limit key %q lives %v", k, ttl)
			}
			continue
		}
		if strings.HasPrefix(k, "rb:rl:") {
			// Rate-limit buckets (a counter under the pseudonym) refill and vanish within seconds.
			if ttl > time.Minute {
				t.Errorf("rate-limit key %q lives %v", k, ttl)
			}
			continue
		}
		if k == "rb:{"+user+"}:"+rstore.UpdatesSuffix {
			// The dedupe record outlives /forget on purpose (digests of update ids, TTL at most
			// bot.DedupeTTL): a replayed delivery stays a duplicate.
			if ttl > bot.DedupeTTL {
				t.Errorf("the update set %q lives %v", k, ttl)
			}
			continue
		}
		if strings.Contains(k, user) || strings.Contains(v, "Still waiting in the outbox") {
			t.Errorf("after /forget key %q remains (or holds the staff text)", k)
		}
	}
	rb.stop(t)
	for _, secret := range []string{hoWaNumber, hoWebID, hoStaffReply} {
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, stderr)
		}
	}
}
