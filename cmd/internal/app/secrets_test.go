package app

import (
	"strings"
	"testing"
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
