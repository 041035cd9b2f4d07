package whatsapp_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// replicaWords is what each user writes in TestReplicasKeepOrder: every message changes the
// session, so every one has a turn.
var replicaWords = []string{"/start", "hello", "/menu", "hello", "/menu", "/start"}

// TestReplicasKeepOrder runs three adapters (replicas) on one redis-server, each with its own
// path to the Graph API; the first replica's path is slow (40 ms a message). Every user writes
// a message, waits for Meta's 200 (the message is handled, its replies on their way) and writes
// the next to the next replica. Each user's replies must arrive exactly as one process sends
// them: a later message's replies, sent by a fast replica, wait for the earlier ones sent by the
// slow one (bot/deliver's turn order across replicas). Before the delivery runtime, WhatsApp
// ordered replies only within one process and this arrived out of order.
func TestReplicasKeepOrder(t *testing.T) {
	const users = 6
	ref := setup(t, nil)
	for i := range users {
		for _, w := range replicaWords {
			ref.deliver(t, from(replicaNumber(i), w))
		}
	}
	want := byUser(ref.g.take())

	c, err := redis.NewClient(redistest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	store, err := redis.New(c, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	g := &graph{}
	var replicas []*env
	for i := range 3 {
		delay := time.Duration(0)
		if i == 0 {
			delay = 40 * time.Millisecond
		}
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(delay)
			g.ServeHTTP(w, r)
		}))
		t.Cleanup(front.Close)
		a := whatsapp.New(whatsapp.Config{
			Bot: bot.New(testPack(t).Engine, store, nil), Secret: []byte("pseudonym-secret"),
			Token: "TOKEN", PhoneNumberID: phoneID, AppSecret: appSecret, VerifyToken: "verify-me",
			Endpoint: front.URL + "/v21.0", Backoff: time.Millisecond,
			Queue: store.DeliveryQueue(whatsapp.Channel), Limiter: store, Window: store.Window(time.Hour),
			Log: slog.New(slog.DiscardHandler),
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); a.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		replicas = append(replicas, &env{a: a, g: g, h: routes(a)})
	}

	bodies := make([][][]byte, users) // built here: from numbers messages from a shared counter
	for i := range users {
		for _, w := range replicaWords {
			bodies[i] = append(bodies[i], from(replicaNumber(i), w))
		}
	}
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j, body := range bodies[i] {
				// Users start on different replicas, so that every replica sends first turns too.
				if code := replicas[(i+j)%3].post(body); code != http.StatusOK {
					t.Errorf("user %d message %d: webhook answered %d", i, j, code)
					return
				}
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, r := range replicas {
		if err := r.a.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := byUser(g.take())
	for to, w := range want {
		if !slices.Equal(got[to], w) {
			t.Errorf("user %s got %d messages, want %d, in order:\n got %q\nwant %q", to[len(to)-2:], len(got[to]), len(w), got[to], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d users got messages, want %d", len(got), len(want))
	}
}

func replicaNumber(i int) string { return fmt.Sprintf("4477009003%02d", i) }
