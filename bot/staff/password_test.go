package staff_test

import (
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot/staff"
)

func TestPasswordHash(t *testing.T) {
	h, err := staff.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := staff.HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		ok, err := staff.CheckPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	if _, err := staff.CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("a foreign hash was read")
	}
	if _, err := staff.CheckPassword(strings.Replace(h, "m=19456", "m=99999999", 1), "x"); err == nil {
		t.Error("a hash asking for 95 GiB was run")
	}
}

func TestGeneratePassword(t *testing.T) {
	a, _ := staff.GeneratePassword()
	b, _ := staff.GeneratePassword()
	if len(a) != 20 || a == b {
		t.Fatalf("generated %q and %q", a, b)
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{"kari": true, "Åse.N": true, "زهرا": true, "": false, "a b": false,
		"<script>": false, strings.Repeat("x", 41): false} {
		if got := staff.CheckName(name) == nil; got != ok {
			t.Errorf("CheckName(%q) ok = %v", name, got)
		}
	}
}
