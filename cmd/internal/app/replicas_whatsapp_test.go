package app

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/locales"
)

// waReplicaRate is the replicas' WhatsApp rate for the number (WHATSAPP_RATE_GLOBAL), low enough
// that three replicas, each sending its share, would go over it if each kept a bucket of its own,
// and high enough that the full run's backlog (about 800 messages, burst 80) drains well within
// the 30 s TurnWait: at 20/s it took 35 s, so a turn queued early waited past TurnWait and was
// sent out of order by design ("an earlier turn was not sent in time").
const waReplicaRate = 50

// TestReplicasWhatsApp is TestReplicas for WhatsApp: three `returnbot serve` processes on one
// redis-server and one fake Graph API, webhook deliveries (signed, built from the Cloud API
// fixtures) sent round-robin across the replicas, 5% delivered again to another replica, and
// bursts of one user's messages sent at once. Each user's replies must be exactly what one
// process sends for the messages in the order they were taken (nothing lost, nothing twice,
// nothing out of order), and the number's messages, sent by three replicas, must keep to one
// shared rate (bot/deliver's pacing through the Redis limiter).
func TestReplicasWhatsApp(t *testing.T) {
	wa := newWhatsAppReplicas(t)
	r := newReplicaRun(t, wa, replicasSize(replicaSize{users: 30, updatesPerUser: 16}), false, exampleQuestions(t))
	r.drive(nil)
	r.stop()
	r.verify()
}

// whatsappReplicas is the WhatsApp side of a replicas run: signed webhook deliveries, the fake
// Graph API.
type whatsappReplicas struct {
	graph    *hoGraph
	endpoint string
	text     map[string]any // the fixtures, filled in for each delivery
	button   map[string]any
}

func newWhatsAppReplicas(t *testing.T) *whatsappReplicas {
	g := &hoGraph{}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	fixture := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "fixtures", "whatsapp", name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return &whatsappReplicas{graph: g, endpoint: srv.URL + "/v21.0",
		text: fixture("text_message.json"), button: fixture("interactive_button_reply.json")}
}

func (*whatsappReplicas) name() string { return whatsapp.Channel }

func (wa *whatsappReplicas) env(addr string) (string, []string) {
	// The fixtures' phone_number_id is hoPhoneID; the chat rate is left high (its burst is 45,
	// more than a script sends): TestSendsArePaced covers it.
	return "http://" + addr + "/whatsapp/webhook", []string{"WHATSAPP_TOKEN=graph-token",
		"WHATSAPP_PHONE_NUMBER_ID=" + hoPhoneID, "WHATSAPP_APP_SECRET=" + hoAppSecret,
		"WHATSAPP_VERIFY_TOKEN=" + hoVerify, "WHATSAPP_API_ENDPOINT=" + wa.endpoint,
		"WHATSAPP_RATE_GLOBAL=" + strconv.Itoa(waReplicaRate), "WHATSAPP_RATE_CHAT=1000"}
}

// started: serve listens only once the webhook is routed.
func (*whatsappReplicas) started(*testing.T, int) {}

// waCallingCode is a calling code whose language hint suits each language's writer (Pashto
// from Afghanistan, Sorani from Iraq: the hint is another language, as it often is).
var waCallingCode = map[string]string{"en": "44", "nb": "47", "fr": "33", "ru": "7", "ar": "963",
	"fa": "98", "ps": "93", "ckb": "964", "so": "252", "ti": "291"}

func (*whatsappReplicas) userID(i int, lang string) string {
	return waCallingCode[lang] + fmt.Sprintf("70%07d", i)
}

// delivery fills in a copy of a fixture: the sender, the message id and time, and set's fields.
func delivery(fixture map[string]any, from string, id int64, set func(msg map[string]any)) []byte {
	var p map[string]any
	b, _ := json.Marshal(fixture)
	_ = json.Unmarshal(b, &p)
	value := p["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)
	value["contacts"].([]any)[0].(map[string]any)["wa_id"] = from
	msg := value["messages"].([]any)[0].(map[string]any)
	msg["from"], msg["id"], msg["timestamp"] = from, "wamid.replicas"+strconv.FormatInt(id, 10), strconv.FormatInt(time.Now().Unix(), 10)
	set(msg)
	out, _ := json.Marshal(p)
	return out
}

func (wa *whatsappReplicas) message(id int64, u *simUser, text string) []byte {
	return delivery(wa.text, u.id, id, func(m map[string]any) { m["text"] = map[string]any{"body": text} })
}

func (wa *whatsappReplicas) press(id int64, u *simUser, data string) []byte {
	return delivery(wa.button, u.id, id, func(m map[string]any) {
		m["interactive"] = map[string]any{"type": "button_reply", "button_reply": map[string]any{"id": data, "title": "·"}}
	})
}

func (*whatsappReplicas) authorize(req *http.Request, body []byte) {
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Sign(hoAppSecret, body))
}

