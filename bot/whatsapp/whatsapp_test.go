package whatsapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/storetest"
	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/internal/syncbuf"
)

const (
	appSecret = "app-secret"
	phoneID   = "1122334455667" // the fixtures' metadata.phone_number_id
	waID      = "972987654321"  // the fixtures' sender (Israel: no language hint, so the picker)
	sender    = "447700900123"  // the synthetic messages' sender (UK: English)
)

// sent is one request the fake Graph API received.
type sent struct {
	Path, Auth string
	Body       map[string]any
}

// graph is a fake Graph API recording sends; respond picks the status for the nth request.
type graph struct {
	mu      sync.Mutex
	sends   []sent
	n       int
	respond func(n int) (int, string)
}

func (g *graph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		http.Error(w, "bad json", 400)
		return
	}
	g.mu.Lock()
	g.n++
	n := g.n
	status, resp := 200, ""
	if g.respond != nil {
		status, resp = g.respond(n)
	}
	if status == 200 {
		g.sends = append(g.sends, sent{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body})
	}
	g.mu.Unlock()
	if status != 200 {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(status)
		io.WriteString(w, resp)
		return
	}
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.out%d"}]}`, n)
}

func (g *graph) take() []sent {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.sends
	g.sends = nil
	return s
}

type env struct {
	a     *whatsapp.Adapter
	g     *graph
	h     http.Handler
	logs  *syncbuf.Buffer // the adapter logs from its goroutines
	clock *clock
	store bot.Store
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func setup(t *testing.T, mod func(*whatsapp.Config)) *env {
	t.Helper()
	g := &graph{}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	logs := &syncbuf.Buffer{}
	store := inmem.New(time.Hour)
	clk := &clock{t: time.Unix(1698266730, 0).Add(time.Minute)}
	cfg := whatsapp.Config{
		Bot: bot.New(testPack(t).Engine, store, nil), Secret: []byte("pseudonym-secret"),
		Token: "TOKEN", PhoneNumberID: phoneID, AppSecret: appSecret, VerifyToken: "verify-me",
		Endpoint: srv.URL + "/v21.0", Backoff: time.Millisecond, Now: clk.now,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	a := whatsapp.New(cfg)
	return &env{a: a, g: g, h: routes(a), logs: logs, clock: clk, store: store}
}

// routes is the adapter's webhook on a mux of its own.
func routes(a *whatsapp.Adapter) http.Handler {
	mux := http.NewServeMux()
	a.Routes(mux)
	return mux
}

// deliver posts a signed webhook body and waits until its messages are answered.
func (e *env) deliver(t *testing.T, body []byte) int {
	t.Helper()
	r := httptest.NewRequest("POST", "/whatsapp/webhook", bytes.NewReader(body))
	r.Header.Set("X-Hub-Signature-256", whatsapp.Sign(appSecret, body))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	return w.Code
}

var msgSeq int

// message builds a delivery of one inbound message from waID.
func message(typ string, content any) []byte {
	msgSeq++
	m := map[string]any{"from": sender, "id": fmt.Sprintf("wamid.test%d", msgSeq), "timestamp": "1698266730", "type": typ, typ: content}
	p := map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "1", "changes": []any{
		map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
			"metadata": map[string]any{"phone_number_id": phoneID}, "messages": []any{m}}}}}}}
	b, _ := json.Marshal(p)
	return b
}

func textMsg(s string) []byte { return message("text", map[string]any{"body": s}) }

func press(id string) []byte {
	return message("interactive", map[string]any{"type": "button_reply", "button_reply": map[string]any{"id": id, "title": "x"}})
}

func pick(id string) []byte {
	return message("interactive", map[string]any{"type": "list_reply", "list_reply": map[string]any{"id": id, "title": "x"}})
}

// path reads a nested field of a JSON body: path(b, "interactive", "type").
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func fixturesDir(t *testing.T) string {
	dir := filepath.Join("..", "..", "testdata", "fixtures", "whatsapp")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Fatalf("no WhatsApp fixtures in %s (they are real Cloud API payloads; see testdata/fixtures/SOURCES.md)", dir)
	}
	return dir
}

