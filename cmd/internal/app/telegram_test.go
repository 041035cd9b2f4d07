package app

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

func startUpdate(id, chat int64) []byte {
	b, _ := json.Marshal(map[string]any{
		"update_id": id,
		"message": map[string]any{
			"message_id": 1, "date": time.Now().Unix(), "text": "/start",
			"from": map[string]any{"id": chat, "is_bot": false, "first_name": "Test", "language_code": "en"},
			"chat": map[string]any{"id": chat, "first_name": "Test", "type": "private"},
		},
	})
	return b
}

// TestServeTelegramPolling: `returnbot serve` with TELEGRAM_TOKEN polls the endpoint of
// TELEGRAM_API_ENDPOINT, answers, and confirms what it handled when stopped by SIGTERM.
func TestServeTelegramPolling(t *testing.T) {
	srv := telegramtest.NewServer(t)
	rb := startMain(t, "TELEGRAM_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+srv.Endpoint(),
		"TELEGRAM_WEBHOOK_URL=")
	stderr := rb.stderr
	srv.Push(startUpdate(0, 424242421))
	srv.WaitFor(10*time.Second, "the answer to /start", func([]telegramtest.Call) bool { return len(srv.Sent(424242421)) > 0 })
	rb.stop(t)
	if n := srv.Pending(); n != 0 {
		t.Errorf("%d updates left unconfirmed after SIGTERM", n)
	}
	if strings.Contains(stderr.String(), telegramtest.Token) || strings.Contains(stderr.String(), "424242421") {
		t.Errorf("the log carries the token or a chat id:\n%s", stderr.String())
	}
}

// TestServeTelegramWebhook: with TELEGRAM_WEBHOOK_URL the webhook is set (secret included) and
// served on the bot's HTTP server at the URL's path.
func TestServeTelegramWebhook(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := telegramtest.NewServer(t)
	rb := startMain(t, "RETURNBOT_ADDR="+addr, "TELEGRAM_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+srv.Endpoint(),
		"TELEGRAM_WEBHOOK_URL=http://"+addr+"/tg/hook", "TELEGRAM_WEBHOOK_SECRET=d81f4c0a7e3b5296")
	srv.WaitFor(10*time.Second, "setWebhook", func([]telegramtest.Call) bool { return srv.Webhook() != nil })
	if wh := srv.Webhook(); wh["secret_token"] != "d81f4c0a7e3b5296" || wh["url"] != "http://"+addr+"/tg/hook" {
		t.Errorf("setWebhook %v", wh)
	}
	if code := srv.Deliver(startUpdate(1, 4343)); code != 200 {
		t.Errorf("delivery answered %d", code)
	}
	srv.WaitFor(10*time.Second, "the answer to /start", func([]telegramtest.Call) bool { return len(srv.Sent(4343)) > 0 })
	if code := telegramtest.Post(t, "http://"+addr+"/tg/hook", "wrong", startUpdate(2, 4343)); code != 401 {
		t.Errorf("wrong secret answered %d", code)
	}
	rb.stop(t)
}

// TestServeTelegramWebhookNeedsSecret: webhook mode refuses to start without a secret.
func TestServeTelegramWebhookNeedsSecret(t *testing.T) {
	rb, err := launchMain(t, "TELEGRAM_TOKEN=1:x", "TELEGRAM_WEBHOOK_URL=https://bot.example.org/tg/hook", "TELEGRAM_WEBHOOK_SECRET=")
	if err == nil {
		t.Fatal("serve started in webhook mode without TELEGRAM_WEBHOOK_SECRET")
	}
	if !strings.Contains(err.Error(), "TELEGRAM_WEBHOOK_SECRET") {
		t.Errorf("the error does not name TELEGRAM_WEBHOOK_SECRET: %v\n%s", err, rb.stderr.String())
	}
	if rb.Addr() != "" {
		t.Error("the bot listens although it refused to start")
	}
}

func TestTelegramFactoryOff(t *testing.T) {
	env := map[string]string{"TELEGRAM_STAFF_CHAT_ID": "-100" + strconv.Itoa(1)}
	ch, err := newTelegram(deps{cfg: Config{Getenv: func(k string) string { return env[k] }}})
	if ch != nil || err != nil {
		t.Fatalf("without TELEGRAM_TOKEN: %v, %v", ch, err)
	}
}

func TestRateFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	r, err := rateFromEnv(env(nil), "TELEGRAM_RATE_GLOBAL", telegram.DefaultGlobalRate)
	if err != nil || r != (telegram.Rate{}) {
		t.Errorf("unset: %+v, %v; want the zero Rate (the channel's default)", r, err)
	}
	r, err = rateFromEnv(env(map[string]string{"TELEGRAM_RATE_GLOBAL": " 1000 "}), "TELEGRAM_RATE_GLOBAL", telegram.DefaultGlobalRate)
	if err != nil || r.PerSecond != 1000 || r.Burst != 1000 {
		t.Errorf("1000: %+v, %v", r, err)
	}
	r, err = rateFromEnv(env(map[string]string{"TELEGRAM_RATE_CHAT": "0.5"}), "TELEGRAM_RATE_CHAT", telegram.DefaultChatRate)
	if err != nil || r.PerSecond != 0.5 || r.Burst != telegram.DefaultChatRate.Burst {
		t.Errorf("0.5: %+v, %v; the burst should stay the default's", r, err)
	}
	for _, bad := range []string{"fast", "0", "-3", "NaN", "Inf"} {
		if _, err := rateFromEnv(env(map[string]string{"TELEGRAM_RATE_CHAT": bad}), "TELEGRAM_RATE_CHAT", telegram.DefaultChatRate); err == nil ||
			!strings.Contains(err.Error(), "TELEGRAM_RATE_CHAT") {
			t.Errorf("%q: %v, want an error naming the variable", bad, err)
		}
	}
}