func (*whatsappReplicas) accepted([]byte) {}

// event is what the adapter makes of the delivery: whatsapp.ToEvent of its message, with the
// language hint of the sender's calling code.
func (*whatsappReplicas) event(_ *simUser, up *simUpdate) bot.Event {
	var p whatsapp.Payload
	_ = json.Unmarshal(up.body, &p)
	ev, _ := whatsapp.ToEvent(p.Entry[0].Changes[0].Value.Messages[0])
	return ev
}

// waSent is a Cloud API message's type and text (an interactive message's body, a location's
// name); a list's button label is left out.
func waSent(m map[string]any) sentMsg {
	typ, _ := m["type"].(string)
	part, _ := m[typ].(map[string]any)
	var text any
	switch typ {
	case "text":
		text = part["body"]
	case "interactive":
		body, _ := part["body"].(map[string]any)
		text = body["text"]
	case "location":
		text = part["name"]
	}
	s, _ := text.(string)
	return sentMsg{typ, s}
}

func (*whatsappReplicas) rendered(u *simUser, replies []bot.Reply) []sentMsg {
	var out []sentMsg
	for _, r := range replies {
		for _, m := range whatsapp.Render(u.id, r, "") {
			out = append(out, waSent(m))
		}
	}
	return out
}

func (wa *whatsappReplicas) sent(u *simUser) []sentMsg {
	wa.graph.mu.Lock()
	defer wa.graph.mu.Unlock()
	var out []sentMsg
	for _, m := range wa.graph.sent {
		if m["to"] == u.id {
			out = append(out, waSent(m))
		}
	}
	return out
}

func (wa *whatsappReplicas) calls() int {
	wa.graph.mu.Lock()
	defer wa.graph.mu.Unlock()
	return len(wa.graph.sent)
}

// check: the three replicas together kept to the number's rate. A token bucket of rate r and
// burst b lets at most b + r·d messages go out in any d; the arrivals may bunch by the time a
// request takes to reach the fake API, allowed for as jitter.
func (wa *whatsappReplicas) check(r *replicaRun) {
	const jitter = 250 * time.Millisecond
	burst := whatsapp.DefaultGlobalRate.Burst // the rate is below it, so serve keeps this burst
	wa.graph.mu.Lock()
	at := append([]time.Time(nil), wa.graph.at...)
	wa.graph.mu.Unlock()
	worst, peak := 0.0, 0
	for i := range at {
		for j := i + 1; j < len(at); j++ {
			d := at[j].Sub(at[i])
			n := j - i + 1
			allowed := float64(burst) + waReplicaRate*(d+jitter).Seconds()
			worst = math.Max(worst, float64(n)-allowed)
			if d <= time.Second {
				peak = max(peak, n)
			}
		}
	}
	if worst > 0 {
		r.t.Errorf("the replicas sent %.0f messages more than a rate of %d/s with a burst of %d allows: pacing is not shared",
			worst, waReplicaRate, burst)
	}
	if len(at) > 1 {
		r.t.Logf("whatsapp: %d messages in %v (%.1f/s on average, at most %d within a second; rate %d/s, burst %d)",
			len(at), at[len(at)-1].Sub(at[0]).Round(time.Millisecond),
			float64(len(at)-1)/at[len(at)-1].Sub(at[0]).Seconds(), peak, waReplicaRate, burst)
	}
}

// exampleQuestions are the training examples by language (locales/examples), without those meant
// for the handoff or erasure and without bare numbers (a number picks an option of wherever the
// user is, the handoff's too).
func exampleQuestions(t *testing.T) map[string][]string {
	files, err := fs.Glob(locales.FS, "examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	out := map[string][]string{}
	for _, f := range files {
		b, err := fs.ReadFile(locales.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		var byTopic map[string][]string
		if err := yaml.Unmarshal(b, &byTopic); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		lang := strings.TrimSuffix(filepath.Base(f), ".yaml")
		for topic, texts := range byTopic {
			if strings.HasPrefix(topic, "handoff") || topic == "privacy.erase" {
				continue
			}
			for _, text := range texts {
				if strings.TrimLeft(strings.TrimSpace(text), "0123456789") != "" {
					out[lang] = append(out[lang], text)
				}
			}
		}
	}
	for lang := range out {
		slices.Sort(out[lang]) // map order must not change a seeded run's scripts
	}
	return out
}
