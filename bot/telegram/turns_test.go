package telegram_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// Two replicas on one Redis each handle one of a user's updates. The first replica's send is
// held up by a 429; the second must not overtake it: the chat gets the replies in the order of
// the updates, as from a single process.
func TestRepliesKeepTurnOrderAcrossReplicas(t *testing.T) {
	store := sharedStore(t)
	srv := telegramtest.NewServer(t)
	a := startWith(t, webhook, srv, store)
	b := startWith(t, webhook, srv, store)

	const chat, ref = 5001, 5002
	updates := func(chat int64, first int64) [][]byte {
		return [][]byte{
			msg(first, chat, "en", "/start"),
			msg(first+1, chat, "en", "where is the office"),
			msg(first+2, chat, "en", "/menu"),
		}
	}

	// What a single process sends for the same updates.
	single := start(t, webhook)
	for _, u := range updates(ref, 100) {
		single.turn(ref, u)
	}
	want := texts(single.sent(ref))

	srv.Fail("sendMessage", chat, 1, telegramtest.Fault{Code: 429, RetryAfter: 1})
	for i, u := range updates(chat, 200) {
		// Straight to each replica's own webhook, as a load balancer would.
		r := []*harness{a, b}[i%2]
		if code := r.srv.PostTo(r.hookU, hookSecret, u); code != 200 {
			t.Fatalf("update %d: webhook answered %d", i, code)
		}
	}
	got := texts(a.waitSent(chat, len(want)))
	time.Sleep(50 * time.Millisecond) // nothing more may come
	if got = texts(a.sent(chat)); !slices.Equal(got, want) {
		t.Fatalf("replies across replicas:\n got %q\nwant %q", got, want)
	}
	if n := a.ad.Stats().TurnTimeouts + b.ad.Stats().TurnTimeouts; n != 0 {
		t.Errorf("%d turns gave up waiting", n)
	}
}

