package telegram_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/internal/syncbuf"
	"github.com/returnbot/returnbot/locales"
)

// fixtureDir holds real Telegram payloads, copied into the repository (testdata/fixtures/SOURCES.md).
const fixtureDir = "../../testdata/fixtures/telegram"

var secret = []byte("test-secret-for-pseudonyms-0123")

const hookSecret = "hook-secret_0123456789"

var (
	packOnce sync.Once
	pack     *flow.Pack
	packErr  error
)

func content(t testing.TB) *flow.Pack {
	t.Helper()
	packOnce.Do(func() { pack, packErr = flow.Load(flows.FS, locales.FS) })
	if packErr != nil {
		t.Fatalf("loading the content: %v", packErr)
	}
	return pack
}

// fixtures returns every Telegram fixture by file name.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	if _, err := os.Stat(fixtureDir); err != nil {
		t.Fatalf("fixtures missing (%v): see testdata/fixtures/SOURCES.md", err)
	}
	names, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures in %s (%v)", fixtureDir, err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = b
	}
	return out
}

type mode string

const (
	webhook mode = "webhook"
	polling mode = "polling"
)

var modes = []mode{webhook, polling}

// harness runs an Adapter against the fake Bot API with the real content and an in-memory store.
type harness struct {
	t     testing.TB
	mode  mode
	srv   *telegramtest.Server
	store bot.Store
	bot   *bot.Bot
	ad    *telegram.Adapter
	logs  *syncbuf.Buffer
	hook  *httptest.Server
	hookU string

	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// fast pacing and retries so that tests take milliseconds; tests of pacing set their own.
func fast(c *telegram.Config) {
	c.GlobalRate = telegram.Rate{PerSecond: 1000, Burst: 1000}
	c.ChatRate = telegram.Rate{PerSecond: 1000, Burst: 1000}
	c.Backoff, c.MaxBackoff = 5*time.Millisecond, 40*time.Millisecond
	c.PollTimeout = time.Second
	c.SendTimeout = 2 * time.Second
	c.DrainTimeout = 3 * time.Second
	c.KeepProfile = true // the profile sync's calls would mix into other tests' call logs (profile_test.go)
	c.Redeliver = deliver.Policy{First: 10 * time.Millisecond, Max: 100 * time.Millisecond, Poll: 10 * time.Millisecond}
}

func start(t testing.TB, m mode, opts ...func(*telegram.Config)) *harness {
	return startWith(t, m, nil, nil, opts...)
}

// startWith starts a harness on a given fake server and store (nil: new ones), for restarts.
func startWith(t testing.TB, m mode, srv *telegramtest.Server, store bot.Store, opts ...func(*telegram.Config)) *harness {
	t.Helper()
	p := content(t)
	if srv == nil {
		srv = telegramtest.NewServer(t)
	}
	if store == nil {
		store = inmem.New(0)
	}
	h := &harness{t: t, mode: m, srv: srv, store: store, logs: &syncbuf.Buffer{}}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.bot = bot.New(p.Engine, store, log)
	cfg := telegram.Config{
		Token:    telegramtest.Token,
		Endpoint: srv.Endpoint(),
		Bot:      h.bot,
		Secret:   secret,
		Log:      log,
	}
	mux := http.NewServeMux()
	if m == webhook {
		h.hook = httptest.NewServer(mux)
		t.Cleanup(h.hook.Close)
		h.hookU = h.hook.URL + "/telegram/hook"
		cfg.WebhookURL, cfg.WebhookSecret = h.hookU, hookSecret
	}
	fast(&cfg)
	for _, o := range opts {
		o(&cfg)
	}
	ad, err := telegram.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.ad = ad
	ad.Routes(mux)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- ad.Run(ctx) }()
	select {
	case <-ad.Ready():
	case err := <-h.done:
		t.Fatalf("Run returned before ready: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("adapter not ready")
	}
	if m == webhook {
		srv.WaitFor(5*time.Second, "setWebhook", func([]telegramtest.Call) bool { return srv.Webhook() != nil })
	}
	t.Cleanup(func() { h.stop() })
	return h
}

// stop cancels Run and waits for it (and the drain) to finish.
func (h *harness) stop() error {
	if h.stopped {
		return nil
	}
	h.stopped = true
	h.cancel()
	select {
	case err := <-h.done:
		return err
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not return after cancel")
		return nil
	}
}

// deliver hands an update to the adapter the way the mode does and waits until it is handled
// (webhook: the request returned; polling: the update was confirmed, which happens only after its
// batch was handled). It returns the webhook status (200 for polling).
func (h *harness) deliver(update []byte) int {
	h.t.Helper()
	if h.mode == webhook {
		return h.srv.Deliver(update)
	}
	h.srv.Push(update)
	deadline := time.Now().Add(5 * time.Second)
	for h.srv.Pending() > 0 {
		if time.Now().After(deadline) {
			h.t.Fatal("polled update not confirmed")
		}
		time.Sleep(2 * time.Millisecond)
	}
	return http.StatusOK
}

// settle sends a marker to chat through the adapter's own queue and waits for it: after that,
// everything queued for the chat before has been sent (one queue per chat, in order).
func (h *harness) settle(chat int64) {
	h.t.Helper()
	marker := "marker " + strconv.FormatInt(time.Now().UnixNano(), 10)
	h.ad.Send(chat, key(chat), []bot.Reply{{Text: marker}})
	h.srv.WaitFor(5*time.Second, "the marker", func(calls []telegramtest.Call) bool {
		for _, c := range calls {
			if c.Method == "sendMessage" && c.Params["text"] == marker {
				return true
			}
		}
		return false
	})
}

// turn delivers an update from chat and returns everything the bot sent to the chat for it.
func (h *harness) turn(chat int64, update []byte) []telegramtest.Call {
	h.t.Helper()
	n := len(h.sent(chat))
	if code := h.deliver(update); code != http.StatusOK {
		h.t.Fatalf("webhook answered %d", code)
	}
	h.settle(chat)
	return h.sent(chat)[n:]
}

// sent is what reached a chat, markers left out.
func (h *harness) sent(chat int64) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range h.srv.Sent(chat) {
		if !strings.HasPrefix(c.Params["text"], "marker ") {
			out = append(out, c)
		}
	}
	return out
}

