package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/staff"
	"github.com/returnbot/returnbot/cmd/internal/app"
)

// TestStaffCLI: staff add (password from stdin, or generated and printed once), list and remove,
// on a real redis-server; the account signs in with that password.
func TestStaffCLI(t *testing.T) {
	url := redistest.Server(t)
	t.Setenv("REDIS_URL", url)
	t.Setenv("REDIS_CLUSTER_ADDRS", "")
	t.Setenv("RETURNBOT_SECRET", "a-test-secret-of-thirty-two-bytes!")
	runCLI := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"staff"}, args...), strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, e := runCLI("a long enough password\n", "add", "kari", "--role", "counsellor"); code != 0 {
		t.Fatalf("add kari: %d %s", code, e)
	}
	code, out, e := runCLI("", "add", "resa", "--role", "reception", "--totp")
	if code != 0 || !strings.Contains(out, "password (shown once): ") || !strings.Contains(out, "otpauth://totp/") {
		t.Fatalf("add resa: %d %q %s", code, out, e)
	}
	generated := strings.Fields(out[strings.Index(out, "password (shown once): "):])[3]
	resaOut := out
	if code, _, e := runCLI("short\n", "add", "nils", "--role", "counsellor"); code == 0 || !strings.Contains(e, "12") {
		t.Fatalf("short password accepted: %d %s", code, e)
	}
	if code, _, e := runCLI("a long enough password\n", "add", "kari", "--role", "admin"); code == 0 || !strings.Contains(e, "exists") {
		t.Fatalf("second kari: %d %s", code, e)
	}
	if code, _, _ := runCLI("a long enough password\n", "add", "x", "--role", "boss"); code == 0 {
		t.Fatal("unknown role accepted")
	}
	_, out, _ = runCLI("", "list")
	if !strings.Contains(out, "kari") || !strings.Contains(out, "counsellor") || !strings.Contains(out, "resa") || strings.Contains(out, "argon2") {
		t.Fatalf("list:\n%s", out)
	}
	c, err := redis.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, _ := redis.New(c, redis.Options{})
	st := s.StaffStore()
	ctx := context.Background()
	for name, pw := range map[string]string{"kari": "a long enough password", "resa": generated} {
		a, err := st.Account(ctx, name)
		if err != nil || a == nil {
			t.Fatalf("%s not stored: %v", name, err)
		}
		if ok, _ := staff.CheckPassword(a.Hash, pw); !ok {
			t.Fatalf("%s's password does not match", name)
		}
	}
	// The TOTP secret printed once is kept only sealed.
	totpURL := resaOut[strings.Index(resaOut, "otpauth://"):]
	totpSecret := totpURL[strings.Index(totpURL, "secret=")+len("secret="):]
	if i := strings.IndexAny(totpSecret, "&\n"); i >= 0 {
		totpSecret = totpSecret[:i]
	}
	if raw := c.Get(ctx, "rb:sa:resa").Val(); len(totpSecret) < 16 || strings.Contains(raw, totpSecret) {
		t.Fatalf("TOTP secret %q in the clear in %s", totpSecret, raw)
	}
	if ttl := c.PTTL(ctx, "rb:sa:kari").Val(); ttl < staff.AccountTTL-time.Hour || ttl > staff.AccountTTL {
		t.Fatalf("account TTL %v", ttl)
	}
	if code, out, _ := runCLI("", "remove", "kari"); code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("remove: %d %s", code, out)
	}
	if code, _, _ := runCLI("", "remove", "kari"); code == 0 {
		t.Fatal("second remove succeeded")
	}
	if a, _ := st.Account(ctx, "kari"); a != nil {
		t.Fatal("removed account still there")
	}
}

// TestStaffCLINeedsRedis: without Redis there is nowhere to keep an account.
func TestStaffCLINeedsRedis(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("REDIS_CLUSTER_ADDRS", "")
	var out, errb bytes.Buffer
	if code := run([]string{"staff", "list"}, strings.NewReader(""), &out, &errb); code != 1 || !strings.Contains(errb.String(), "REDIS_URL") {
		t.Fatalf("%d %s", code, errb.String())
	}
}

// TestValidateSaysWhetherStaffCanAnswer: validate says whether "chat now" can be offered: with
// neither a staff group nor Redis it is not; with Redis it reads the accounts there (none: not
// offered; one: offered; Redis down: it cannot tell); with the staff group it is.
func TestValidateSaysWhetherStaffCanAnswer(t *testing.T) {
	t.Setenv("TELEGRAM_TOKEN", "")
	t.Setenv("TELEGRAM_STAFF_CHAT_ID", "")
	t.Setenv("REDIS_URL", "")
	t.Setenv("REDIS_CLUSTER_ADDRS", "")
	t.Setenv("RETURNBOT_SECRET", "a-test-secret-of-thirty-two-bytes!")
	// validate itself once; the other cases through what it calls, since loading the content
	// takes seconds.
	staffLine := func() string {
		t.Helper()
		var b bytes.Buffer
		app.StaffAvailability(context.Background(), &b, app.ReadConfig(os.Getenv))
		return strings.TrimSpace(b.String())
	}
	t.Setenv("REDIS_URL", redistest.Server(t))
	var out, errb bytes.Buffer
	if code := run([]string{"validate"}, strings.NewReader(""), &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "\nstaff: no Telegram staff group and no staff account in Redis: \"chat now\" is not offered") {
		t.Fatalf("validate with Redis and no account: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"staff", "add", "kari", "--role", "counsellor"}, strings.NewReader("a long enough password\n"), &out, &errb); code != 0 {
		t.Fatalf("staff add: %d %s", code, errb.String())
	}
	if l := staffLine(); !strings.Contains(l, "1 staff account(s) in Redis") || !strings.Contains(l, `"chat now" is offered`) {
		t.Errorf("Redis with an account: %q", l)
	}
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1") // nothing listens there
	if l := staffLine(); !strings.Contains(l, "could not be read") {
		t.Errorf("Redis down: %q", l)
	}
	t.Setenv("REDIS_URL", "")
	if l := staffLine(); !strings.Contains(l, "no Redis") || !strings.Contains(l, `"chat now" is not offered`) {
		t.Errorf("neither group nor Redis: %q", l)
	}
	t.Setenv("TELEGRAM_TOKEN", "123:abc")
	t.Setenv("TELEGRAM_STAFF_CHAT_ID", "-1001")
	if l := staffLine(); !strings.Contains(l, "Telegram staff group is set up") {
		t.Errorf("staff group: %q", l)
	}
}
