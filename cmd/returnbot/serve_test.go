package main

import (
	"strings"
	"testing"
	"time"
)

// TestServeRefusesWeakSecrets: serve does not start with a weak RETURNBOT_SECRET (with Redis), a
// short webhook secret or a short WhatsApp verify token, and says why.
func TestServeRefusesWeakSecrets(t *testing.T) {
	good := "3f8a9c2d71e04b6a95d8c3e2f1a07b64c5d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5"
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"redis secret placeholder", map[string]string{"REDIS_URL": "redis://127.0.0.1:1", "RETURNBOT_SECRET": "changeme-changeme-changeme-changeme"}, "RETURNBOT_SECRET is too easy"},
		{"redis secret short", map[string]string{"REDIS_URL": "redis://127.0.0.1:1", "RETURNBOT_SECRET": "9f2c4e1a7b3d5c6e8a9b0c1d2e3"}, "RETURNBOT_SECRET is 27 characters"},
		{"telegram webhook", map[string]string{"TELEGRAM_TOKEN": "1:x", "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg/hook", "TELEGRAM_WEBHOOK_SECRET": "s3cret_value"}, "TELEGRAM_WEBHOOK_SECRET is 12 characters"},
		{"whatsapp verify", map[string]string{"WHATSAPP_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_APP_SECRET": good, "WHATSAPP_VERIFY_TOKEN": "v"}, "WHATSAPP_VERIFY_TOKEN is 1 characters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"REDIS_URL", "REDIS_CLUSTER_ADDRS", "RETURNBOT_SECRET", "TELEGRAM_TOKEN", "TELEGRAM_WEBHOOK_URL",
				"TELEGRAM_WEBHOOK_SECRET", "WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"} {
				t.Setenv(k, c.env[k])
			}
			var out, errOut strings.Builder
			done := make(chan int, 1)
			go func() { done <- run([]string{"serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(90 * time.Second):
				// Loading the content comes first and takes tens of seconds on a busy machine
				// under -race; a serve that started is caught by its "listening" line below.
				t.Fatal("serve neither refused the weak secret nor exited") // and goes on serving until the test binary exits
			}
			if code != 1 || !strings.Contains(errOut.String(), c.want) || !strings.Contains(errOut.String(), "openssl rand -hex 32") {
				t.Fatalf("exit %d, stderr:\n%s\nwant %q and how to generate one", code, errOut.String(), c.want)
			}
			if strings.Contains(out.String(), "listening") {
				t.Fatal("serve started listening")
			}
		})
	}
}