// eachFixture runs f as a subtest for every real payload, read and decoded.
func eachFixture(t *testing.T, f func(t *testing.T, name string, body []byte, p whatsapp.Payload)) {
	files, _ := filepath.Glob(filepath.Join(fixturesDir(t), "*.json"))
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var p whatsapp.Payload
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			f(t, name, body, p)
		})
	}
}

func TestFixtures(t *testing.T) {
	want := map[string]struct {
		kind  bot.EventKind
		text  string
		data  string
		media string
	}{
		"text_message.json":             {kind: bot.KindText, text: "Body Text"},
		"interactive_button_reply.json": {kind: bot.KindChoice, data: "callback_data"},
		"interactive_list_reply.json":   {kind: bot.KindChoice, data: "callback_data"},
		"location_message.json":         {kind: bot.KindMedia, media: "location"},
		"voice_message.json":            {kind: bot.KindMedia, media: "voice"},
		"image_message.json":            {kind: bot.KindMedia, media: "photo"},
		"document_message.json":         {kind: bot.KindMedia, media: "document"},
	}
	eachFixture(t, func(t *testing.T, name string, body []byte, p whatsapp.Payload) {
		e := setup(t, nil)
		if code := e.deliver(t, body); code != 200 {
			t.Fatalf("status %d", code)
		}
		st := e.a.Stats()
		var msgs []whatsapp.Message
		for _, en := range p.Entry {
			for _, c := range en.Changes {
				msgs = append(msgs, c.Value.Messages...)
			}
		}
		sends := e.g.take()
		if len(msgs) == 0 {
			if st.StatusDelivered+st.StatusFailed+st.StatusRead+st.StatusSent == 0 {
				t.Fatalf("a status delivery was not counted: %+v", st)
			}
			if len(sends) != 0 {
				t.Fatalf("a status caused %d sends", len(sends))
			}
		} else {
			ev, ok := whatsapp.ToEvent(msgs[0])
			w, known := want[name]
			if !ok || (known && (ev.Kind != w.kind || ev.Text != w.text || ev.Data != w.data || ev.Media != w.media)) {
				t.Fatalf("event %+v, want %+v", ev, w)
			}
			if ev.Lang != "" { // 972 (Israel) is not in the table
				t.Errorf("lang hint %q", ev.Lang)
			}
			if st.Received != 1 || len(sends) == 0 {
				t.Fatalf("received %d, sends %d", st.Received, len(sends))
			}
			for _, s := range sends {
				if s.Path != "/v21.0/"+phoneID+"/messages" || s.Auth != "Bearer TOKEN" ||
					s.Body["messaging_product"] != "whatsapp" || s.Body["to"] != waID {
					t.Fatalf("request shape: %+v", s)
				}
			}
		}
		if strings.Contains(name, "failed") && st.StatusFailed != 1 {
			t.Errorf("failed status not counted: %+v", st)
		}
		if strings.Contains(name, "delivered") && st.StatusDelivered != 1 {
			t.Errorf("delivered status not counted: %+v", st)
		}
		for _, secret := range []string{waID, "Body Text", "Test Name"} {
			if strings.Contains(e.logs.String(), secret) {
				t.Errorf("logs contain %q:\n%s", secret, e.logs)
			}
		}
	})
}

func TestSignature(t *testing.T) {
	e := setup(t, nil)
	body := textMsg("hello")
	for _, c := range []struct {
		name, header string
		code         int
	}{
		{"missing", "", 401},
		{"wrong", whatsapp.Sign("other-secret", body), 401},
		{"not hex", "sha256=zz", 401},
		{"no prefix", strings.TrimPrefix(whatsapp.Sign(appSecret, body), "sha256="), 401},
		{"right", whatsapp.Sign(appSecret, body), 200},
	} {
		r := httptest.NewRequest("POST", "/whatsapp/webhook", bytes.NewReader(body))
		if c.header != "" {
			r.Header.Set("X-Hub-Signature-256", c.header)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code != c.code {
			t.Errorf("%s: status %d, want %d", c.name, w.Code, c.code)
		}
	}
	e.a.Wait(context.Background())
	if st := e.a.Stats(); st.BadSignature != 4 || st.Received != 1 {
		t.Errorf("stats %+v", st)
	}
	big := bytes.Repeat([]byte("x"), whatsapp.MaxBody+1)
	r := httptest.NewRequest("POST", "/whatsapp/webhook", bytes.NewReader(big))
	r.Header.Set("X-Hub-Signature-256", whatsapp.Sign(appSecret, big))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", w.Code)
	}
}