// waitSent waits until at least n messages reached chat.
func (h *harness) waitSent(chat int64, n int) []telegramtest.Call {
	h.t.Helper()
	h.srv.WaitFor(5*time.Second, strconv.Itoa(n)+" messages to the chat", func([]telegramtest.Call) bool {
		return len(h.sent(chat)) >= n
	})
	return h.sent(chat)
}

// session reads a user's session without changing it.
func (h *harness) session(user string) *bot.Session {
	h.t.Helper()
	var got bot.Session
	errPeek := errorString("peek")
	err := h.store.Update(context.Background(), user, func(s *bot.Session) error {
		got = *s
		return errPeek
	})
	if err != errPeek {
		h.t.Fatal(err)
	}
	return &got
}

type errorString string

func (e errorString) Error() string { return string(e) }

func key(id int64) string { return bot.UserKey(secret, telegram.Channel, strconv.FormatInt(id, 10)) }

// text returns a message of the content in a language, as the user sees it (bot.ForDisplay).
func text(t testing.TB, lang, id string) string {
	l := content(t).Engine.Language()
	return l.Display(lang, l.Text(lang, id, ""))
}

// userLang is the language the engine answers a new user in, given their language_code.
func userLang(t testing.TB, code string) string {
	l := content(t).Engine.Language()
	if c := l.Negotiate(code); c != "" {
		return c
	}
	return l.Languages()[0]
}

// msg builds a private text message update from a user.
func msg(updateID, chat int64, lang, txt string) []byte {
	return mustJSON(map[string]any{
		"update_id": updateID,
		"message": map[string]any{
			"message_id": updateID, "date": time.Now().Unix(), "text": txt,
			"from": map[string]any{"id": chat, "is_bot": false, "first_name": "Test", "language_code": lang},
			"chat": map[string]any{"id": chat, "first_name": "Test", "type": "private"},
		},
	})
}

// press builds a callback query for a button the bot sent to chat.
func press(updateID, chat int64, lang, queryID, data string) []byte {
	return mustJSON(map[string]any{
		"update_id": updateID,
		"callback_query": map[string]any{
			"id": queryID, "chat_instance": "42", "data": data,
			"from": map[string]any{"id": chat, "is_bot": false, "first_name": "Test", "language_code": lang},
			"message": map[string]any{
				"message_id": 7, "date": time.Now().Unix(), "text": "menu",
				"chat": map[string]any{"id": chat, "first_name": "Test", "type": "private"},
			},
		},
	})
}

// withMedia builds a private message carrying only a media field.
func withMedia(updateID, chat int64, lang, field string, value any) []byte {
	return mustJSON(map[string]any{
		"update_id": updateID,
		"message": map[string]any{
			"message_id": updateID, "date": time.Now().Unix(), field: value,
			"from": map[string]any{"id": chat, "is_bot": false, "first_name": "Test", "language_code": lang},
			"chat": map[string]any{"id": chat, "first_name": "Test", "type": "private"},
		},
	})
}

// member builds a my_chat_member update for a private chat with the bot's new status.
func member(updateID, chat int64, status string) []byte {
	return mustJSON(map[string]any{
		"update_id": updateID,
		"my_chat_member": map[string]any{
			"chat":            map[string]any{"id": chat, "first_name": "Test", "type": "private"},
			"from":            map[string]any{"id": chat, "is_bot": false, "first_name": "Test"},
			"date":            time.Now().Unix(),
			"old_chat_member": map[string]any{"user": map[string]any{"id": 111111111, "is_bot": true, "first_name": "bot"}, "status": "member"},
			"new_chat_member": map[string]any{"user": map[string]any{"id": 111111111, "is_bot": true, "first_name": "bot"}, "status": status},
		},
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
