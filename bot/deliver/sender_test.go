package deliver_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/inmem"
)

// fakePlatform renders each reply as one message whose body is "<to>:<text>", and answers each
// post from fail (nil: success).
type fakePlatform struct {
	mu    sync.Mutex
	got   []string // bodies taken, in order
	at    map[string][]time.Time
	fail  func(body string, try int) error
	tries map[string]int
}

type refusal struct{ outcome deliver.Outcome }

func (r refusal) Error() string { return "refused: " + r.outcome.String() }

func (p *fakePlatform) Render(to string, replies []bot.Reply) []deliver.Message {
	var out []deliver.Message
	for _, r := range replies {
		out = append(out, deliver.Message{Body: []byte(to + ":" + r.Text)})
	}
	return out
}

func (p *fakePlatform) Post(_ context.Context, m deliver.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := string(m.Body)
	p.tries[b]++
	if p.fail != nil {
		if err := p.fail(b, p.tries[b]); err != nil {
			return err
		}
	}
	p.got = append(p.got, b)
	p.at[strings.SplitN(b, ":", 2)[0]] = append(p.at[strings.SplitN(b, ":", 2)[0]], time.Now())
	return nil
}

func (p *fakePlatform) Classify(err error) deliver.Failure {
	var r refusal
	if errors.As(err, &r) {
		return deliver.Failure{Outcome: r.outcome, Code: 400}
	}
	return deliver.Failure{Outcome: deliver.Retry}
}

func (p *fakePlatform) sent(to string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, b := range p.got {
		if strings.HasPrefix(b, to+":") {
			out = append(out, strings.TrimPrefix(b, to+":"))
		}
	}
	return out
}

func (p *fakePlatform) waitFor(t *testing.T, to string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := p.sent(to); len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func newSender(t *testing.T, p *fakePlatform, mod func(*deliver.Config)) *deliver.Sender {
	t.Helper()
	p.tries, p.at = map[string]int{}, map[string][]time.Time{}
	cfg := deliver.Config{
		Channel: "fake", Global: deliver.Rate{PerSecond: 1000, Burst: 1000}, Chat: deliver.Rate{PerSecond: 1000, Burst: 1000},
		Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Queue: inmem.NewDeliveryQueue(), Secret: []byte("secret"),
		Redeliver: deliver.Policy{First: 5 * time.Millisecond, Max: 20 * time.Millisecond, Poll: 5 * time.Millisecond},
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := deliver.NewSender(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Redeliver(ctx) }()
	t.Cleanup(func() { s.Drain(time.Second); cancel(); <-done })
	return s
}

func texts(s ...string) []bot.Reply {
	var out []bot.Reply
	for _, x := range s {
		out = append(out, bot.Reply{Text: x})
	}
	return out
}

// TestSenderPacesPerChat: a chat's messages go out at its rate, in order, and a chat that waits
// for its bucket holds up no other chat.
func TestSenderPacesPerChat(t *testing.T) {
	p := &fakePlatform{}
	s := newSender(t, p, func(c *deliver.Config) { c.Chat = deliver.Rate{PerSecond: 20, Burst: 1} })
	began := time.Now()
	s.Send("slow", "u1", texts("1", "2", "3", "4", "5"))
	s.Send("other", "u2", texts("a"))
	if got := p.waitFor(t, "other", 1); len(got) != 1 {
		t.Fatal("the other chat got nothing")
	}
	if d := p.at["other"][0].Sub(began); d > 100*time.Millisecond {
		t.Errorf("the other chat waited %v behind a paced one", d)
	}
	if got := p.waitFor(t, "slow", 5); !slices.Equal(got, []string{"1", "2", "3", "4", "5"}) {
		t.Fatalf("paced chat got %q", got)
	}
	// Burst 1 at 20/s: 4 waits of 50 ms after the first message.
	if d := p.at["slow"][4].Sub(p.at["slow"][0]); d < 180*time.Millisecond {
		t.Errorf("5 messages at 20/s took %v, want at least 200ms", d)
	}
}

// TestSenderParksAndKeepsOrder: a message the platform fails past MaxAttempts is parked with
// the rest of the chat's messages behind it, and the runtime delivers them all, in order, once
// the platform answers again; a refusal drops one message only.
func TestSenderParksAndKeepsOrder(t *testing.T) {
	var mu sync.Mutex
	down := true
	p := &fakePlatform{fail: func(body string, try int) error {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.HasSuffix(body, ":bad"):
			return refusal{deliver.Drop}
		case down && strings.HasSuffix(body, ":2"):
			return errors.New("503")
		}
		return nil
	}}
	s := newSender(t, p, func(c *deliver.Config) { c.MaxAttempts = 3 })
	s.Send("c", "u", texts("1", "2", "bad", "3"))
	time.Sleep(50 * time.Millisecond)
	s.Send("c", "u", texts("4"))
	time.Sleep(50 * time.Millisecond)
	if got := p.sent("c"); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("during the outage: %q, want only 1 (the rest parked behind 2)", got)
	}
	if st := s.Stats(); st.Queued < 2 || st.Retries < 2 {
		t.Errorf("stats %+v: want the tries counted and the messages queued", st)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	if got := p.waitFor(t, "c", 4); !slices.Equal(got, []string{"1", "2", "3", "4"}) {
		t.Fatalf("after the outage: %q, want 1 2 3 4", got)
	}
	if st := s.Stats(); st.Undeliverable != 1 {
		t.Errorf("stats %+v: want the refused message counted undeliverable", st)
	}
}

// TestSenderBlocked: once the platform says the user blocked the bot, what is queued for them
// and what comes later is dropped, until Unblock.
func TestSenderBlocked(t *testing.T) {
	p := &fakePlatform{fail: func(body string, _ int) error {
		if strings.HasSuffix(body, ":2") {
			return refusal{deliver.Blocked}
		}
		return nil
	}}
	s := newSender(t, p, nil)
	s.Send("c", "u", texts("1", "2", "3"))
	time.Sleep(50 * time.Millisecond)
	s.Send("c", "u", texts("4"))
	time.Sleep(50 * time.Millisecond)
	if got := p.sent("c"); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("got %q, want only 1", got)
	}
	if st := s.Stats(); st.Blocked != 1 || st.Undeliverable != 3 {
		t.Errorf("stats %+v: want one block and 2, 3, 4 undeliverable", st)
	}
	s.Unblock("u")
	s.Send("c", "u", texts("5"))
	if got := p.waitFor(t, "c", 2); !slices.Equal(got, []string{"1", "5"}) {
		t.Fatalf("after Unblock: %q", got)
	}
}

