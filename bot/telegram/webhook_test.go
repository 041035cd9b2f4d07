package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/storetest"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

func TestWebhookSetup(t *testing.T) {
	h := start(t, webhook)
	wh := h.srv.Webhook()
	if wh["url"] != h.hookU || wh["secret_token"] != hookSecret {
		t.Errorf("setWebhook params %v", wh)
	}
	var allowed []string
	if err := json.Unmarshal([]byte(wh["allowed_updates"]), &allowed); err != nil || strings.Join(allowed, ",") != strings.Join(telegram.AllowedUpdates, ",") {
		t.Errorf("allowed_updates %q (%v)", wh["allowed_updates"], err)
	}
	if got := h.ad.Describe(); !strings.Contains(got, "/telegram/hook") {
		t.Errorf("Describe() = %q", got)
	}
	// getMe first, then setWebhook, all through the configured endpoint and token.
	calls := h.srv.Calls()
	if len(calls) < 2 || calls[0].Method != "getMe" || calls[1].Method != "setWebhook" {
		t.Errorf("calls:%s", telegramtest.Summary(calls))
	}
}

func TestWebhookRejects(t *testing.T) {
	h := start(t, webhook)
	body := msg(1, 42, "en", "SECRET-TEXT-do-not-log")
	for _, tc := range []struct {
		name, secret string
		body         []byte
		want         int
	}{
		{"no secret", "", body, 401},
		{"wrong secret", "hook-secret_0123456788", body, 401},
		{"longer secret", hookSecret + "x", body, 401},
		{"malformed JSON", hookSecret, []byte(`{"update_id": 9, "message": {"text": "SECRET-TEXT-do-not-log"`), 400},
		{"not JSON", hookSecret, []byte("SECRET-TEXT-do-not-log"), 400},
		{"too large", hookSecret, bytes.Repeat([]byte(" "), telegram.MaxWebhookBody+1), 413},
	} {
		if got := telegramtest.Post(t, h.hookU, tc.secret, tc.body); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	// Over 1 MiB without a Content-Length (chunked): still 413.
	req, _ := http.NewRequest(http.MethodPost, h.hookU, io.MultiReader(bytes.NewReader(bytes.Repeat([]byte(" "), telegram.MaxWebhookBody)), strings.NewReader(`{}`)))
	req.Header.Set(telegram.SecretHeader, hookSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("chunked too large: %d", resp.StatusCode)
	}
	// GET is not a delivery.
	resp, err = http.Get(h.hookU)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	// Valid JSON with a field of the wrong type: 200 (retrying cannot help), counted.
	if got := telegramtest.Post(t, h.hookU, hookSecret, []byte(`{"update_id": 10, "message": {"chat": "SECRET-TEXT-do-not-log"}}`)); got != 200 {
		t.Errorf("wrong types: %d, want 200", got)
	}
	if s := h.ad.Stats(); s.Received != 0 || s.Malformed != 3 {
		t.Errorf("stats %+v: want nothing received, 3 malformed", s)
	}
	if c := h.srv.Calls("sendMessage"); len(c) != 0 {
		t.Errorf("rejected requests led to sends:%s", telegramtest.Summary(c))
	}
	h.stop()
	if strings.Contains(h.logs.String(), "SECRET-TEXT") {
		t.Errorf("a rejected body reached the log:\n%s", h.logs.String())
	}
}

func TestWebhookDuplicate(t *testing.T) {
	h := start(t, webhook)
	u := msg(77, 42, "en", "/start")
	first := h.turn(42, u)
	if len(first) == 0 {
		t.Fatal("no reply")
	}
	for i := 0; i < 3; i++ {
		if again := h.turn(42, u); len(again) != 0 {
			t.Fatalf("redelivery %d answered again:%s", i, telegramtest.Summary(again))
		}
	}
	if s := h.ad.Stats(); s.Duplicates != 3 {
		t.Errorf("stats %+v: want 3 duplicates", s)
	}
}

// A button press that meets the store down is answered 503, so Telegram delivers it again; the
// user is told of the outage once, however often it comes back meanwhile; once the store is back
// the redelivery is handled (the dedupe record is part of the session's write, so a failed
// attempt does not make it a duplicate) and answered, once.
func TestWebhookRedeliveryAfterFailure(t *testing.T) {
	store := &storetest.Outage{Store: inmem.New(0)}
	h := startWith(t, webhook, nil, store)
	h.turn(43, msg(80, 43, "en", "/start"))
	kb := h.sent(43)[0].Keyboard()
	if len(kb) == 0 {
		t.Fatal("no menu")
	}
	press := press(81, 43, "en", "cbq-81", kb[0].Data)
	store.Down.Store(true)
	n := len(h.sent(43))
	for i := range 3 {
		if code := h.deliver(press); code != http.StatusServiceUnavailable {
			t.Fatalf("store down, delivery %d: webhook answered %d, want 503", i, code)
		}
	}
	h.settle(43)
	got := h.sent(43)[n:]
	if w := text(t, "en", bot.MsgUnavailable); len(got) != 1 || got[0].Params["text"] != w {
		t.Fatalf("store down, three deliveries: replies%s\nwant %q once", telegramtest.Summary(got), w)
	}
	store.Down.Store(false)
	again := h.turn(43, press)
	if len(again) == 0 || texts(again)[0] == text(t, "en", bot.MsgUnavailable) {
		t.Fatalf("redelivered after the outage: replies%s", telegramtest.Summary(again))
	}
	if third := h.turn(43, press); len(third) != 0 {
		t.Fatalf("redelivered once more: replies%s", telegramtest.Summary(third))
	}
	if s := h.ad.Stats(); s.Duplicates != 1 || s.Retried != 3 {
		t.Errorf("stats %+v: want 1 duplicate, 3 retried", s)
	}
	if n := len(h.srv.Calls("answerCallbackQuery")); n != 1 {
		t.Errorf("%d callback answers, want one, by the delivery that was handled", n)
	}
}

// failingStore fails every session update, as Redis would when down.
type failingStore struct{ bot.Store }

func (failingStore) UpdateOnce(context.Context, string, string, string, func(*bot.Session) error) error {
	return errors.New("store down")
}

// panickingStore panics inside the bot.
type panickingStore struct{ bot.Store }

func (panickingStore) UpdateOnce(context.Context, string, string, string, func(*bot.Session) error) error {
	panic("boom")
}

// TestWebhookBotFailure: with the store down Telegram gets 503 (it delivers the update again)
// and the user the static outage message, once; a panic inside the bot gets 200 (a redelivery
// would panic again).
func TestWebhookBotFailure(t *testing.T) {
	h := startWith(t, webhook, nil, failingStore{inmem.New(0)})
	for i := range 2 {
		if code := h.deliver(msg(1, 42, "en", "hello")); code != http.StatusServiceUnavailable {
			t.Errorf("store down, delivery %d: webhook answered %d, want 503", i, code)
		}
	}
	h.settle(42)
	if w := text(t, "en", bot.MsgUnavailable); len(h.sent(42)) != 1 || h.sent(42)[0].Params["text"] != w {
		t.Errorf("store down: replies%s\nwant %q once", telegramtest.Summary(h.sent(42)), w)
	}

	h2 := startWith(t, webhook, nil, panickingStore{inmem.New(0)})
	if code := h2.deliver(msg(1, 43, "en", "hello")); code != 200 {
		t.Errorf("panic inside the bot: webhook answered %d", code)
	}
}

// TestWebhookConfig: webhook mode refuses to start without a usable secret or path.
func TestWebhookConfig(t *testing.T) {
	b := bot.New(content(t).Engine, inmem.New(0), nil)
	base := telegram.Config{Token: telegramtest.Token, Bot: b, Secret: secret, WebhookURL: "https://bot.example.org/tg/hook", WebhookSecret: hookSecret}
	if _, err := telegram.New(base); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for name, mod := range map[string]func(*telegram.Config){
		"no secret":      func(c *telegram.Config) { c.WebhookSecret = "" },
		"bad characters": func(c *telegram.Config) { c.WebhookSecret = "a secret!" },
		"too long":       func(c *telegram.Config) { c.WebhookSecret = strings.Repeat("a", 257) },
		"root path":      func(c *telegram.Config) { c.WebhookURL = "https://bot.example.org/" },
		"no path":        func(c *telegram.Config) { c.WebhookURL = "https://bot.example.org" },
		"relative":       func(c *telegram.Config) { c.WebhookURL = "/tg/hook" },
		"bad endpoint":   func(c *telegram.Config) { c.Endpoint = "http://localhost:8081/bot" },
		"no token":       func(c *telegram.Config) { c.Token = "" },
	} {
		c := base
		mod(&c)
		if _, err := telegram.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRejectedToken: a token the Bot API refuses stops Run with an error instead of retrying.
func TestRejectedToken(t *testing.T) {
	srv := telegramtest.NewServer(t)
	b := bot.New(content(t).Engine, inmem.New(0), nil)
	ad, err := telegram.New(telegram.Config{Token: "999:wrong", Endpoint: srv.Endpoint(), Bot: b, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = ad.Run(ctx)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v), want a prompt token error", err, ctx.Err())
	}
	if strings.Contains(err.Error(), "999:wrong") {
		t.Errorf("error carries the token: %v", err)
	}
}

// TestStaffHook: updates from the staff chat reach StaffHandler; others from groups do not.
func TestStaffHook(t *testing.T) {
	const staff = -1001234567489
	got := make(chan tgbotapi.Update, 4)
	h := start(t, webhook, func(c *telegram.Config) {
		c.StaffChatID = staff
		c.StaffHandler = func(_ context.Context, u tgbotapi.Update) { got <- u }
	})
	raw := fixtures(t)["supergroup_text_forum.json"] // chat -1001234567489
	h.deliver(raw)
	select {
	case u := <-got:
		if u.Message == nil || u.Message.Chat.ID != staff || u.Message.Text != "foo" {
			t.Errorf("staff update %+v", u.Message)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("staff handler not called")
	}
	h.deliver(fixtures(t)["supergroup_pinned_message.json"]) // another group
	select {
	case u := <-got:
		t.Errorf("update from another group reached the staff handler: %d", u.UpdateID)
	case <-time.After(50 * time.Millisecond):
	}
}
