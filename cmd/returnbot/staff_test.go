package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/staff"
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

// TestServeSetupLinkCreatesFirstAdmin: serve with no account prints a setup link; on this
// machine it creates the first admin once, who then signs in; the page is served under /staff.
func TestServeSetupLinkCreatesFirstAdmin(t *testing.T) {
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "RETURNBOT_RUN_MAIN=1", "RETURNBOT_ADDR=127.0.0.1:0", "REDIS_URL=", "REDIS_CLUSTER_ADDRS=",
		"TELEGRAM_TOKEN=", "WHATSAPP_TOKEN=")
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	var link string
	deadline := time.Now().Add(30 * time.Second)
	for link == "" && time.Now().Before(deadline) && sc.Scan() {
		if l := sc.Text(); strings.Contains(l, "#setup=") {
			for _, f := range strings.Fields(l) {
				if strings.Contains(f, "#setup=") {
					link = f
				}
			}
		}
	}
	if link == "" {
		t.Fatalf("no setup link; stderr:\n%s", stderr.String())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	base := link[:strings.Index(link, "/staff/")]
	token := link[strings.Index(link, "#setup=")+len("#setup="):]
	res, err := http.Get(base + "/staff/")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("page: %v", err)
	}
	res.Body.Close()
	post := func(c *http.Client, path string, body map[string]string) int {
		b, _ := json.Marshal(body)
		res, err := c.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body := map[string]string{"token": token, "name": "boss", "password": "the first admin's password"}
	if got := post(c, "/staff/api/setup", body); got != 200 {
		t.Fatalf("setup: %d", got)
	}
	if got := post(c, "/staff/api/setup", body); got != 403 {
		t.Fatalf("second setup: %d", got)
	}
	if got := post(c, "/staff/api/login", map[string]string{"name": "boss", "password": "the first admin's password"}); got != 200 {
		t.Fatalf("login: %d", got)
	}
	res, err = c.Get(base + "/staff/api/tickets")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("tickets as admin: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	if !strings.Contains(stderr.String(), "kept in this process only") {
		t.Fatalf("serve did not warn that accounts are in memory:\n%s", stderr.String())
	}
}
