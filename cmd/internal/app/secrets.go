package app

import (
	"fmt"
	"strings"
)

// Secret lengths. RETURNBOT_SECRET keys the pseudonyms, the AES key of stored routes and the visit
// codes: 32 bytes is the size of the HMAC-SHA256 and AES-256 keys made from it, and what
// `openssl rand -hex 32` gives twice over. The webhook secrets are compared by the platform on
// every request and only stop forged deliveries, so 16 random characters (64 bits as hex) are
// beyond guessing over the network.
const (
	minSecretLen  = 32
	minWebhookLen = 16
)

// generateHint is the fix every secret error ends with.
const generateHint = "generate one with: openssl rand -hex 32"

// placeholders are the words and runs people type when a value is asked for and they mean to
// change it later. checkSecret removes them before judging what is left, so "changeme-changeme…"
// or "test-secret-0123456789" is as weak as it looks.
var placeholders = []string{
	"changeme", "change", "replaceme", "replace", "placeholder", "example", "default",
	"password", "passwd", "secret", "returnbot", "token", "verify", "webhook", "dummy", "sample",
	"test", "your", "letmein", "qwerty", "admin", "xxx",
	"abcdefghijklmnopqrstuvwxyz", "abcdef", "0123456789", "123456789", "12345678",
}

// checkSecret refuses a secret shorter than minLen, or one that is weak whatever its length: once
// the placeholder words and runs are taken out, at least half of minLen characters must be left,
// with at least 8 different ones, not one short unit repeated.
func checkSecret(name, value string, minLen int) error {
	if value == "" {
		return fmt.Errorf("%s must be set (at least %d characters); %s", name, minLen, generateHint)
	}
	if len(value) < minLen {
		return fmt.Errorf("%s is %d characters; it must be at least %d; %s", name, len(value), minLen, generateHint)
	}
	if weak(value, minLen/2) {
		return fmt.Errorf("%s is too easy to guess (a placeholder, repeated characters or too few different ones); %s", name, generateHint)
	}
	return nil
}

// weak reports whether s, lower-cased with only its letters and digits kept and the
// placeholders taken out, is shorter than keep, has fewer than 8 different characters, or
// repeats one unit of at most 8 characters.
func weak(s string, keep int) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			b.WriteRune(r)
		}
	}
	rest := b.String()
	for _, p := range placeholders {
		rest = strings.ReplaceAll(rest, p, "")
	}
	if len(rest) < keep {
		return true
	}
	distinct := map[rune]bool{}
	for _, r := range rest {
		distinct[r] = true
	}
	if len(distinct) < 8 {
		return true
	}
	for p := 1; p <= 8 && p < len(rest); p++ {
		if rest[p:] == rest[:len(rest)-p] {
			return true
		}
	}
	return false
}