// TestDeliverStopsAtRefusal: Deliver (in the caller's goroutine) returns the refusal and sends
// nothing after it, so the rest of an answer does not arrive out of context.
func TestDeliverStopsAtRefusal(t *testing.T) {
	p := &fakePlatform{fail: func(body string, _ int) error {
		if strings.HasSuffix(body, ":2") {
			return refusal{deliver.Drop}
		}
		return nil
	}}
	s := newSender(t, p, nil)
	msgs := p.Render("c", texts("1", "2", "3"))
	err := s.Deliver(context.Background(), "u", msgs, bot.Turn{}, true)
	var r refusal
	if !errors.As(err, &r) {
		t.Fatalf("Deliver: %v, want the refusal", err)
	}
	if got := p.sent("c"); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("got %q, want only 1", got)
	}
	if err := s.Deliver(context.Background(), "u", p.Render("c", texts("4")), bot.Turn{}, true); err != nil || !slices.Equal(p.sent("c"), []string{"1", "4"}) {
		t.Fatalf("next answer: %v, %q", err, p.sent("c"))
	}
}

// TestSenderTurnOrderAcrossSenders: two senders (replicas) share a turn record; turn 2, handed
// to the second, waits until the first has sent turn 1, however slowly.
func TestSenderTurnOrderAcrossSenders(t *testing.T) {
	turns := &memTurns{n: map[string]uint64{}}
	slow := &fakePlatform{fail: func(string, int) error { time.Sleep(80 * time.Millisecond); return nil }}
	fast := &fakePlatform{}
	a := newSender(t, slow, func(c *deliver.Config) { c.Turns = turns })
	b := newSender(t, fast, func(c *deliver.Config) { c.Turns = turns })
	a.Enqueue("c", "u", nil, texts("turn1"), bot.Turn{N: 1}, true)
	b.Enqueue("c", "u", nil, texts("turn2"), bot.Turn{N: 2}, true)
	got1, got2 := slow.waitFor(t, "c", 1), fast.waitFor(t, "c", 1)
	if len(got1) != 1 || len(got2) != 1 {
		t.Fatalf("turn 1: %q, turn 2: %q", got1, got2)
	}
	slow.mu.Lock()
	fast.mu.Lock()
	defer slow.mu.Unlock()
	defer fast.mu.Unlock()
	if !slow.at["c"][0].Before(fast.at["c"][0]) {
		t.Errorf("turn 2 went out at %v, before turn 1 at %v", fast.at["c"][0], slow.at["c"][0])
	}
	if n, _ := turns.DeliveredTurn(context.Background(), "u"); n != 2 {
		t.Errorf("turn record %d, want 2", n)
	}
}

// memTurns is a deliver.Turns in memory, shared by the test's senders.
type memTurns struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (m *memTurns) DeliveredTurn(_ context.Context, user string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[user], nil
}

func (m *memTurns) MarkDelivered(_ context.Context, user string, turn uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n[user] = max(m.n[user], turn)
	return nil
}