func TestVerification(t *testing.T) {
	e := setup(t, nil)
	get := func(q string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, httptest.NewRequest("GET", "/whatsapp/webhook?"+q, nil))
		return w
	}
	if w := get("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"); w.Code != 200 || w.Body.String() != "1158201444" {
		t.Errorf("right token: %d %q", w.Code, w.Body)
	}
	if w := get("hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"); w.Code != 403 {
		t.Errorf("wrong token: %d", w.Code)
	}
	if w := get("hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1"); w.Code != 403 {
		t.Errorf("wrong mode: %d", w.Code)
	}
	if w := get("hub.challenge=1"); w.Code != 403 {
		t.Errorf("no token: %d", w.Code)
	}
}

func TestConversation(t *testing.T) {
	e := setup(t, nil)
	e.deliver(t, textMsg("/start"))
	sends := e.g.take()
	if len(sends) != 1 {
		t.Fatalf("start: %d sends %+v", len(sends), sends)
	}
	b := sends[0].Body
	if b["type"] != "interactive" || path(b, "interactive", "type") != "button" || path(b, "interactive", "body", "text") != "Hello! Choose a topic." {
		t.Fatalf("menu: %+v", b)
	}
	buttons, _ := path(b, "interactive", "action", "buttons").([]any)
	if len(buttons) != 3 || path(buttons[1], "type") != "reply" || path(buttons[1], "reply", "title") != "More topics" {
		t.Fatalf("buttons: %+v", buttons)
	}
	more := path(buttons[1], "reply", "id").(string)

	e.deliver(t, press(more))
	sends = e.g.take()
	if len(sends) != 1 || path(sends[0].Body, "interactive", "type") != "list" {
		t.Fatalf("more: %+v", sends)
	}
	lb := sends[0].Body
	if path(lb, "interactive", "action", "button") != "Main menu" {
		t.Errorf("list button %v", path(lb, "interactive", "action", "button"))
	}
	rows, _ := path(lb, "interactive", "action", "sections", 0, "rows").([]any)
	if len(rows) != 5 {
		t.Fatalf("rows: %+v", rows)
	}
	for _, r := range rows {
		if n := utf8.RuneCountInString(path(r, "title").(string)); n > whatsapp.MaxRowTitle {
			t.Errorf("row title %d runes", n)
		}
	}
	if path(rows[0], "title") != "Support and money" || path(rows[0], "id") == "" {
		t.Errorf("row: %+v", rows[0])
	}

	// A list row that leads to the office: a location, then the text with its button.
	e.deliver(t, pick(path(rows[0], "id").(string)))
	sends = e.g.take()
	var types []string
	for _, s := range sends {
		types = append(types, s.Body["type"].(string))
	}
	if strings.Join(types, ",") != "text,location,interactive" && strings.Join(types, ",") != "location,interactive" {
		t.Fatalf("office: %v %+v", types, sends)
	}
	for _, s := range sends {
		if s.Body["type"] == "location" {
			if path(s.Body, "location", "latitude") != 59.9 || path(s.Body, "location", "name") != "Test Office" {
				t.Errorf("location %+v", s.Body)
			}
		}
	}

	// Back to the list, then to the menu of 12: a numbered text menu, chosen by typing a number.
	e.deliver(t, textMsg("/start"))
	e.deliver(t, press(more))
	sends = e.g.take()
	rows, _ = path(sends[len(sends)-1].Body, "interactive", "action", "sections", 0, "rows").([]any)
	e.deliver(t, pick(path(rows[1], "id").(string)))
	sends = e.g.take()
	if len(sends) != 1 || sends[0].Body["type"] != "text" {
		t.Fatalf("12 options: %+v", sends)
	}
	txt := path(sends[0].Body, "text", "body").(string)
	if !strings.Contains(txt, "Pick a country") || !strings.Contains(txt, "\n12. Country 12") {
		t.Fatalf("numbered menu: %q", txt)
	}
	e.deliver(t, textMsg("3"))
	sends = e.g.take()
	if len(sends) == 0 || path(sends[0].Body, "interactive", "body", "text") != "Hello! Choose a topic." {
		t.Fatalf("choosing by number: %+v", sends)
	}
	if st := e.a.Stats(); st.Received != 7 || st.SendErrors != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestLanguageHintFromNumber(t *testing.T) {
	e := setup(t, nil)
	body := bytes.ReplaceAll(textMsg("/start"), []byte(sender), []byte("4791234567"))
	e.deliver(t, body)
	sends := e.g.take()
	if len(sends) != 1 || path(sends[0].Body, "interactive", "body", "text") != "Hei! Velg et tema." || sends[0].Body["to"] != "4791234567" {
		t.Fatalf("Norwegian number: %+v", sends)
	}
	for num, want := range map[string]string{"93700000000": "fa-AF", "989120000000": "fa", "9647700000000": "ar", "79000000000": "ru",
		"252610000000": "so", "2917000000": "ti", "251911000000": "", "33600000000": "fr", "447700900000": "en", "12025550100": "", "": ""} {
		if got := whatsapp.LangHint(num); got != want {
			t.Errorf("LangHint(%q) = %q, want %q", num, got, want)
		}
	}
}

func TestDuplicateProcessedOnce(t *testing.T) {
	e := setup(t, nil)
	body := textMsg("/start")
	e.deliver(t, body)
	e.deliver(t, body)
	if sends := e.g.take(); len(sends) != 1 {
		t.Fatalf("redelivery answered again: %d sends", len(sends))
	}
	if st := e.a.Stats(); st.Received != 1 || st.Duplicates != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestOrderPerUser(t *testing.T) {
	e := setup(t, nil)
	e.g.respond = func(n int) (int, string) { time.Sleep(time.Duration(5-n%5) * time.Millisecond); return 200, "" }
	for i := 0; i < 5; i++ {
		body := textMsg("/start")
		if i%2 == 1 {
			body = textMsg("/language")
		}
		r := httptest.NewRequest("POST", "/whatsapp/webhook", bytes.NewReader(body))
		r.Header.Set("X-Hub-Signature-256", whatsapp.Sign(appSecret, body))
		e.h.ServeHTTP(httptest.NewRecorder(), r)
	}
	e.a.Wait(context.Background())
	sends := e.g.take()
	if len(sends) != 5 {
		t.Fatalf("%d sends", len(sends))
	}
	for i, s := range sends {
		isMenu := path(s.Body, "interactive", "body", "text") == "Hello! Choose a topic."
		if isMenu != (i%2 == 0) {
			t.Fatalf("answer %d out of order: %+v", i, s.Body)
		}
	}
}

func TestRetries(t *testing.T) {
	e := setup(t, nil)
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
	if sends := e.g.take(); len(sends) != 1 {
		t.Fatalf("%d sends", len(sends))
	}
	if st := e.a.Stats(); st.Retries != 2 || st.Sent != 1 || st.SendErrors != 0 {
		t.Errorf("stats %+v", st)
	}
	// A refusal (4xx) is not retried; server errors past MaxAttempts park the message in the
	// delivery queue (TestGraphOutageDeliversEverything follows it there).
	e.g.respond = func(int) (int, string) { return 400, `{"error":{"message":"bad","type":"OAuthException","code":100}}` }
	e.deliver(t, textMsg("/menu"))
	if st := e.a.Stats(); st.Retries != 2 || st.SendErrors != 1 {
		t.Errorf("after 400: %+v", st)
	}
	e.g.respond = func(int) (int, string) { return 503, "" }
	e.deliver(t, textMsg("/menu"))
	if st := e.a.Stats(); st.Retries != 5 || st.SendErrors != 1 || st.Queued != 1 {
		t.Errorf("after 503s: %+v", st)
	}
}

func TestProactiveWindow(t *testing.T) {
	reply := []bot.Reply{{Lang: "en", Text: "A counsellor answered you."}}
	ctx := context.Background()

	e := setup(t, nil)
	e.deliver(t, textMsg("/start"))
	e.g.take()
	e.clock.add(23 * time.Hour)
	if err := e.a.SendProactive(ctx, sender, reply); err != nil {
		t.Fatal(err)
	}
	if sends := e.g.take(); len(sends) != 1 || path(sends[0].Body, "text", "body") != "A counsellor answered you." {
		t.Fatalf("inside the window: %+v", sends)
	}
	e.clock.add(2 * time.Hour)
	if err := e.a.SendProactive(ctx, sender, reply); !errors.Is(err, whatsapp.ErrHeldBack) {
		t.Fatalf("outside the window without template: %v", err)
	}
	if sends := e.g.take(); len(sends) != 0 {
		t.Fatalf("held-back message was sent: %+v", sends)
	}
	if st := e.a.Stats(); st.HeldBack != 1 || !strings.Contains(e.logs.String(), "held back") || strings.Contains(e.logs.String(), sender) {
		t.Errorf("stats %+v, logs %s", st, e.logs)
	}
	// Never heard from: also outside.
	if err := e.a.SendProactive(ctx, "4700000000", reply); !errors.Is(err, whatsapp.ErrHeldBack) {
		t.Fatalf("unknown user: %v", err)
	}

	e = setup(t, func(c *whatsapp.Config) { c.TemplateName, c.TemplateLang = "counsellor_reply", "en_GB" })
	e.deliver(t, textMsg("/start"))
	e.g.take()
	e.clock.add(25 * time.Hour)
	if err := e.a.SendProactive(ctx, sender, reply); err != nil {
		t.Fatal(err)
	}
	sends := e.g.take()
	if len(sends) != 1 || sends[0].Body["type"] != "template" || path(sends[0].Body, "template", "name") != "counsellor_reply" ||
		path(sends[0].Body, "template", "language", "code") != "en_GB" {
		t.Fatalf("template: %+v", sends)
	}
	if st := e.a.Stats(); st.TemplateSent != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRenderLimits(t *testing.T) {
	long := strings.Repeat("word ", 2000) // 10 000 runes
	ms := whatsapp.Render("1", bot.Reply{Text: long}, "Menu")
	if len(ms) != 3 {
		t.Fatalf("%d parts", len(ms))
	}
	total := 0
	for _, m := range ms {
		body := path(m, "text", "body").(string)
		if n := utf8.RuneCountInString(body); n > whatsapp.MaxTextRunes {
			t.Errorf("part of %d runes", n)
		}
		total += len(strings.Fields(body))
	}
	if total != 2000 {
		t.Errorf("split lost words: %d", total)
	}
	ms = whatsapp.Render("1", bot.Reply{Text: "Pick", Buttons: []bot.Button{{Label: "A very long button label indeed", Data: "x"}}}, "Menu")
	if title := path(ms[0], "interactive", "action", "buttons", 0, "reply", "title").(string); utf8.RuneCountInString(title) > 20 || !strings.HasSuffix(title, "…") {
		t.Errorf("button title %q", title)
	}
	five := []bot.Button{{Label: "Support and money for the journey home", Data: "a"}, {Label: "b", Data: "b"}, {Label: "c", Data: "c"}, {Label: "d", Data: "d"}}
	ms = whatsapp.Render("1", bot.Reply{Text: "Pick", Buttons: five}, "Hovedmenyen er her og lang")
	row := path(ms[0], "interactive", "action", "sections", 0, "rows", 0)
	if path(row, "title") != "Support and money for t…" || path(row, "description") != "Support and money for the journey home" {
		t.Errorf("long row: %+v", row)
	}
	if b := path(ms[0], "interactive", "action", "button").(string); utf8.RuneCountInString(b) > whatsapp.MaxListButton {
		t.Errorf("list button %q", b)
	}
	// Buttons on a reply without text still get a body; a long text goes first as text.
	ms = whatsapp.Render("1", bot.Reply{Buttons: []bot.Button{{Label: "A", Data: "a"}}}, "Menu")
	if path(ms[0], "interactive", "body", "text") == "" {
		t.Error("empty interactive body")
	}
	ms = whatsapp.Render("1", bot.Reply{Text: strings.Repeat("x ", 600), Buttons: []bot.Button{{Label: "A", Data: "a"}}}, "Menu")
	if len(ms) != 2 || ms[0]["type"] != "text" || ms[1]["type"] != "interactive" {
		t.Errorf("long body: %+v", ms)
	}
}

// post posts a signed webhook body and returns the status, without waiting for the answers.
func (e *env) post(body []byte) int {
	r := httptest.NewRequest("POST", "/whatsapp/webhook", bytes.NewReader(body))
	r.Header.Set("X-Hub-Signature-256", whatsapp.Sign(appSecret, body))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w.Code
}

// TestStoreOutageSpool: while the store fails, Meta gets 503 (it delivers again) and the user the
// outage notice once; the spool holds the messages, the user's later one behind the earlier, and
// acts on them as soon as the store is back, once each and in order; Meta's redeliveries are
// duplicates then.
func TestStoreOutageSpool(t *testing.T) {
	store := &storetest.Outage{Store: inmem.New(time.Hour)}
	e := setup(t, func(c *whatsapp.Config) { c.Bot = bot.New(testPack(t).Engine, store, nil) })
	ref := setup(t, nil)
	first, second := textMsg("/start"), textMsg("/language")
	ref.deliver(t, textMsg("/start"))
	ref.deliver(t, textMsg("/language"))
	want := ref.g.take()

	store.Down.Store(true)
	for i, body := range [][]byte{first, second, first} {
		if code := e.post(body); code != http.StatusServiceUnavailable {
			t.Fatalf("store down, delivery %d: %d, want 503", i, code)
		}
	}
	time.Sleep(300 * time.Millisecond)
	sends := e.g.take()
	if len(sends) != 1 || !strings.Contains(fmt.Sprint(path(sends[0].Body, "text", "body")), bot.MsgUnavailable) {
		t.Fatalf("store down: sends %+v, want the outage notice once", sends)
	}
	if st := e.a.Stats(); st.Spooled != 2 {
		t.Errorf("stats %+v: want the 2 messages held", st)
	}
	store.Down.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.a.Wait(ctx); err != nil {
		t.Fatal("held messages not acted on after the store came back:", err)
	}
	got := e.g.take()
	if len(got) != len(want) {
		t.Fatalf("after the outage %d sends, want %d", len(got), len(want))
	}
	for i := range got {
		if fmt.Sprint(got[i].Body["interactive"], got[i].Body["text"]) != fmt.Sprint(want[i].Body["interactive"], want[i].Body["text"]) {
			t.Fatalf("send %d after the outage: %+v, want %+v", i, got[i].Body, want[i].Body)
		}
	}
	for _, body := range [][]byte{first, second} {
		if code := e.deliver(t, body); code != http.StatusOK {
			t.Fatalf("Meta's redelivery after the outage: %d", code)
		}
	}
	if st := e.a.Stats(); st.Duplicates != 2 || st.Spooled != 0 || st.Received != 2 {
		t.Errorf("stats %+v: want 2 received, 2 duplicates, none held", st)
	}
	if extra := e.g.take(); len(extra) != 0 {
		t.Errorf("redeliveries answered again: %d sends", len(extra))
	}
}

// TestSpoolFull: past Config.Spool the store's failures are left to Meta's redelivery (503).
func TestSpoolFull(t *testing.T) {
	store := &storetest.Outage{Store: inmem.New(time.Hour)}
	e := setup(t, func(c *whatsapp.Config) { c.Bot = bot.New(testPack(t).Engine, store, nil); c.Spool = 1 })
	store.Down.Store(true)
	held, other := textMsg("/start"), message("text", map[string]any{"body": "/start"})
	other = bytes.Replace(other, []byte(sender), []byte("447700900999"), 1)
	for _, body := range [][]byte{held, other} {
		if code := e.post(body); code != http.StatusServiceUnavailable {
			t.Fatalf("store down: %d, want 503", code)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if st := e.a.Stats(); st.Spooled != 1 || st.Retried != 2 {
		t.Fatalf("stats %+v: want 1 held of 2 retried", st)
	}
	store.Down.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if st := e.a.Stats(); st.Received != 1 {
		t.Fatalf("stats %+v: want the held message acted on, the other left to Meta", st)
	}
	if code := e.deliver(t, other); code != http.StatusOK || e.a.Stats().Received != 2 {
		t.Fatalf("Meta's redelivery: %d, stats %+v", code, e.a.Stats())
	}
}
