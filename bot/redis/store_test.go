package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/limitertest"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/storetest"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/internal/syncbuf"
	"github.com/returnbot/returnbot/locales"
)

// TestContract runs the store contract on a single node. Each case gets a new server and two
// separate clients, as two replicas of the bot would have.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ttl time.Duration) (bot.Store, bot.Store) {
		url := redistest.Server(t)
		return newStore(t, newClient(t, url), redis.Options{TTL: ttl}),
			newStore(t, newClient(t, url), redis.Options{TTL: ttl})
	})
}

// TestCluster runs the contract and the tests that depend on key placement on a real three-node
// Redis Cluster. Creating a cluster takes seconds, so its tests share one, flushed in between;
// the contract's cases are kept apart by key prefix.
func TestCluster(t *testing.T) {
	addrs := redistest.Cluster(t)
	newClient := func(t *testing.T) goredis.UniversalClient { return newClusterClient(t, addrs) }
	t.Run("Contract", func(t *testing.T) {
		var n atomic.Int64
		storetest.Run(t, func(t *testing.T, ttl time.Duration) (bot.Store, bot.Store) {
			opt := redis.Options{TTL: ttl, Prefix: fmt.Sprintf("rb:c%d:", n.Add(1))}
			return newStore(t, newClient(t), opt), newStore(t, newClient(t), opt)
		})
	})
	for _, c := range []struct {
		name string
		test func(*testing.T, func(*testing.T) goredis.UniversalClient)
	}{
		{"UpdateRoundTrips", testUpdateRoundTrips},
		{"EveryKeyHasTTL", testEveryKeyHasTTL},
		{"Erase", testErase},
		{"Reserve", testReserve},
		{"ReserveAll", testReserveAll},
		{"Lease", testLease},
		{"TurnLog", testTurnLog},
		{"Admit", testAdmit},
		{"DeliveryQueue", testDeliveryQueue},
		{"UpdateOnceSet", testUpdateOnceSet},
		{"Ping", testPing},
		{"Ready", testReady},
	} {
		t.Run(c.name, func(t *testing.T) {
			cc := newClusterClient(t, addrs)
			if err := cc.ForEachMaster(context.Background(), func(ctx context.Context, n *goredis.Client) error {
				return n.FlushAll(ctx).Err()
			}); err != nil {
				t.Fatal(err)
			}
			c.test(t, newClient)
		})
	}
}

// single returns a client maker for a new private server.
func single(t *testing.T) func(*testing.T) goredis.UniversalClient {
	url := redistest.Server(t)
	return func(t *testing.T) goredis.UniversalClient { return newClient(t, url) }
}

// TestUpdateRoundTrips counts the commands of Update: MGET (session and turn log) and one EVALSHA when nobody else
// writes, only the EVALSHA when this store wrote the session last, one EVALSHA more per conflict
// (a stale cached session is one); EVAL only the first time a node meets the script.
func TestUpdateRoundTrips(t *testing.T) { testUpdateRoundTrips(t, single(t)) }

