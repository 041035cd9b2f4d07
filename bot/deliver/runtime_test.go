package deliver_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/inmem"
)

// fakeChannel answers each try from a script and records what was sent and how items ended.
type fakeChannel struct {
	mu     sync.Mutex
	answer func(body string, try int) deliver.Result
	tries  map[string]int
	tried  []time.Time
	sent   []string
	done   map[string]deliver.Outcome
}

func (f *fakeChannel) Send(_ context.Context, _ string, body []byte) deliver.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries[string(body)]++
	f.tried = append(f.tried, time.Now())
	r := f.answer(string(body), f.tries[string(body)])
	if r.Outcome == deliver.Sent {
		f.sent = append(f.sent, string(body))
	}
	return r
}

func (f *fakeChannel) Done(_ string, body []byte, o deliver.Outcome, _ error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done[string(body)] = o
}

func (f *fakeChannel) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		got := len(f.done)
		f.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d items done", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func run(t *testing.T, f *fakeChannel, p deliver.Policy) *deliver.Runtime {
	t.Helper()
	f.tries, f.done = map[string]int{}, map[string]deliver.Outcome{}
	rt, err := deliver.New(inmem.NewDeliveryQueue(), f, []byte("secret"), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rt.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return rt
}

var errDown = errors.New("down")

// TestRuntimeKeepsOrderThroughFailures: an item that fails several times holds the user's later
// items back; all arrive, in order, and the platform's retry-after is honoured up to the cap.
func TestRuntimeKeepsOrderThroughFailures(t *testing.T) {
	f := &fakeChannel{answer: func(body string, try int) deliver.Result {
		switch {
		case body == "one" && try <= 3:
			return deliver.Result{Outcome: deliver.Retry, Err: errDown}
		case body == "two" && try == 1:
			return deliver.Result{Outcome: deliver.Retry, After: time.Hour, Err: errDown}
		}
		return deliver.Result{Outcome: deliver.Sent}
	}}
	rt := run(t, f, deliver.Policy{First: 5 * time.Millisecond, Max: 20 * time.Millisecond, MaxRetryAfter: 50 * time.Millisecond, Poll: 5 * time.Millisecond})
	began := time.Now()
	for _, b := range []string{"one", "two", "three"} {
		if err := rt.Park(context.Background(), "u", []byte(b), time.Now(), 0); err != nil {
			t.Fatal(err)
		}
	}
	f.wait(t, 3)
	if !slices.Equal(f.sent, []string{"one", "two", "three"}) {
		t.Fatalf("sent %q", f.sent)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("took %v: the retry-after of an hour was not capped", d)
	}
	if pending, _ := rt.Pending(context.Background(), "u"); pending {
		t.Error("the queue still holds items")
	}
}

// TestRuntimeDrops: a refused item is dropped and the next goes; an item past MaxAge is given up
// on without a try.
func TestRuntimeDrops(t *testing.T) {
	f := &fakeChannel{answer: func(body string, _ int) deliver.Result {
		if body == "refused" {
			return deliver.Result{Outcome: deliver.Drop}
		}
		return deliver.Result{Outcome: deliver.Sent}
	}}
	rt := run(t, f, deliver.Policy{MaxAge: time.Hour, Poll: 5 * time.Millisecond})
	ctx := context.Background()
	_ = rt.Park(ctx, "u", []byte("old"), time.Now().Add(-2*time.Hour), 0)
	_ = rt.Park(ctx, "u", []byte("refused"), time.Now(), 0)
	_ = rt.Park(ctx, "u", []byte("fine"), time.Now(), 0)
	f.wait(t, 3)
	want := map[string]deliver.Outcome{"old": deliver.Expired, "refused": deliver.Drop, "fine": deliver.Sent}
	for b, o := range want {
		if f.done[b] != o {
			t.Errorf("%s: %v, want %v", b, f.done[b], o)
		}
	}
	if f.tries["old"] != 0 {
		t.Error("an expired item was tried")
	}
}

// TestRuntimeBackoff: waits between tries of a failing item double up to the cap.
func TestRuntimeBackoff(t *testing.T) {
	f := &fakeChannel{answer: func(_ string, try int) deliver.Result {
		if try <= 6 {
			return deliver.Result{Outcome: deliver.Retry, Err: errDown}
		}
		return deliver.Result{Outcome: deliver.Sent}
	}}
	rt := run(t, f, deliver.Policy{First: 20 * time.Millisecond, Max: 80 * time.Millisecond, Poll: 2 * time.Millisecond})
	_ = rt.Park(context.Background(), "u", []byte("x"), time.Now(), 0)
	f.wait(t, 1)
	// Jitter puts each wait between half and all of 20, 40, 80, 80, 80, 80 ms.
	for i := 1; i < len(f.tried); i++ {
		gap := f.tried[i].Sub(f.tried[i-1])
		full := min(20*time.Millisecond<<(i-1), 80*time.Millisecond)
		if gap < full/2 {
			t.Errorf("wait %d: %v, want at least %v", i, gap, full/2)
		}
	}
}

// TestRuntimeHastensAfterRecovery: once a send goes through, users left on a long backoff are
// tried at once instead of when their backoff runs out.
func TestRuntimeHastensAfterRecovery(t *testing.T) {
	f := &fakeChannel{answer: func(body string, try int) deliver.Result {
		if body == "waiting" && try == 1 {
			return deliver.Result{Outcome: deliver.Retry, Err: errDown}
		}
		return deliver.Result{Outcome: deliver.Sent}
	}}
	rt := run(t, f, deliver.Policy{First: time.Hour, Max: time.Hour, Poll: 5 * time.Millisecond})
	ctx := context.Background()
	_ = rt.Park(ctx, "a", []byte("waiting"), time.Now(), 0)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		f.mu.Lock()
		n := f.tries["waiting"]
		f.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not tried")
		}
	}
	time.Sleep(20 * time.Millisecond) // the failure is recorded and the user scheduled an hour on
	_ = rt.Park(ctx, "b", []byte("fine"), time.Now(), 0)
	f.wait(t, 2)
	if f.done["waiting"] != deliver.Sent {
		t.Fatalf("waiting: %v", f.done["waiting"])
	}
}
