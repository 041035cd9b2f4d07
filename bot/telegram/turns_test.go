package telegram_test

import (
	"slices"
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
	c, err := redis.NewClient(redistest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	store, err := redis.New(c, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
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
		if code := telegramtest.Post(t, r.hookU, hookSecret, u); code != 200 {
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
	c, err := redis.NewClient(redistest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	store, err := redis.New(c, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
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
