// Package outboxtest is the contract every outbox.Outbox passes: the in-process outbox and the
// Redis one run the same suite, so the web chat delivers the same way on either.
package outboxtest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/outbox"
)

// Factory returns two handles (clients) on one fresh, empty backend. For an in-process outbox
// both may be the same value.
type Factory func(t *testing.T) (a, b outbox.Outbox)

// Run runs the whole contract.
func Run(t *testing.T, newOutboxes Factory) {
	t.Run("EmptyForNewUser", func(t *testing.T) { emptyForNewUser(t, newOutboxes) })
	t.Run("FetchKeepsUntilAcknowledged", func(t *testing.T) { fetchKeepsUntilAcknowledged(t, newOutboxes) })
	t.Run("DataRoundTrips", func(t *testing.T) { dataRoundTrips(t, newOutboxes) })
	t.Run("UsersAreSeparate", func(t *testing.T) { usersAreSeparate(t, newOutboxes) })
	t.Run("SeqGrowsAfterDrainAndAcrossHandles", func(t *testing.T) { seqGrows(t, newOutboxes) })
	t.Run("OverlappingFetchesShowEachOnceInOrder", func(t *testing.T) { overlappingFetches(t, newOutboxes) })
	t.Run("ConcurrentPushesAreAllKept", func(t *testing.T) { concurrentPushes(t, newOutboxes) })
	t.Run("CapDropsOldest", func(t *testing.T) { capDropsOldest(t, newOutboxes) })
	t.Run("EraseEmpties", func(t *testing.T) { eraseEmpties(t, newOutboxes) })
	t.Run("Expires", func(t *testing.T) { expires(t, newOutboxes) })
	t.Run("CancelledContext", func(t *testing.T) { cancelledContext(t, newOutboxes) })
}

const hour = time.Hour

func push(t *testing.T, o outbox.Outbox, user, data string, ttl time.Duration) int64 {
	t.Helper()
	seq, err := o.Push(context.Background(), user, []byte(data), ttl)
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	return seq
}

func fetch(t *testing.T, o outbox.Outbox, user string, ack int64) []outbox.Item {
	t.Helper()
	items, err := o.Fetch(context.Background(), user, ack)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return items
}

func datas(items []outbox.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = string(it.Data)
	}
	return out
}

func emptyForNewUser(t *testing.T, newOutboxes Factory) {
	a, _ := newOutboxes(t)
	if items := fetch(t, a, "nobody", 0); len(items) != 0 {
		t.Fatalf("new user has %d items", len(items))
	}
}

func fetchKeepsUntilAcknowledged(t *testing.T, newOutboxes Factory) {
	a, b := newOutboxes(t)
	s1 := push(t, a, "u1", "one", hour)
	s2 := push(t, a, "u1", "two", hour)
	s3 := push(t, b, "u1", "three", hour)
	if !(s1 < s2 && s2 < s3) {
		t.Fatalf("seqs %d %d %d do not grow", s1, s2, s3)
	}
	for i := 0; i < 2; i++ {
		// Without an acknowledgement nothing is lost (the first answer may not have arrived).
		got := fetch(t, b, "u1", 0)
		if fmt.Sprint(datas(got)) != "[one two three]" || got[0].Seq != s1 || got[2].Seq != s3 {
			t.Fatalf("fetch %d = %v %+v", i, datas(got), got)
		}
	}
	if got := fetch(t, a, "u1", s2); fmt.Sprint(datas(got)) != "[three]" {
		t.Fatalf("after acknowledging two: %v", datas(got))
	}
	// An old acknowledgement does not bring anything back.
	if got := fetch(t, b, "u1", s1); fmt.Sprint(datas(got)) != "[three]" {
		t.Fatalf("after an older acknowledgement: %v", datas(got))
	}
	if got := fetch(t, a, "u1", s3); len(got) != 0 {
		t.Fatalf("after acknowledging all: %v", datas(got))
	}
}

func dataRoundTrips(t *testing.T, newOutboxes Factory) {
	a, b := newOutboxes(t)
	want := [][]byte{
		[]byte(`{"text":"12:30 – Kontoret: \"velkommen\"","lang":"nb"}`),
		[]byte("سلام\n\nمشاور: 1:2:3"),
		{0, ':', 0xff, '\n', 0},
		{},
	}
	for _, d := range want {
		if _, err := a.Push(context.Background(), "u", d, hour); err != nil {
			t.Fatal(err)
		}
	}
	got := fetch(t, b, "u", 0)
	if len(got) != len(want) {
		t.Fatalf("%d items, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].Data, want[i]) {
			t.Errorf("item %d = %q, want %q", i, got[i].Data, want[i])
		}
	}
}

func usersAreSeparate(t *testing.T, newOutboxes Factory) {
	a, b := newOutboxes(t)
	push(t, a, "u1", "for one", hour)
	s2 := push(t, a, "u2", "for two", hour)
	if got := fetch(t, b, "u1", 0); fmt.Sprint(datas(got)) != "[for one]" {
		t.Fatalf("u1: %v", datas(got))
	}
	fetch(t, b, "u2", s2)
	if got := fetch(t, b, "u1", 0); len(got) != 1 {
		t.Fatalf("acknowledging u2 touched u1: %v", datas(got))
	}
}

func seqGrows(t *testing.T, newOutboxes Factory) {
	a, b := newOutboxes(t)
	var last int64
	for i := 0; i < 20; i++ {
		o := a
		if i%2 == 1 {
			o = b
		}
		s := push(t, o, "u", fmt.Sprint(i), hour)
		if s <= last {
			t.Fatalf("push %d got seq %d after %d", i, s, last)
		}
		// The client shows it and acknowledges, so the outbox is empty before the next push.
		if got := fetch(t, o, "u", s); len(got) != 0 {
			t.Fatalf("not empty after acknowledging everything: %v", datas(got))
		}
		last = s
	}
}

