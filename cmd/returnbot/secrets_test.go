package main

import (
	"strings"
	"testing"
	"time"
)

// TestCheckSecret: short, placeholder, repeated and low-variety secrets are refused with a message
// that says how to make a good one; random ones of the right length pass.
func TestCheckSecret(t *testing.T) {
	for _, c := range []struct {
		value  string
		min    int
		ok     bool
		reason string
	}{
		{"", minSecretLen, false, "must be set"},
		{"9f2c4e1a7b3d5c6e", minSecretLen, false, "at least 32"},                     // 16 random hex: too short
		{strings.Repeat("a", 64), minSecretLen, false, "too easy"},                   // one character
		{strings.Repeat("ab12", 16), minSecretLen, false, "too easy"},                // a short unit repeated
		{strings.Repeat("abcd1234", 8), minSecretLen, false, "too easy"},             // an 8-character unit repeated
		{strings.Repeat("changeme", 5), minSecretLen, false, "too easy"},             // the placeholder
		{"CHANGE_ME-CHANGE_ME-CHANGE_ME-CHANGE_ME", minSecretLen, false, "too easy"}, // its spellings
		{"test-secret-0123456789abcdef-0123456789", minSecretLen, false, "too easy"},
		{"your-secret-here-your-secret-here-your-secret", minSecretLen, false, "too easy"},
		{"00000000000000000000000000000000000000001", minSecretLen, false, "too easy"}, // low variety
		{"1010101010101010110101010101010101", minSecretLen, false, "too easy"},
		{"3f8a9c2d71e04b6a95d8c3e2f1a07b64", minSecretLen, true, ""}, // openssl rand -hex 16
		{"3f8a9c2d71e04b6a95d8c3e2f1a07b64c5d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5", minSecretLen, true, ""},
		{"q7Hk2+Zp9/WmX4vLr8Ns1Tb6Yc3Jd5Gf0Ea=", minSecretLen, true, ""}, // openssl rand -base64 (shape)
		{"mauve-lantern-orbit-pickle-granite-ferry", minSecretLen, true, ""},
		// Webhook secrets: 16 characters.
		{"s3cret_value", minWebhookLen, false, "at least 16"},
		{"v", minWebhookLen, false, "at least 16"},
		{"webhook-secret-1", minWebhookLen, false, "too easy"},
		{"xxxxxxxxxxxxxxxxxxxx", minWebhookLen, false, "too easy"},
		{"c1f0a93be27d4856", minWebhookLen, true, ""},
	} {
		err := checkSecret("RETURNBOT_SECRET", c.value, c.min)
		if (err == nil) != c.ok {
			t.Errorf("checkSecret(%q, %d) = %v, want ok=%v", c.value, c.min, err, c.ok)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), c.reason) || !strings.Contains(err.Error(), "openssl rand -hex 32") {
				t.Errorf("checkSecret(%q): %q does not say %q and how to generate one", c.value, err, c.reason)
			}
			if c.value != "" && strings.Contains(err.Error(), c.value) {
				t.Errorf("the error echoes the secret: %q", err)
			}
		}
	}
}

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
			case <-time.After(15 * time.Second):
				t.Fatal("serve started with the weak secret") // and goes on serving until the test binary exits
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
