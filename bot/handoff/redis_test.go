package handoff_test

import (
	"context"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// redisProcess is one process of the bot on a real Redis: its own client and stores.
func redisProcess(t *testing.T, url string) (procStores, goredis.UniversalClient) {
	t.Helper()
	c, err := redis.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := redis.New(c, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return procStores{s, s.HandoffStore()}, c
}

// TestRedisReminderOnceWithTwoProcesses: two processes, each with its own Redis client, store
// and handoff service, share one redis-server; the due reminder reaches the user once.
func TestRedisReminderOnceWithTwoProcesses(t *testing.T) {
	url := redistest.Server(t)
	a, _ := redisProcess(t, url)
	b, _ := redisProcess(t, url)
	reminderOnce(t, a, b)
}

// TestRedisForgetLeavesNoTrace: a user plans a visit, staff take and close it (it stays on its
// day's sheet), then the user says /forget. Afterwards no key in Redis, and no value, names the user's pseudonym or the
// visit code, except the audit trail (which holds codes and staff pseudonyms only) and the user's
// dedupe record (digests of update ids, kept so a replayed update stays a duplicate; it ends
// within bot.DedupeTTL).
func TestRedisForgetLeavesNoTrace(t *testing.T) {
	url := redistest.Server(t)
	p, c := redisProcess(t, url)
	srv := telegramtest.NewServer(t)
	clk := &clock{}
	clk.set(time.Date(2027, 3, 24, 16, 0, 0, 0, osloTime(t)))
	startDesk(t, srv, p.sessions, p.handoff, clk)
	user := bot.UserKey(secret, telegram.Channel, itoa(userChat))

	srv.Push(userPress(userChat, "en", bot.OptionData("handoff.start", "visit")))
	waitText(t, srv, userChat, text("en", "handoff.visit_pick"))
	srv.Push(userPress(userChat, "en", "v|2027-03-30"))
	waitText(t, srv, userChat, text("en", "handoff.interp_q"))
	srv.Push(userPress(userChat, "en", bot.OptionData("handoff.interp", "yes")))
	card := waitText(t, srv, userChat, text("en", bot.MsgVisitCode))
	code := codeRE.FindString(card.Params["text"])
	if code == "" {
		t.Fatalf("no visit code in %q", card.Params["text"])
	}
	srv.Push(staffPress(staffID, "take|"+code))
	waitText(t, srv, staffChat, code+": tatt av Kari")
	srv.Push(staffPress(staffID, "close|"+code))
	waitText(t, srv, staffChat, code+": lukket av Kari")

	// Closed, the visit is still on its day's sheet (rb:vd:<day>, with a TTL like every key).
	ctx := context.Background()
	if list, err := p.handoff.DayVisits(ctx, "2027-03-30"); err != nil || len(list) != 1 || list[0].Code != code || list[0].Status != "closed" {
		t.Fatalf("the day's visits after closing: %+v, %v", list, err)
	}
	before := keysNaming(t, c, user, code)
	if len(before) < 4 {
		t.Fatalf("only %v name the user or the code before /forget: the test sees nothing", before)
	}
	for _, k := range allKeys(t, c) {
		if ttl := c.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %q has no TTL (PTTL %v)", k, ttl)
		}
	}

	srv.Push(userMsg(userChat, "en", "/forget"))
	waitText(t, srv, userChat, text("en", bot.MsgForgetConfirm))
	srv.Push(userPress(userChat, "en", "c|forget_yes"))
	waitText(t, srv, userChat, text("en", bot.MsgForgotten))
	updates := p.sessions.(*redis.Store).UserKey(user, redis.UpdatesSuffix)
	var left []string
	for _, k := range keysNaming(t, c, user, code) {
		if k != updates {
			left = append(left, k)
		}
	}
	if len(left) > 0 {
		t.Fatalf("after /forget these keys still name the user or the code: %v", left)
	}
	if list, err := p.handoff.DayVisits(ctx, "2027-03-30"); err != nil || len(list) != 0 {
		t.Fatalf("the day's visits after /forget: %+v, %v", list, err)
	}
	if ttl := c.PTTL(ctx, updates).Val(); ttl > bot.DedupeTTL {
		t.Errorf("the dedupe record outlives bot.DedupeTTL: %v", ttl)
	}
	for _, m := range c.ZRange(ctx, updates, 0, -1).Val() {
		if len(m) != 22 || strings.Contains(m, code) {
			t.Errorf("the dedupe record holds %q, not a digest", m)
		}
	}
	if trail, err := p.handoff.AuditTrail(ctx, 10); err != nil || len(trail) == 0 || trail[0].Code != code {
		t.Fatalf("the audit trail should keep the staff action on %s: %+v, %v", code, trail, err)
	}
}

// allKeys scans every key of a single server.
func allKeys(t *testing.T, c goredis.UniversalClient) []string {
	t.Helper()
	var keys []string
	it := c.Scan(context.Background(), 0, "*", 100).Iterator()
	for it.Next(context.Background()) {
		keys = append(keys, it.Val())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// keysNaming lists the keys, other than the audit trail, whose name or serialized value holds
// one of secrets.
func keysNaming(t *testing.T, c goredis.UniversalClient, secrets ...string) []string {
	t.Helper()
	var out []string
	for _, k := range allKeys(t, c) {
		if k == redis.DefaultPrefix+"audit" {
			continue
		}
		val, err := c.Dump(context.Background(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range secrets {
			if strings.Contains(k, x) || strings.Contains(val, x) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}