// overlappingFetches is a page polling through two replicas at once while staff keep writing:
// the page shows every item whose seq is above the last it showed, and must show each message
// once, in the order it was pushed.
func overlappingFetches(t *testing.T, newOutboxes Factory) {
	a, b := newOutboxes(t)
	const n = 40
	var mu sync.Mutex
	var shown []string
	var lastSeq int64
	done := make(chan struct{})
	deadline := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	poll := func(o outbox.Outbox) {
		defer wg.Done()
		for {
			mu.Lock()
			ack := lastSeq
			mu.Unlock()
			items, err := o.Fetch(context.Background(), "u", ack)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			for _, it := range items {
				if it.Seq > lastSeq {
					shown = append(shown, string(it.Data))
					lastSeq = it.Seq
				}
			}
			count := len(shown)
			mu.Unlock()
			select {
			case <-done:
				if count >= n {
					return
				}
				if time.Now().After(deadline) {
					errs <- fmt.Errorf("messages lost: %d of %d shown", count, n)
					return
				}
			default:
			}
		}
	}
	wg.Add(4)
	go poll(a)
	go poll(b)
	go poll(a)
	go poll(b)
	for i := 0; i < n; i++ {
		o := a
		if i%3 == 0 {
			o = b
		}
		push(t, o, "u", fmt.Sprintf("m%02d", i), hour)
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(shown) != n {
		t.Fatalf("shown %d messages, want %d: %v", len(shown), n, shown)
	}
	for i, s := range shown {
		if s != fmt.Sprintf("m%02d", i) {
			t.Fatalf("message %d shown is %q: %v", i, s, shown)
		}
	}
}

func concurrentPushes(t *testing.T, newOutboxes Factory) {
	a, b := newOutboxes(t)
	const n = outbox.MaxItems
	var wg sync.WaitGroup
	seqs := make([]int64, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := a
			if i%2 == 1 {
				o = b
			}
			s, err := o.Push(context.Background(), "u", []byte(fmt.Sprint(i)), hour)
			if err != nil {
				t.Error(err)
			}
			seqs[i] = s
		}()
	}
	wg.Wait()
	got := fetch(t, a, "u", 0)
	if len(got) != n {
		t.Fatalf("%d items after %d concurrent pushes", len(got), n)
	}
	seen := map[string]bool{}
	for i, it := range got {
		if i > 0 && it.Seq <= got[i-1].Seq {
			t.Fatalf("items not in seq order at %d: %d after %d", i, it.Seq, got[i-1].Seq)
		}
		seen[string(it.Data)] = true
	}
	for i := 0; i < n; i++ {
		if !seen[fmt.Sprint(i)] {
			t.Fatalf("push %d (seq %d) lost", i, seqs[i])
		}
	}
}

func capDropsOldest(t *testing.T, newOutboxes Factory) {
	a, _ := newOutboxes(t)
	for i := 0; i < outbox.MaxItems+5; i++ {
		push(t, a, "u", fmt.Sprint(i), hour)
	}
	got := fetch(t, a, "u", 0)
	if len(got) != outbox.MaxItems || string(got[0].Data) != "5" || string(got[len(got)-1].Data) != fmt.Sprint(outbox.MaxItems+4) {
		t.Fatalf("%d items from %q to %q", len(got), got[0].Data, got[len(got)-1].Data)
	}
}

func eraseEmpties(t *testing.T, newOutboxes Factory) {
	a, b := newOutboxes(t)
	push(t, a, "u", "secret", hour)
	push(t, a, "other", "kept", hour)
	if err := b.Erase(context.Background(), "u"); err != nil {
		t.Fatal(err)
	}
	if got := fetch(t, a, "u", 0); len(got) != 0 {
		t.Fatalf("after Erase: %v", datas(got))
	}
	if got := fetch(t, a, "other", 0); len(got) != 1 {
		t.Fatalf("Erase touched another user: %v", datas(got))
	}
	// Erasing nothing is not an error.
	if err := b.Erase(context.Background(), "u"); err != nil {
		t.Fatal(err)
	}
}

func expires(t *testing.T, newOutboxes Factory) {
	a, b := newOutboxes(t)
	push(t, a, "u", "first", time.Second)
	time.Sleep(600 * time.Millisecond)
	// A push keeps the whole outbox for the TTL again.
	push(t, b, "u", "second", time.Second)
	time.Sleep(600 * time.Millisecond)
	if got := fetch(t, a, "u", 0); fmt.Sprint(datas(got)) != "[first second]" {
		t.Fatalf("within the TTL of the last push: %v", datas(got))
	}
	time.Sleep(1200 * time.Millisecond)
	if got := fetch(t, b, "u", 0); len(got) != 0 {
		t.Fatalf("outlived its TTL: %v", datas(got))
	}
}

func cancelledContext(t *testing.T, newOutboxes Factory) {
	a, _ := newOutboxes(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Push(ctx, "u", []byte("x"), hour); err == nil {
		t.Fatal("Push with a cancelled context succeeded")
	}
	if got := fetch(t, a, "u", 0); len(got) != 0 {
		t.Fatalf("a cancelled Push stored %v", datas(got))
	}
	if _, err := a.Fetch(ctx, "u", 0); err == nil {
		t.Fatal("Fetch with a cancelled context succeeded")
	}
}
