package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// stopServe sends SIGTERM and waits for a clean exit.
func stopServe(t *testing.T, cmd *exec.Cmd, stderr interface{ String() string }) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15s of SIGTERM")
	}
}

// TestServeTelegramPolling: `returnbot serve` with TELEGRAM_TOKEN polls the endpoint of
// TELEGRAM_API_ENDPOINT, answers, and confirms what it handled when stopped by SIGTERM.
func TestServeTelegramPolling(t *testing.T) {
	srv := telegramtest.NewServer(t)
	_, cmd, stderr := startServe(t, "TELEGRAM_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+srv.Endpoint(),
		"TELEGRAM_WEBHOOK_URL=")
	srv.Push(startUpdate(0, 424242421))
	srv.WaitFor(10*time.Second, "the answer to /start", func([]telegramtest.Call) bool { return len(srv.Sent(424242421)) > 0 })
	stopServe(t, cmd, stderr)
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
	_, cmd, stderr := startServe(t, "RETURNBOT_ADDR="+addr, "TELEGRAM_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+srv.Endpoint(),
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
	stopServe(t, cmd, stderr)
}

// TestServeTelegramWebhookNeedsSecret: webhook mode refuses to start without a secret.
func TestServeTelegramWebhookNeedsSecret(t *testing.T) {
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "RETURNBOT_RUN_MAIN=1", "RETURNBOT_ADDR=127.0.0.1:0", "REDIS_URL=",
		"TELEGRAM_TOKEN=1:x", "TELEGRAM_WEBHOOK_URL=https://bot.example.org/tg/hook", "TELEGRAM_WEBHOOK_SECRET=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("serve started in webhook mode without TELEGRAM_WEBHOOK_SECRET")
	}
	if !strings.Contains(string(out), "TELEGRAM_WEBHOOK_SECRET") {
		t.Errorf("the error does not name TELEGRAM_WEBHOOK_SECRET:\n%s", out)
	}
}

func TestTelegramFactoryOff(t *testing.T) {
	env := map[string]string{"TELEGRAM_STAFF_CHAT_ID": "-100" + strconv.Itoa(1)}
	ch, err := newTelegram(deps{cfg: config{env: func(k string) string { return env[k] }}})
	if ch != nil || err != nil {
		t.Fatalf("without TELEGRAM_TOKEN: %v, %v", ch, err)
	}
}
