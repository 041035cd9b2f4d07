package whatsapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// outage is how long the fake Graph API answers 500 in the outage tests: short, with the
// backoff scaled to it, unless RETURNBOT_OUTAGE (e.g. 20s, 5m) asks for a real-length one with
// the production backoff (1s doubling to 5min).
func outage(t *testing.T) (time.Duration, deliver.Policy) {
	if v := os.Getenv("RETURNBOT_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("RETURNBOT_OUTAGE=%q: %v", v, err)
		}
		return d, deliver.Policy{}
	}
	return 2 * time.Second, deliver.Policy{First: 20 * time.Millisecond, Max: 300 * time.Millisecond, Poll: 20 * time.Millisecond}
}

const outageUsers = 5

var outageWords = []string{"/start", "hello", "/menu"}

// from builds a delivery of one text message from a given number.
func from(number, text string) []byte {
	msgSeq++
	m := map[string]any{"from": number, "id": fmt.Sprintf("wamid.outage%d", msgSeq), "timestamp": "1698266730", "type": "text", "text": map[string]any{"body": text}}
	p := map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "1", "changes": []any{
		map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
			"metadata": map[string]any{"phone_number_id": phoneID}, "messages": []any{m}}}}}}}
	b, _ := json.Marshal(p)
	return b
}

func outageNumber(i int) string { return fmt.Sprintf("4477009002%02d", i) }

// byUser groups what the Graph API took by recipient, each message as its JSON.
func byUser(sends []sent) map[string][]string {
	out := map[string][]string{}
	for _, s := range sends {
		b, _ := json.Marshal(s.Body)
		to, _ := s.Body["to"].(string)
		out[to] = append(out[to], string(b))
	}
	return out
}

// expectedSends is what the users' messages get from a bot whose Graph API never fails.
func expectedSends(t *testing.T) map[string][]string {
	ref := setup(t, nil)
	for _, w := range outageWords {
		for i := range outageUsers {
			ref.deliver(t, from(outageNumber(i), w))
		}
	}
	return byUser(ref.g.take())
}

// TestGraphOutageDeliversEverything: the Graph API answers 500 for the outage (20 s in the
// issue; scaled unless RETURNBOT_OUTAGE is set) while users write, then recovers: every reply
// arrives exactly once, in order per user. Before the delivery queue, a reply was given up on
// after 4 tries (about 3.5 s).
func TestGraphOutageDeliversEverything(t *testing.T) {
	d, policy := outage(t)
	want := expectedSends(t)
	e := setup(t, func(c *whatsapp.Config) { c.Redeliver = policy })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.a.Run(ctx)
	runGraphOutage(t, e, d, want, nil)
	if st := e.a.Stats(); st.SendErrors != 0 || st.Queued == 0 {
		t.Errorf("stats %+v: want messages queued and none lost", st)
	}
}

// runGraphOutage sends the users' messages during an outage of d, optionally replacing the
// adapter halfway (restart), ends the outage and checks that everything arrived in order.
func runGraphOutage(t *testing.T, e *env, d time.Duration, want map[string][]string, restart func()) {
	var down atomic.Bool
	down.Store(true)
	e.g.respond = func(int) (int, string) {
		if down.Load() {
			return 500, `{"error":{"message":"An unknown error occurred","type":"OAuthException","code":1}}`
		}
		return 200, ""
	}
	began := time.Now()
	for j, w := range outageWords {
		if j == 2 && restart != nil {
			restart()
		}
		for i := range outageUsers {
			e.deliver(t, from(outageNumber(i), w))
		}
		time.Sleep(d / time.Duration(2*len(outageWords)))
	}
	time.Sleep(time.Until(began.Add(d)))
	down.Store(false)
	recovered := time.Now()
	total := 0
	for _, w := range want {
		total += len(w)
	}
	var got []sent
	deadline := time.Now().Add(max(30*time.Second, 3*d))
	for len(got) < total && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		got = append(got, e.g.take()...)
	}
	t.Logf("outage of %v: %d of %d messages to %d users delivered %v after the Graph API recovered",
		d, len(got), total, len(want), time.Since(recovered).Round(time.Millisecond))
	time.Sleep(50 * time.Millisecond) // a duplicate would show now
	got = append(got, e.g.take()...)
	gotBy := byUser(got)
	for to, w := range want {
		if !slices.Equal(gotBy[to], w) {
			t.Errorf("user %s got %d messages, want %d, in order:\n got %q\nwant %q", to[len(to)-2:], len(gotBy[to]), len(w), gotBy[to], w)
		}
	}
}

// TestGraphOutageSurvivesARestart: the adapter is replaced mid-outage by a new one on the same
// Redis (a restart, or another replica): the new one delivers what the old one queued, in order,
// with the answers to the messages that reach it afterwards behind them.
func TestGraphOutageSurvivesARestart(t *testing.T) {
	d, policy := outage(t)
	want := expectedSends(t)
	c, err := redis.NewClient(redistest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	store, err := redis.New(c, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var cfg whatsapp.Config
	e := setup(t, func(c *whatsapp.Config) {
		c.Redeliver, c.Queue = policy, store.DeliveryQueue(whatsapp.Channel)
		cfg = *c
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); e.a.Run(ctx) }()
	runGraphOutage(t, e, d, want, func() {
		cancel() // the old process stops; its queue stays in Redis
		<-stopped
		keys, _ := c.Keys(context.Background(), "*dq*").Result()
		for _, k := range keys {
			if c.PTTL(context.Background(), k).Val() <= 0 {
				t.Errorf("%s has no TTL", k)
			}
			for _, v := range append(c.LRange(context.Background(), k, 0, -1).Val(), c.ZRange(context.Background(), k, 0, -1).Val()...) {
				if strings.Contains(v, "44770090") || strings.Contains(v, "whatsapp") {
					t.Errorf("%s holds a number or a message in the clear", k)
				}
			}
		}
		if len(keys) < 2 {
			t.Errorf("delivery queue keys %q after the stop", keys)
		}
		cfg.Bot = bot.New(testPack(t).Engine, e.store, nil)
		e.a = whatsapp.New(cfg)
		e.h = routes(e.a)
		ctx2, cancel2 := context.WithCancel(context.Background())
		t.Cleanup(cancel2)
		go e.a.Run(ctx2)
	})
	if st := e.a.Stats(); st.SendErrors != 0 || st.Sent == 0 {
		t.Errorf("the new process: %+v", st)
	}
}