func testUpdateRoundTrips(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	c := newClient(t)
	calls := countCalls(c)
	s := newStore(t, c, redis.Options{})
	ctx := context.Background()
	touch := func(sess *bot.Session) error { sess.Seen++; return nil }

	if err := s.Update(ctx, "rt", touch); err != nil {
		t.Fatal(err)
	}
	t.Logf("first update (a new connection's handshake, the script maybe not yet on the server): %v", calls.take())

	const n = 50
	for range n {
		if err := s.Update(ctx, "rt", touch); err != nil {
			t.Fatal(err)
		}
	}
	got := calls.take()
	if len(got) != n {
		t.Fatalf("%d updates of a session this store wrote made %d round trips, want %d: %v", n, len(got), n, got[:min(len(got), 6)])
	}
	for i, cmd := range got {
		if cmd != "evalsha" {
			t.Fatalf("update %d sent %v, want [evalsha]", i, cmd)
		}
	}

	// One conflict: another replica writes while fn runs. The script hands back the
	// winning value, so the retry needs no new GET.
	other := newStore(t, newClient(t), redis.Options{})
	first := true
	err := s.Update(ctx, "rt", func(sess *bot.Session) error {
		if first {
			first = false
			if err := other.Update(ctx, "rt", func(o *bot.Session) error { o.Lang = "ti"; return nil }); err != nil {
				return err
			}
		}
		sess.Node = "menu"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := calls.take(); strings.Join(got, " ") != "evalsha evalsha" {
		t.Fatalf("an update with one conflict sent %v, want [evalsha evalsha]", got)
	}
	var sess bot.Session
	read(t, s, "rt", &sess)
	if sess.Lang != "ti" || sess.Node != "menu" {
		t.Fatalf("after the conflict the session is %+v: one of the writes is lost", sess)
	}
	calls.take()

	// A store that has not written the session reads it first.
	cold := newStore(t, c, redis.Options{})
	if err := cold.Update(ctx, "rt", touch); err != nil {
		t.Fatal(err)
	}
	if got := calls.take(); strings.Join(got, " ") != "mget evalsha" {
		t.Fatalf("an update of a session another store wrote sent %v, want [mget evalsha]", got)
	}
	// s's cached session is stale now: its script finds another stamp and hands back the
	// stored session, on which fn runs again.
	before := sess.Seen
	if err := s.Update(ctx, "rt", touch); err != nil {
		t.Fatal(err)
	}
	if got := calls.take(); strings.Join(got, " ") != "evalsha evalsha" {
		t.Fatalf("an update on a stale cached session sent %v, want [evalsha evalsha]", got)
	}
	read(t, cold, "rt", &sess)
	if sess.Seen != before+2 || sess.Lang != "ti" {
		t.Fatalf("after the stale cached session: Seen %d (want %d), Lang %q: a write is lost", sess.Seen, before+2, sess.Lang)
	}
	calls.take()

	if _, err := s.Dedupe(ctx, "telegram", "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, "rt"); err != nil {
		t.Fatal(err)
	}
	if got := calls.take(); strings.Join(got, " ") != "set del" {
		t.Fatalf("Dedupe and Erase sent %v, want one command each", got)
	}
}

// TestConflictBound: when another writer wins every time, Update gives up with bot.ErrConflict
// after MaxAttempts runs of fn.
func TestConflictBound(t *testing.T) {
	url := redistest.Server(t)
	s := newStore(t, newClient(t, url), redis.Options{MaxAttempts: 3})
	other := newStore(t, newClient(t, url), redis.Options{})
	ctx := context.Background()
	runs := 0
	err := s.Update(ctx, "busy", func(sess *bot.Session) error {
		runs++
		return other.Update(ctx, "busy", func(o *bot.Session) error { o.Seen++; return nil })
	})
	if !errors.Is(err, bot.ErrConflict) || runs != 3 {
		t.Fatalf("Update = %v after %d runs of fn, want bot.ErrConflict after 3", err, runs)
	}
}

// TestBadSession: bytes that are not a session are reported, not overwritten: they may be a
// newer format written by a newer replica during a rolling deploy.
func TestBadSession(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	ctx := context.Background()
	for _, v := range []string{"x", "\xff123456789abcdef"} {
		c.Set(ctx, s.UserKey("bad", redis.SessionSuffix), v, time.Minute)
		err := s.Update(ctx, "bad", func(*bot.Session) error { return nil })
		if !errors.Is(err, bot.ErrBadSession) {
			t.Errorf("Update over %q = %v, want bot.ErrBadSession", v, err)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	c := newClient(t, "redis://127.0.0.1:1")
	for _, opt := range []redis.Options{{Prefix: "rb:{x}:"}, {TTL: time.Microsecond}} {
		if _, err := redis.New(c, opt); err == nil {
			t.Errorf("New(%+v) accepted", opt)
		}
	}
}

// TestSessionTTL: a session is written with the configured TTL and every update sets it again.
func TestSessionTTL(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	ctx := context.Background()
	for _, ttl := range []time.Duration{0, 36 * time.Hour} {
		s := newStore(t, c, redis.Options{TTL: ttl})
		want := ttl
		if want == 0 {
			want = bot.DefaultSessionTTL
		}
		key := s.UserKey("ttl", redis.SessionSuffix)
		c.Set(ctx, key, "", time.Second) // an empty value counts as no session
		if err := s.Update(ctx, "ttl", func(sess *bot.Session) error { sess.Lang = "fa"; return nil }); err != nil {
			t.Fatal(err)
		}
		got := c.PTTL(ctx, key).Val()
		if got > want || got < want-time.Minute {
			t.Errorf("TTL %v after an update, want %v", got, want)
		}
	}
}

// TestSessionMemoryUsage walks the eligibility flow with the real content and checks what Redis
// says the session costs (MEMORY USAGE counts the key, the value and Redis's overhead).
func TestSessionMemoryUsage(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	b := bot.New(loadPack(t).Engine, s, quietLog())
	user := bot.UserKey([]byte("0123456789abcdef0123456789abcdef"), "telegram", "5550001234")
	// Menu, eligibility, "application rejected", "no other EU permit", "no earlier return".
	last := talk(t, b, "telegram", user, "en", "hello", "2", "2", "2", "2")
	if last.Flow != "eligibility" || last.Node != "may" {
		t.Fatalf("the walk ended at %s.%s, want eligibility.may", last.Flow, last.Node)
	}
	key := s.UserKey(user, redis.SessionSuffix)
	ctx := context.Background()
	usage, err := c.MemoryUsage(ctx, key, 0).Result()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("session after the eligibility walk: key %d bytes, value %d bytes, MEMORY USAGE %d bytes",
		len(key), c.StrLen(ctx, key).Val(), usage)
	if usage > 300 {
		t.Fatalf("MEMORY USAGE of a session = %d bytes, want at most 300", usage)
	}
}

// TestEveryKeyHasTTL has a conversation (sessions, dedupe, rate limits, extra per-user keys),
// then scans every key of every node: each must start with the prefix and carry a TTL.
func TestEveryKeyHasTTL(t *testing.T) { testEveryKeyHasTTL(t, single(t)) }

func testEveryKeyHasTTL(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	c := newClient(t)
	s := newStore(t, c, redis.Options{})
	b := bot.New(loadPack(t).Engine, s, quietLog())
	ctx := context.Background()
	secret := []byte("0123456789abcdef0123456789abcdef")
	for i := range 5 {
		user := bot.UserKey(secret, "telegram", fmt.Sprint(7000+i))
		talk(t, b, "telegram", user, "en", "hello", "2", "2", "/forget", "1")
		talk(t, b, "telegram", user, "nb", "hei", "4", "/back", "/language")
		if b.Duplicate(ctx, "telegram", fmt.Sprint(9000+i)) {
			t.Fatal("a new update counted as a duplicate")
		}
		if _, err := s.Reserve(ctx, "tg:chat:"+user, 1, 3); err != nil {
			t.Fatal(err)
		}
		// A platform update's event (its id kept with the session), and both pacing buckets.
		if _, err := b.Handle(ctx, bot.Event{Channel: "telegram", User: user, Lang: "en", Kind: bot.KindText,
			Text: "/menu", Time: time.Now(), Update: fmt.Sprint(9100 + i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReserveAll(ctx, bot.Bucket{Key: "tg:chat:" + user, PerSecond: 1, Burst: 3},
			bot.Bucket{Key: "tg:global", PerSecond: 30, Burst: 30}); err != nil {
			t.Fatal(err)
		}
	}
	keys := scanAll(t, c)
	for _, want := range []string{s.UserKey(bot.UserKey(secret, "telegram", "7000"), redis.UpdatesSuffix), "rb:rl:{paced}:tg:global"} {
		if !slices.Contains(keys, want) {
			t.Errorf("no key %s among %v", want, keys)
		}
	}
	if len(keys) < 15 {
		t.Fatalf("only %d keys after the conversations: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, redis.DefaultPrefix) {
			t.Errorf("key %q is outside the prefix %q", k, redis.DefaultPrefix)
		}
		if ttl := c.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %q has no TTL (PTTL %v)", k, ttl)
		}
	}
}

// TestNoRawPlatformIDs talks as a Telegram user and a WhatsApp user, dedupes their updates, then
// reads every key and value: no platform user id, phone number or message id may appear.
func TestNoRawPlatformIDs(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	b := bot.New(loadPack(t).Engine, s, quietLog())
	ctx := context.Background()
	secret := []byte("0123456789abcdef0123456789abcdef")
	const (
		tgUser   = "5550001234"
		tgUpdate = "880011223"
		phone    = "4790012345"
		// WhatsApp message ids are base64 of a structure that holds the sender's number.
		wamid = "wamid.HBgKNDc5MDAxMjM0NRUCABIYFjNFQjBDNzk4RjY1MkY4QkMxQjU4AA=="
	)
	for _, u := range []struct{ channel, id, update string }{
		{"telegram", tgUser, tgUpdate},
		{"whatsapp", phone, wamid},
	} {
		user := bot.UserKey(secret, u.channel, u.id)
		if b.Duplicate(ctx, u.channel, u.update) {
			t.Fatal("a new update counted as a duplicate")
		}
		talk(t, b, u.channel, user, "en", "hello", "2", "2", "1", "/menu", "4")
		if _, err := s.Reserve(ctx, u.channel+":chat:"+user, 1, 1); err != nil {
			t.Fatal(err)
		}
	}
	keys := scanAll(t, c)
	if len(keys) < 6 {
		t.Fatalf("only %d keys: %v", len(keys), keys)
	}
	for _, k := range keys {
		val, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{tgUser, tgUpdate, phone, wamid, "HBgKNDc5MDAxMjM0NRUC"} {
			if strings.Contains(k, id) || strings.Contains(val, id) {
				t.Errorf("key %q or its value holds the platform id %q", k, id)
			}
		}
	}
}

// TestErase deletes every key of a user (the session and the registered per-user keys) in one
// command, runs the erase hooks, and leaves other users alone; on a cluster too, thanks to the
// hash tag.
func TestErase(t *testing.T) { testErase(t, single(t)) }

func testErase(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	c := newClient(t)
	s := newStore(t, c, redis.Options{})
	s.AddUserKeys("t", "r", "t", redis.SessionSuffix, "")
	var hooked []string
	s.OnErase(func(_ context.Context, user string) error { hooked = append(hooked, user); return nil })
	ctx := context.Background()
	for _, u := range []string{"gone", "stays"} {
		if err := s.Update(ctx, u, func(sess *bot.Session) error { sess.Lang = "so"; return nil }); err != nil {
			t.Fatal(err)
		}
		for _, sfx := range []string{"t", "r"} {
			c.Set(ctx, s.UserKey(u, sfx), "x", time.Hour)
		}
	}
	calls := countCalls(c)
	if err := s.Erase(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if got := calls.take(); len(got) != 1 {
		t.Errorf("Erase sent %v, want one DEL", got)
	}
	for _, u := range []string{"gone", "stays"} {
		n := c.Exists(ctx, s.UserKey(u, "s"), s.UserKey(u, "t"), s.UserKey(u, "r")).Val()
		if want := map[string]int64{"gone": 0, "stays": 3}[u]; n != want {
			t.Errorf("after Erase(gone) user %s has %d of 3 keys, want %d", u, n, want)
		}
	}
	if len(hooked) != 1 || hooked[0] != "gone" {
		t.Errorf("erase hooks saw %v", hooked)
	}
	boom := errors.New("boom")
	s.OnErase(func(context.Context, string) error { return boom })
	if err := s.Erase(ctx, "stays"); !errors.Is(err, boom) {
		t.Errorf("Erase with a failing hook = %v", err)
	}
	if c.Exists(ctx, s.UserKey("stays", "s")).Val() != 1 {
		t.Error("Erase deleted keys although a hook failed")
	}
}

// TestOutage stops the server in the middle of a conversation and starts it again on the same
// port: while it is down every message fails quickly, the user gets the static outage text once
// and the outage is logged once; after the restart the conversation goes on where it was.
func TestOutage(t *testing.T) {
	// With an append-only file the data survives the restart, so we can see the conversation resume.
	srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	s := newStore(t, newClient(t, srv.URL()), redis.Options{})
	var logBuf syncbuf.Buffer
	b := bot.New(loadPack(t).Engine, s, slog.New(slog.NewTextHandler(&logBuf, nil)))
	user := bot.UserKey([]byte("0123456789abcdef0123456789abcdef"), "web", "outage")
	ctx := context.Background()
	if r := talk(t, b, "web", user, "en", "hello", "2"); r.Flow != "eligibility" || r.Node != "start" {
		t.Fatalf("before the outage the bot is at %s.%s", r.Flow, r.Node)
	}

	srv.Stop()
	ev := bot.Event{Channel: "web", User: user, Lang: "en", Kind: bot.KindText, Text: "1", Time: time.Now()}
	want := b.Unavailable(ev)
	if len(want) != 1 || !strings.Contains(want[0].Text, "not available") {
		t.Fatalf("unexpected outage text %+v", want)
	}
	// More messages than the client's pool has connections, so go-redis stops dialling and
	// recovery depends on its background probe.
	for i := range 40 {
		start := time.Now()
		replies, err := b.Handle(ctx, ev)
		took := time.Since(start)
		if err == nil {
			t.Fatalf("message %d during the outage: no error", i)
		}
		if took > 2*time.Second {
			t.Fatalf("message %d during the outage took %v", i, took)
		}
		if i == 0 && (len(replies) != 1 || replies[0].Text != want[0].Text) {
			t.Fatalf("message %d during the outage got %+v, want the outage text", i, replies)
		}
		if i > 0 && len(replies) != 0 {
			t.Fatalf("message %d during the outage got %+v, want nothing: the user was told once", i, replies)
		}
		if b.Duplicate(ctx, "web", fmt.Sprint(i)) {
			t.Fatal("Duplicate during the outage reported a duplicate")
		}
	}
	if n := strings.Count(logBuf.String(), "store unavailable"); n != 1 {
		t.Fatalf("the outage was logged %d times, want once:\n%s", n, logBuf.String())
	}

	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	ev.Text = "2" // "Application rejected" to the situation question the user was at
	for {
		ev.Time = time.Now()
		replies, err := b.Handle(ctx, ev)
		if err == nil {
			if len(replies) == 0 || replies[0].Flow != "eligibility" || replies[0].Node != "othereu" {
				t.Fatalf("after the restart the conversation went to %+v, want eligibility.othereu", replies)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no normal reply 10s after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logBuf.String(), "store reachable again") {
		t.Fatalf("recovery not logged:\n%s", logBuf.String())
	}
}

// TestFrozenServer: a server that accepts connections but never answers (SIGSTOP) costs each
// message about the read timeout, not a hang.
func TestFrozenServer(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, newClient(t, srv.URL()), redis.Options{})
	b := bot.New(loadPack(t).Engine, s, quietLog())
	user := bot.UserKey([]byte("0123456789abcdef0123456789abcdef"), "web", "frozen")
	talk(t, b, "web", user, "en", "hello")
	srv.Pause()
	ev := bot.Event{Channel: "web", User: user, Lang: "en", Kind: bot.KindText, Text: "2", Time: time.Now()}
	for i := range 3 {
		start := time.Now()
		replies, err := b.Handle(context.Background(), ev)
		if took := time.Since(start); err == nil || took > 2500*time.Millisecond {
			t.Fatalf("message %d to a frozen server: err %v after %v", i, err, took)
		}
		if (i == 0) != (len(replies) == 1) || i == 0 && replies[0].Text != b.Unavailable(ev)[0].Text {
			t.Fatalf("message %d to a frozen server got %+v, want the outage text the first time only", i, replies)
		}
	}
	srv.Resume()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := b.Handle(context.Background(), ev); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no normal reply 10s after the server woke up")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pausing freezes the server (SIGSTOP) once, between reading a session and writing it, so that
// the write is sent to a server that does not answer.
type pausing struct {
	*redis.Store
	srv  *redistest.Instance
	once atomic.Bool
}

func (p *pausing) UpdateOnce(ctx context.Context, user, channel, update string, fn func(*bot.Session) error) error {
	return p.Store.UpdateOnce(ctx, user, channel, update, func(s *bot.Session) error {
		err := fn(s)
		if p.once.CompareAndSwap(true, false) {
			p.srv.Pause()
		}
		return err
	})
}

// TestWriteInDoubt: a session write sent to a frozen server times out, and the server applies it
// when it wakes. The store says so (bot.UnsureError), and the bot settles it: the redelivered
// update gets the replies of that write, once, not a second turn nor nothing. When the server
// died with the write unapplied instead, the redelivery is handled as new.
func TestWriteInDoubt(t *testing.T) {
	for _, applied := range []bool{true, false} {
		t.Run(fmt.Sprint("applied=", applied), func(t *testing.T) {
			srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
			s := &pausing{Store: newStore(t, newClient(t, srv.URL()), redis.Options{}), srv: srv}
			b := bot.New(loadPack(t).Engine, s, quietLog())
			user := bot.UserKey([]byte("0123456789abcdef0123456789abcdef"), "web", "doubt")
			ctx := context.Background()
			ev := bot.Event{Channel: "web", User: user, Lang: "en", Kind: bot.KindText, Text: "/start", Time: time.Now(), Update: "u1"}
			want, err := b.Handle(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			ev.Text, ev.Update = "/menu", "u2"
			s.once.Store(true)
			_, err = b.Handle(ctx, ev)
			var ue *bot.UnsureError
			if !errors.As(err, &ue) {
				t.Fatalf("write to a frozen server: %v, want a bot.UnsureError", err)
			}
			if applied {
				srv.Resume()
			} else {
				srv.KillFrozen()
				srv.Restart()
			}
			var got []bot.Reply
			deadline := time.Now().Add(10 * time.Second)
			for {
				got, err = b.Handle(ctx, ev) // the platform's redelivery
				if err == nil || errors.Is(err, bot.ErrDuplicate) || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("redelivery after the server came back: %v", err)
			}
			if len(got) == 0 || len(got) != len(want) || got[len(got)-1].Node != want[len(want)-1].Node {
				t.Fatalf("redelivery got %+v, want the menu", got)
			}
			if again, err := b.Handle(ctx, ev); !errors.Is(err, bot.ErrDuplicate) || len(again) != 0 {
				t.Fatalf("second redelivery: %v %+v, want a duplicate", err, again)
			}
			var turn uint64
			peek := errors.New("peek")
			_ = s.Store.Update(ctx, user, func(sess *bot.Session) error { turn = sess.Turn; return peek })
			if turn != 2 {
				t.Fatalf("session turn %d, want 2: the update was applied %s", turn, map[bool]string{true: "twice", false: "not at all"}[turn > 2])
			}
		})
	}
}

// TestReserve: a burst goes at once, then each call waits one interval longer; keys are
// independent; two stores (two replicas) draw from the same bucket; the bucket's key has a TTL.
func TestReserve(t *testing.T) { testReserve(t, single(t)) }

// TestAdmit runs the bot.Admitter contract on a single node: two stores, as two replicas.
func TestAdmit(t *testing.T) { testAdmit(t, single(t)) }

func testAdmit(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	var n atomic.Int64
	limitertest.Run(t, func(t *testing.T) (bot.Admitter, bot.Admitter) {
		opt := redis.Options{Prefix: fmt.Sprintf("rb:a%d:", n.Add(1))}
		return newStore(t, newClient(t), opt), newStore(t, newClient(t), opt)
	})
	c := newClient(t)
	s := newStore(t, c, redis.Options{})
	if d, err := s.Admit(context.Background(), bot.Bucket{Key: "web:id:t", PerSecond: 1, Burst: 2}); err != nil || d != 0 {
		t.Fatalf("admit: %v, %v", d, err)
	}
	if ttl := c.PTTL(context.Background(), "rb:rl:{admit}:web:id:t").Val(); ttl <= 0 || ttl > 2*time.Second {
		t.Errorf("admission key TTL %v, want (0, 2s]", ttl)
	}
}

func testReserve(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	c := newClient(t)
	a := newStore(t, c, redis.Options{})
	b := newStore(t, newClient(t), redis.Options{})
	ctx := context.Background()
	const perSecond, burst = 10, 3
	interval := time.Second / perSecond
	var waits []time.Duration
	for i := range 8 {
		s := a
		if i%2 == 1 {
			s = b
		}
		d, err := s.Reserve(ctx, "tg:chat:x", perSecond, burst)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, d)
	}
	t.Logf("waits: %v", waits)
	for i, d := range waits {
		want := time.Duration(max(i+1-burst, 0)) * interval
		// Redis's clock runs on between calls, so a wait may be a little shorter.
		if d > want || d < want-50*time.Millisecond {
			t.Errorf("call %d: wait %v, want about %v", i+1, d, want)
		}
	}
	if d, _ := a.Reserve(ctx, "tg:chat:y", perSecond, burst); d != 0 {
		t.Errorf("another key waits %v", d)
	}
	ttl := c.PTTL(ctx, "rb:rl:tg:chat:x").Val()
	if ttl <= 0 || ttl > 2*time.Second {
		t.Errorf("rate limit key TTL %v", ttl)
	}
	if d, _ := a.Reserve(ctx, "free", 0, 1); d != 0 {
		t.Errorf("no rate (0/s) waits %v", d)
	}
}

// TestUpdateOnceSet: UpdateOnce costs no round trip more than Update (one, as this store wrote
// the session last); the user's update set
// holds digests, never the ids, stays within MaxUpdatesKept and bot.DedupeTTL, and outlives Erase
// (so a replay after "forget me" is still a duplicate) until its TTL ends it.
func TestUpdateOnceSet(t *testing.T) { testUpdateOnceSet(t, single(t)) }

func testUpdateOnceSet(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	c := newClient(t)
	s := newStore(t, c, redis.Options{})
	ctx := context.Background()
	touch := func(sess *bot.Session) error { sess.Seen++; return nil }
	if err := s.UpdateOnce(ctx, "u", "whatsapp", "wamid.first", touch); err != nil {
		t.Fatal(err)
	}
	calls := countCalls(c)
	const n = redis.MaxUpdatesKept + 400
	for i := range n {
		if err := s.UpdateOnce(ctx, "u", "whatsapp", fmt.Sprintf("wamid.%d", i), touch); err != nil {
			t.Fatal(err)
		}
	}
	if got := calls.count(); got != n {
		t.Fatalf("%d updates made %d round trips, want %d (one each: the store wrote the session last)", n, got, n)
	}
	key := s.UserKey("u", redis.UpdatesSuffix)
	// The set is cut back now and then (one write in 16 at random), not on every write: 200
	// writes without a cut happen once in 400,000 runs.
	if got := c.ZCard(ctx, key).Val(); got < redis.MaxUpdatesKept || got > redis.MaxUpdatesKept+200 {
		t.Errorf("update set holds %d, want the latest %d and a few more between trims", got, redis.MaxUpdatesKept)
	}
	if ttl := c.PTTL(ctx, key).Val(); ttl <= 0 || ttl > bot.DedupeTTL {
		t.Errorf("update set TTL %v", ttl)
	}
	for _, m := range c.ZRange(ctx, key, 0, -1).Val() {
		if strings.Contains(m, "wamid") || len(m) != 22 {
			t.Fatalf("update set member %q is not a digest", m)
		}
	}
	// The newest are kept: the last one is still a duplicate, the first one is not any more.
	if err := s.UpdateOnce(ctx, "u", "whatsapp", fmt.Sprintf("wamid.%d", n-1), touch); !errors.Is(err, bot.ErrDuplicate) {
		t.Errorf("latest update again: %v, want ErrDuplicate", err)
	}
	if err := s.UpdateOnce(ctx, "u", "whatsapp", "wamid.first", touch); err != nil {
		t.Errorf("an update pushed out of the set: %v", err)
	}
	if err := s.Erase(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if c.Exists(ctx, key).Val() != 1 {
		t.Error("Erase deleted the update set: a replayed update would be handled again")
	}
	if ttl := c.PTTL(ctx, key).Val(); ttl <= 0 || ttl > bot.DedupeTTL {
		t.Errorf("update set TTL after Erase %v", ttl)
	}
}

// TestLease: one call takes a block of tokens of one bucket; token i may go i intervals after
// the first, the bucket's room counted; the next call (another store's) queues behind the
// whole block; past the horizon nothing is taken. The bucket is ReserveAll's.
func TestLease(t *testing.T) { testLease(t, single(t)) }

func testLease(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	c := newClient(t)
	a := newStore(t, c, redis.Options{})
	b := newStore(t, newClient(t), redis.Options{})
	ctx := context.Background()
	ms := time.Millisecond
	global := bot.Bucket{Key: "tg:global", PerSecond: 20, Burst: 2} // one per 50 ms, two at once
	near := func(what string, got, want time.Duration) {
		t.Helper()
		// Redis's clock runs on between calls, so a time may be a little earlier.
		if got > want || got < want-50*ms {
			t.Errorf("%s: %v, want about %v", what, got, want)
		}
	}
	first, n, err := a.Lease(ctx, global, 3)
	if err != nil || n != 3 {
		t.Fatalf("first lease: %d tokens, %v", n, err)
	}
	near("first lease's first token", first, -50*ms) // the burst's room: tokens at 0, 0, 50 ms
	first, n, err = b.Lease(ctx, global, 1)
	if err != nil || n != 1 {
		t.Fatalf("second lease: %d tokens, %v", n, err)
	}
	near("second lease, behind the first's three", first, 100*ms)
	if d, err := a.ReserveAll(ctx, global); err != nil {
		t.Fatal(err)
	} else {
		near("a single reservation after both", d, 150*ms)
	}
	if ttl := c.PTTL(ctx, "rb:rl:{paced}:tg:global").Val(); ttl <= 0 || ttl > 2*time.Second {
		t.Errorf("bucket TTL %v", ttl)
	}
	slow := bot.Bucket{Key: "tg:slow", PerSecond: 1, Burst: 1}
	if _, n, _ := a.Lease(ctx, slow, int(redis.ReserveHorizon/time.Second)+5); n == 0 {
		t.Fatal("a lease past the horizon from an empty bucket took nothing")
	}
	if first, n, err := a.Lease(ctx, slow, 1); err != nil || n != 0 || first < redis.ReserveHorizon {
		t.Errorf("a lease past the horizon: %d tokens at %v, %v; want none", n, first, err)
	}
	if _, n, err := a.Lease(ctx, bot.Bucket{Key: "free"}, 7); err != nil || n != 7 {
		t.Errorf("no rate: %d tokens, %v", n, err)
	}
}

// TestTurnLog: MarkDelivered records a turn with the session's TTL and never moves the record
// back: a lower turn marked late leaves the higher one.
func TestTurnLog(t *testing.T) { testTurnLog(t, single(t)) }

func testTurnLog(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	c := newClient(t)
	s := newStore(t, c, redis.Options{TTL: time.Hour})
	ctx := context.Background()
	for _, st := range []struct{ mark, want uint64 }{{1, 1}, {5, 5}, {3, 5}, {6, 6}} {
		if err := s.MarkDelivered(ctx, "u", st.mark); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeliveredTurn(ctx, "u"); err != nil || n != st.want {
			t.Errorf("after marking %d: %d, %v; want %d", st.mark, n, err, st.want)
		}
		if ttl := c.PTTL(ctx, s.UserKey("u", redis.TurnSuffix)).Val(); ttl <= 0 || ttl > time.Hour {
			t.Errorf("after marking %d: TTL %v", st.mark, ttl)
		}
	}
	if n, err := s.DeliveredTurn(ctx, "nobody"); err != nil || n != 0 {
		t.Errorf("no record: %d, %v", n, err)
	}
}

// TestReserveAll: one call takes a token of each bucket, each asked at the time the buckets
// before it let the message go, and records the time the message really goes; past the horizon
// no bucket gives a token. Two stores share the buckets, which live in one cluster slot.
func TestReserveAll(t *testing.T) { testReserveAll(t, single(t)) }

func testReserveAll(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	c := newClient(t)
	a := newStore(t, c, redis.Options{})
	b := newStore(t, newClient(t), redis.Options{})
	ctx := context.Background()
	ms := time.Millisecond
	chat := func(name string, burst int) bot.Bucket {
		return bot.Bucket{Key: "tg:chat:" + name, PerSecond: 10, Burst: burst} // one per 100 ms
	}
	global := bot.Bucket{Key: "tg:global", PerSecond: 20, Burst: 1} // one per 50 ms
	steps := []struct {
		chat bot.Bucket
		want time.Duration
	}{
		{chat("a", 2), 0},
		{chat("a", 2), 50 * ms},  // a's burst has room; the global bucket has not
		{chat("a", 2), 100 * ms}, // both agree on 100 ms
		{chat("b", 2), 150 * ms}, // a new chat, behind the global bucket
		{chat("a", 2), 200 * ms},
		{chat("c", 1), 250 * ms}, // c's token is taken at 250 ms, when the message goes...
		{chat("c", 1), 350 * ms}, // ...so c's next is 100 ms after that, not after 0
	}
	for i, st := range steps {
		s := []*redis.Store{a, b}[i%2]
		d, err := s.ReserveAll(ctx, st.chat, global)
		if err != nil {
			t.Fatal(err)
		}
		// Redis's clock runs on between calls, so a wait may be a little shorter.
		if d > st.want || d < st.want-50*ms {
			t.Errorf("message %d (%s): wait %v, want about %v", i+1, st.chat.Key, d, st.want)
		}
	}
	for _, k := range []string{"rb:rl:{paced}:tg:global", "rb:rl:{paced}:tg:chat:a"} {
		if ttl := c.PTTL(ctx, k).Val(); ttl <= 0 || ttl > 2*time.Second {
			t.Errorf("%s: TTL %v", k, ttl)
		}
	}
	// A bucket without a rate takes no part.
	if d, err := a.ReserveAll(ctx, bot.Bucket{Key: "free", PerSecond: 0, Burst: 1}, chat("d", 1)); err != nil || d != 0 {
		t.Errorf("free bucket and a new chat: %v, %v", d, err)
	}
	// Past the horizon: told the wait, no token taken from any bucket.
	slow := bot.Bucket{Key: "slow", PerSecond: 1 / redis.ReserveHorizon.Seconds() / 2, Burst: 1}
	if d, _ := a.ReserveAll(ctx, chat("e", 1), slow); d != 0 {
		t.Fatalf("first token of a slow bucket: wait %v", d)
	}
	for range 2 {
		if d, _ := a.ReserveAll(ctx, chat("e", 1), slow); d < redis.ReserveHorizon {
			t.Fatalf("past the horizon: wait %v", d)
		}
	}
	// Only the first call took a token of chat e: its next message is one interval away, not three.
	if d, _ := a.ReserveAll(ctx, chat("e", 1)); d > 100*ms || d < 50*ms {
		t.Errorf("chat e after one token and two refused calls: wait %v, want about 100ms", d)
	}
}

// TestReserveHorizon: past ReserveHorizon a call takes no token but is told how long its turn
// is away; once the caller waits, tokens are handed out again.
func TestReserveHorizon(t *testing.T) {
	s := newStore(t, newClient(t, redistest.Server(t)), redis.Options{})
	ctx := context.Background()
	// One token per 20 s: the third call is already beyond the one-minute horizon.
	var waits []time.Duration
	for range 6 {
		d, err := s.Reserve(ctx, "slow", 0.05, 1)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, d)
	}
	t.Logf("waits: %v", waits)
	for i, want := range []time.Duration{0, 20 * time.Second, 40 * time.Second, 60 * time.Second, 80 * time.Second, 80 * time.Second} {
		if d := waits[i]; d > want || d < want-time.Second {
			t.Errorf("call %d waits %v, want about %v", i+1, d, want)
		}
	}
}

func TestNewClientErrors(t *testing.T) {
	if _, err := redis.NewClient("redis://user:s3cret@[::1:6379"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad URL: %v", err)
	}
	if _, err := redis.NewClient("http://localhost"); err == nil {
		t.Error("http:// accepted")
	}
	if _, err := redis.NewClusterClient([]string{" ", ""}); err == nil {
		t.Error("empty cluster address list accepted")
	}
	if _, err := redis.NewClusterClient([]string{"localhost"}); err == nil {
		t.Error("address without port accepted")
	}
	cc, err := redis.NewClusterClient([]string{"redis://:pw@127.0.0.1:7000", "redis://127.0.0.1:7001", "127.0.0.1:7002"})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if o := cc.Options(); len(o.Addrs) != 3 || o.Password != "pw" || o.ReadTimeout != redis.IOTimeout {
		t.Errorf("cluster options: addrs %v, password %q, read timeout %v", o.Addrs, o.Password, o.ReadTimeout)
	}
}

// TestPing checks a node (every master of a cluster), and fails fast when nothing listens.
func TestPing(t *testing.T) {
	testPing(t, single(t))
	s := newStore(t, newClient(t, "redis://127.0.0.1:1"), redis.Options{})
	start := time.Now()
	if err := s.Ping(context.Background()); err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("Ping of a closed port: %v after %v", err, time.Since(start))
	}
}

func testPing(t *testing.T, newClient func(*testing.T) goredis.UniversalClient) {
	if err := newStore(t, newClient(t), redis.Options{}).Ping(context.Background()); err != nil {
		t.Error(err)
	}
}

// BenchmarkUpdate measures one Update (GET + EVALSHA) against a local single node, the hot path
// of every message, and reports the round trips per Update.
func BenchmarkUpdate(b *testing.B) {
	c := newClient(b, redistest.Server(b))
	calls := countCalls(c)
	s := newStore(b, c, redis.Options{})
	benchUpdates(b, s, calls)
}

// BenchmarkUpdateCluster is BenchmarkUpdate on a three-node cluster.
func BenchmarkUpdateCluster(b *testing.B) {
	c := newClusterClient(b, redistest.Cluster(b))
	calls := countCalls(c)
	s := newStore(b, c, redis.Options{})
	benchUpdates(b, s, calls)
}

func benchUpdates(b *testing.B, s *redis.Store, calls *callCounter) {
	ctx := context.Background()
	sess := bot.Session{Lang: "en", Flow: "eligibility", Node: "before", Trail: []string{"main.menu", "eligibility.start", "eligibility.applied", "eligibility.othereu"},
		Answers: map[string]string{"residence": "no", "application": "rejected", "othereu": "no"}, Topics: []string{"eligibility"}}
	fn := func(st *bot.Session) error {
		if st.Flow == "" {
			*st = sess
		}
		st.Seen++
		return nil
	}
	if err := s.Update(ctx, "bench", fn); err != nil {
		b.Fatal(err)
	}
	calls.take()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := s.Update(ctx, "bench", fn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(calls.count())/float64(b.N), "roundtrips/op")
}

// BenchmarkUpdateParallel runs Updates of different users from many goroutines.
func BenchmarkUpdateParallel(b *testing.B) {
	s := newStore(b, newClient(b, redistest.Server(b)), redis.Options{})
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		user := fmt.Sprint("user", n.Add(1))
		for pb.Next() {
			if err := s.Update(context.Background(), user, func(st *bot.Session) error { st.Seen++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSeen measures the dedupe check of every incoming update.
func BenchmarkSeen(b *testing.B) {
	s := newStore(b, newClient(b, redistest.Server(b)), redis.Options{})
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		if _, err := s.Dedupe(context.Background(), "telegram", fmt.Sprint(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// ---- helpers

func newClient(t testing.TB, url string) *goredis.Client {
	t.Helper()
	c, err := redis.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newClusterClient(t testing.TB, addrs []string) *goredis.ClusterClient {
	t.Helper()
	c, err := redis.NewClusterClient(addrs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newStore(t testing.TB, c goredis.UniversalClient, opt redis.Options) *redis.Store {
	t.Helper()
	s, err := redis.New(c, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	packOnce sync.Once
	pack     *flow.Pack
	packErr  error
)

// loadPack loads the real content once per test binary.
func loadPack(t testing.TB) *flow.Pack {
	t.Helper()
	packOnce.Do(func() { pack, packErr = flow.Load(flows.FS, locales.FS) })
	if packErr != nil {
		t.Fatalf("the default content does not load: %v", packErr)
	}
	return pack
}

// talk sends each text as the user and returns the last reply.
func talk(t *testing.T, b *bot.Bot, channel, user, lang string, texts ...string) bot.Reply {
	t.Helper()
	var last bot.Reply
	for _, text := range texts {
		replies, err := b.Handle(context.Background(), bot.Event{Channel: channel, User: user, Lang: lang, Kind: bot.KindText, Text: text, Time: time.Now()})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if len(replies) > 0 {
			last = replies[len(replies)-1]
		}
	}
	return last
}

func read(t *testing.T, s bot.Store, user string, into *bot.Session) {
	t.Helper()
	errRead := errors.New("read only")
	if err := s.Update(context.Background(), user, func(sess *bot.Session) error { *into = *sess; return errRead }); err != errRead {
		t.Fatal(err)
	}
}

// scanAll lists every key on every node (every master of a cluster).
func scanAll(t *testing.T, c goredis.UniversalClient) []string {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, n *goredis.Client) error {
		it := n.Scan(ctx, 0, "*", 100).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			keys = append(keys, it.Val())
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	switch c := c.(type) {
	case *goredis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *goredis.Client:
		err = scan(ctx, c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// callCounter is a go-redis hook that records every command sent (a pipeline counts once): one
// entry is one round trip.
type callCounter struct {
	n     atomic.Int64
	mu    sync.Mutex
	calls []string
}

func countCalls(c goredis.UniversalClient) *callCounter {
	cc := &callCounter{}
	c.AddHook(cc)
	return cc
}

func (c *callCounter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	c.n.Store(0)
	return out
}

// count returns the number of round trips since the last take or count, and starts again.
func (c *callCounter) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
	return c.n.Swap(0)
}

func (c *callCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (c *callCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if c.n.Add(1) < 1000 { // enough for the tests; benchmarks only count
			c.mu.Lock()
			c.calls = append(c.calls, cmd.Name())
			c.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook records a pipeline of one command (the store's batches when nothing else
// runs) under the command's name: it is that command's round trip.
func (c *callCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if c.n.Add(1) < 1000 {
			name := "pipeline"
			if len(cmds) == 1 {
				name = cmds[0].Name()
			}
			c.mu.Lock()
			c.calls = append(c.calls, name)
			c.mu.Unlock()
		}
		return next(ctx, cmds)
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(discard{}, nil)) }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestCorruptSessionStartsAfresh: unreadable bytes in a session do not lock the user out until
// the TTL; a session from a newer version (a rolling upgrade) is left untouched.
func TestCorruptSessionStartsAfresh(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	b := bot.New(loadPack(t).Engine, s, quietLog())
	ctx := context.Background()
	key := s.UserKey("corrupt", redis.SessionSuffix)
	c.Set(ctx, key, "\x01\xff\xff\xff\xffgarbage-and-a-stamp", time.Hour)
	last := talk(t, b, "telegram", "corrupt", "en", "hello")
	if last.Flow != "main" {
		t.Fatalf("after a corrupt session the user got %+v, want the menu", last)
	}
	newer := "\x09future-format-bytes" + "stmp"
	c.Set(ctx, s.UserKey("newer", redis.SessionSuffix), newer, time.Hour)
	replies, err := b.Handle(ctx, bot.Event{Channel: "telegram", User: "newer", Lang: "en", Text: "hello", Time: time.Now()})
	if !errors.Is(err, bot.ErrNewerSession) || len(replies) != 1 {
		t.Fatalf("newer session: err %v, replies %+v", err, replies)
	}
	if got := c.Get(ctx, s.UserKey("newer", redis.SessionSuffix)).Val(); got != newer {
		t.Fatalf("a newer-format session was overwritten: %q", got)
	}
}

// TestConcurrentCommandsShareRoundTrips: commands of concurrent callers travel together (the
// store's batches), each caller still gets its own answer, and a caller whose context ends
// before its command is sent gets the context's error.
func TestConcurrentCommandsShareRoundTrips(t *testing.T) {
	c := newClient(t, redistest.Server(t))
	s := newStore(t, c, redis.Options{})
	calls := countCalls(c)
	const users, steps = 64, 20
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range steps {
				if err := s.Update(context.Background(), fmt.Sprint("user", u), func(sess *bot.Session) error {
					sess.Seen++
					sess.Lang = fmt.Sprint("l", u)
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	trips := calls.count()
	t.Logf("%d commands in %d round trips", users*steps*2, trips)
	if trips >= users*steps*2 {
		t.Errorf("%d commands took %d round trips: none shared", users*steps*2, trips)
	}
	for u := range users {
		var sess bot.Session
		read(t, s, fmt.Sprint("user", u), &sess)
		if sess.Seen != steps || sess.Lang != fmt.Sprint("l", u) {
			t.Fatalf("user %d: %+v, want %d steps in its own language", u, sess, steps)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.DeliveredTurn(ctx, "user1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	s.Close()
	if _, err := s.DeliveredTurn(context.Background(), "user1"); err == nil {
		t.Error("a closed store answered")
	}
}

// A caller's deadline holds while Redis sits on its answer: it gets the context's error in time,
// and the store answers normally once Redis does.
func TestCallerDeadlineHoldsWhileRedisStalls(t *testing.T) {
	url := redistest.Server(t)
	c := newClient(t, url)
	s := newStore(t, c, redis.Options{})
	ctx := context.Background()
	if err := s.MarkDelivered(ctx, "u", 3); err != nil {
		t.Fatal(err)
	}
	if err := newClient(t, url).Do(ctx, "client", "pause", 700, "all").Err(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	if _, err := s.DeliveredTurn(short, "u"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with Redis paused: %v, want the deadline", err)
	}
	if d := time.Since(began); d > 400*time.Millisecond {
		t.Errorf("the caller waited %v with a 100ms deadline", d)
	}
	if n, err := s.DeliveredTurn(ctx, "u"); err != nil || n != 3 {
		t.Fatalf("after the pause: %d, %v", n, err)
	}
}