// A replica that stops before sending a turn must not silence the chat: the next turn waits at
// most TurnWait, then goes out.
func TestTurnWaitIsBounded(t *testing.T) {
	store := sharedStore(t)
	srv := telegramtest.NewServer(t)
	a := startWith(t, webhook, srv, store, func(c *telegram.Config) { c.TurnWait = 200 * time.Millisecond })
	const chat = 5003
	// Turn 1 is taken straight in the store, as by a replica that died before sending it.
	if _, _, err := a.bot.HandleTurn(t.Context(), bot.Event{
		Channel: telegram.Channel, User: key(chat), Lang: "en", Kind: bot.KindText, Text: "/start", Time: time.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	if s := a.session(key(chat)); s.Turn != 1 {
		t.Fatalf("turn after the first event = %d", s.Turn)
	}
	a.deliver(msg(301, chat, "en", "/menu"))
	if s := a.session(key(chat)); s.Turn != 2 {
		t.Fatalf("turn after the second event = %d", s.Turn)
	}
	if got := a.waitSent(chat, 1); len(got) == 0 {
		t.Fatal("turn 2 never sent")
	}
	if n := a.ad.Stats().TurnTimeouts; n != 1 {
		t.Fatalf("TurnTimeouts = %d, want 1\n%s", n, a.logs)
	}
}

// slowTurn is a store whose Update returns late (after the write) for one turn, as when the
// handler of a user's update is descheduled between saving the session and queueing its replies.
type slowTurn struct {
	*redis.Store
	turn  uint64
	delay time.Duration
}

func (s *slowTurn) UpdateOnce(ctx context.Context, user, channel, update string, fn func(*bot.Session) error) error {
	var turn uint64
	err := s.Store.UpdateOnce(ctx, user, channel, update, func(sess *bot.Session) error {
		err := fn(sess)
		turn = sess.Turn
		return err
	})
	if turn == s.turn {
		time.Sleep(s.delay)
	}
	return err
}

// Three updates of one chat in a burst: turn 1 and turn 3 on replica B, turn 2 on A. B queues
// turn 3 before turn 1 (turn 1's handler was slow) and starts waiting for turn 2, which waits on
// A for turn 1, which sits behind turn 3 in B's queue. B must send turn 1 first instead of
// holding both queues until TurnWait.
func TestEarlierTurnQueuedLateIsSentFirst(t *testing.T) {
	store := sharedStore(t)
	srv := telegramtest.NewServer(t)
	wait := func(c *telegram.Config) { c.TurnWait = 5 * time.Second }
	a := startWith(t, webhook, srv, store, wait)
	b := startWith(t, webhook, srv, &slowTurn{Store: store, turn: 1, delay: 400 * time.Millisecond}, wait)

	const chat, ref = 5011, 5012
	updates := func(chat, first int64) [][]byte {
		return [][]byte{
			msg(first, chat, "en", "/start"),
			msg(first+1, chat, "en", "where is the office"),
			msg(first+2, chat, "en", "/menu"),
		}
	}
	single := start(t, webhook)
	for _, u := range updates(ref, 400) {
		single.turn(ref, u)
	}
	want := texts(single.sent(ref))

	us := updates(chat, 500)
	first := make(chan int, 1)
	go func() { first <- b.srv.PostTo(b.hookU, hookSecret, us[0]) }()
	time.Sleep(100 * time.Millisecond) // turn 1 is saved; its handler sleeps
	if code := a.srv.PostTo(a.hookU, hookSecret, us[1]); code != 200 {
		t.Fatalf("turn 2: webhook answered %d", code)
	}
	if code := b.srv.PostTo(b.hookU, hookSecret, us[2]); code != 200 {
		t.Fatalf("turn 3: webhook answered %d", code)
	}
	if code := <-first; code != 200 {
		t.Fatalf("turn 1: webhook answered %d", code)
	}
	start := time.Now()
	a.waitSent(chat, len(want))
	took := time.Since(start)
	time.Sleep(50 * time.Millisecond)
	if got := texts(a.sent(chat)); !slices.Equal(got, want) {
		t.Fatalf("replies across replicas:\n got %q\nwant %q", got, want)
	}
	if n := a.ad.Stats().TurnTimeouts + b.ad.Stats().TurnTimeouts; n != 0 || took > 3*time.Second {
		t.Errorf("%d turns gave up waiting; the replies took %v", n, took)
	}
}

// failingTurnLog is a store whose turn log cannot be read for its first fails reads.
type failingTurnLog struct {
	*redis.Store
	fails atomic.Int32
}

func (s *failingTurnLog) DeliveredTurn(ctx context.Context, user string) (uint64, error) {
	if s.fails.Add(-1) >= 0 {
		return 0, errors.New("turn log down")
	}
	return s.Store.DeliveredTurn(ctx, user)
}

// While the turn log cannot be read for a moment (Redis restarting), a replica still waits for
// the turn before, within TurnWait, instead of overtaking it.
func TestTurnLogOutageKeepsOrder(t *testing.T) {
	store := sharedStore(t)
	srv := telegramtest.NewServer(t)
	a := startWith(t, webhook, srv, store)
	flaky := &failingTurnLog{Store: store}
	flaky.fails.Store(5)
	b := startWith(t, webhook, srv, flaky)

	const chat, ref = 5021, 5022
	updates := func(chat, first int64) [][]byte {
		return [][]byte{msg(first, chat, "en", "/start"), msg(first+1, chat, "en", "where is the office")}
	}
	single := start(t, webhook)
	for _, u := range updates(ref, 600) {
		single.turn(ref, u)
	}
	want := texts(single.sent(ref))

	// Turn 1 on A is held up by a 429; turn 2 on B finds the turn log down.
	srv.Fail("sendMessage", chat, 1, telegramtest.Fault{Code: 429, RetryAfter: 1})
	us := updates(chat, 700)
	if code := a.srv.PostTo(a.hookU, hookSecret, us[0]); code != 200 {
		t.Fatalf("turn 1: webhook answered %d", code)
	}
	if code := b.srv.PostTo(b.hookU, hookSecret, us[1]); code != 200 {
		t.Fatalf("turn 2: webhook answered %d", code)
	}
	a.waitSent(chat, len(want))
	time.Sleep(50 * time.Millisecond)
	if got := texts(a.sent(chat)); !slices.Equal(got, want) {
		t.Fatalf("replies while the turn log was down:\n got %q\nwant %q", got, want)
	}
	if flaky.fails.Load() >= 0 {
		t.Fatalf("the turn log was read %d times fewer than expected", flaky.fails.Load()+1)
	}
}

// lostWrite is a store that saves one turn but reports the write in doubt, as when Redis dies
// between applying a write and answering it.
type lostWrite struct {
	*redis.Store
	turn uint64
}

func (s *lostWrite) UpdateOnce(ctx context.Context, user, channel, update string, fn func(*bot.Session) error) error {
	var turn uint64
	err := s.Store.UpdateOnce(ctx, user, channel, update, func(sess *bot.Session) error {
		err := fn(sess)
		turn = sess.Turn
		return err
	})
	if err == nil && turn == s.turn {
		return &bot.UnsureError{Err: errors.New("connection reset after the write"),
			Applied: func(context.Context) (bool, error) { return true, nil }}
	}
	return err
}

// A turn saved by a write whose answer was lost gets the outage notice and a 503; Telegram
// delivers it again, to another replica, which finds it handled. Its replies still go out, once,
// from the replica that settles the write, in their place: the chat's next turn, on the other
// replica, waits for them, and not TurnWait.
func TestLostWriteRepliesOnceInOrder(t *testing.T) {
	store := sharedStore(t)
	srv := telegramtest.NewServer(t)
	wait := func(c *telegram.Config) { c.TurnWait = 5 * time.Second }
	a := startWith(t, webhook, srv, &lostWrite{Store: store, turn: 2}, wait)
	b := startWith(t, webhook, srv, store, wait)

	const chat, ref = 5031, 5032
	updates := []string{"/start", "where is the office", "/menu"}
	single := start(t, webhook)
	for i, u := range updates {
		single.turn(ref, msg(900+int64(i), ref, "en", u))
	}
	want := texts(single.sent(ref))

	post := func(r *harness, i int, wantCode int) {
		t.Helper()
		if code := r.srv.PostTo(r.hookU, hookSecret, msg(800+int64(i), chat, "en", updates[i])); code != wantCode {
			t.Fatalf("update %d: webhook answered %d, want %d", i, code, wantCode)
		}
	}
	post(b, 0, 200)
	b.waitSent(chat, 1)
	post(a, 1, http.StatusServiceUnavailable) // saved, answer lost
	post(b, 1, 200)                           // Telegram's redelivery: a duplicate
	start := time.Now()
	post(b, 2, 200)
	got := texts(a.waitSent(chat, len(want)+1))
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("turn 3 waited %v for turn 2", took)
	}
	if s := a.session(key(chat)); s.Turn != 3 {
		t.Errorf("session turn = %d, want 3 (turn 2 was saved once)", s.Turn)
	}
	notice := text(t, "en", bot.MsgUnavailable)
	if i := slices.Index(got, notice); i < 0 || !slices.Equal(slices.Delete(slices.Clone(got), i, i+1), want) {
		t.Errorf("replies = %q, want %q with the outage notice once", got, want)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(a.sent(chat)); n != len(want)+1 {
		t.Errorf("%d messages reached the chat, want %d", n, len(want)+1)
	}
	if n := a.ad.Stats().TurnTimeouts + b.ad.Stats().TurnTimeouts; n != 0 {
		t.Errorf("%d turns gave up waiting", n)
	}
}

// sharedStore is the Redis store replicas share, on a private redis-server.
func sharedStore(t *testing.T) *redis.Store {
	t.Helper()
	c, err := redis.NewClient(redistest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	store, err := redis.New(c, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// countingLog counts the turn log reads a sender makes.
type countingLog struct {
	*redis.Store
	reads atomic.Int64
}

func (c *countingLog) DeliveredTurn(ctx context.Context, user string) (uint64, error) {
	c.reads.Add(1)
	return c.Store.DeliveredTurn(ctx, user)
}

// A turn whose turn before is already recorded as delivered when the update is handled goes out
// without asking the turn log (it came with the session); one whose turn before is still on its
// way asks, and waits.
func TestClearTurnSkipsTheTurnLogRead(t *testing.T) {
	store := &countingLog{Store: sharedStore(t)}
	a := startWith(t, webhook, telegramtest.NewServer(t), store)
	const chat = 5301
	delivered := func(n uint64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if d, err := store.Store.DeliveredTurn(t.Context(), key(chat)); err == nil && d >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("turn %d never recorded", n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	a.turn(chat, msg(401, chat, "en", "/start"))
	delivered(1)
	store.reads.Store(0)
	a.turn(chat, msg(402, chat, "en", "/menu"))
	delivered(2)
	if n := store.reads.Load(); n != 0 {
		t.Fatalf("turn 2, with turn 1 delivered before it was handled, read the turn log %d times", n)
	}

	// Turn 3 is taken straight in the store, as by another replica that has not sent it yet: the log
	// lags, so turn 4 must ask it (and wait for it).
	if _, _, err := a.bot.HandleTurn(t.Context(), bot.Event{
		Channel: telegram.Channel, User: key(chat), Lang: "en", Kind: bot.KindText, Text: "/menu", Time: time.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = store.MarkDelivered(context.Background(), key(chat), 3)
	}()
	a.deliver(msg(403, chat, "en", "/menu"))
	delivered(4)
	if n := store.reads.Load(); n == 0 {
		t.Fatal("turn 4, with turn 3 not yet delivered, did not read the turn log")
	}
	if n := a.ad.Stats().TurnTimeouts; n != 0 {
		t.Fatalf("%d turns gave up waiting", n)
	}
}
