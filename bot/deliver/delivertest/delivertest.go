// Package delivertest is the contract every deliver.Queue passes: bot/inmem's and bot/redis's
// (single node and cluster) run it.
package delivertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/deliver"
)

// New returns two queues on the same data, as two replicas have; each call starts empty.
type New func(t *testing.T) (a, b deliver.Queue)

// Run runs the contract.
func Run(t *testing.T, newQueues New) {
	for _, c := range []struct {
		name string
		test func(*testing.T, deliver.Queue, deliver.Queue)
	}{
		{"InOrderAcrossReplicas", testOrder},
		{"ClaimLeases", testLease},
		{"PopAndReplaceOnlyTheHead", testHead},
		{"Schedule", testSchedule},
		{"ReleaseKeepsNewItems", testRelease},
		{"HastenOnlyWhatStillWaits", testHasten},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := newQueues(t)
			c.test(t, a, b)
		})
	}
}

var ctx = context.Background()

const ttl = time.Hour

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func claim(t *testing.T, q deliver.Queue, at time.Time) string {
	t.Helper()
	u, err := q.Claim(ctx, at, time.Minute)
	must(t, err)
	return u
}

func head(t *testing.T, q deliver.Queue, user string) string {
	t.Helper()
	h, err := q.Head(ctx, user)
	must(t, err)
	return string(h)
}

// testOrder: items pushed by two replicas come out in push order; Len counts them; other users
// are apart.
func testOrder(t *testing.T, a, b deliver.Queue) {
	for i := range 4 {
		q := a
		if i%2 == 1 {
			q = b
		}
		must(t, q.Push(ctx, "u1", []byte(fmt.Sprint("m", i)), ttl))
	}
	must(t, b.Push(ctx, "u2", []byte("other"), ttl))
	if n, err := a.Len(ctx, "u1"); err != nil || n != 4 {
		t.Fatalf("Len = %d, %v; want 4", n, err)
	}
	if n, _ := b.Len(ctx, "nobody"); n != 0 {
		t.Fatalf("Len of an empty queue = %d", n)
	}
	for i := range 4 {
		h := head(t, b, "u1")
		if h != fmt.Sprint("m", i) {
			t.Fatalf("item %d: head %q", i, h)
		}
		q := a
		if i%2 == 0 {
			q = b
		}
		n, err := q.Pop(ctx, "u1", []byte(h))
		must(t, err)
		if n != 3-i {
			t.Fatalf("after pop %d: %d left", i+1, n)
		}
	}
	if h, err := a.Head(ctx, "u1"); err != nil || h != nil {
		t.Fatalf("empty queue: head %q, %v", h, err)
	}
	if h := head(t, a, "u2"); h != "other" {
		t.Fatalf("other user's head %q", h)
	}
}

// testLease: a pushed user is due; a claim leases them, so the other replica gets nobody until
// the lease runs out.
func testLease(t *testing.T, a, b deliver.Queue) {
	now := time.Now()
	if u := claim(t, a, now); u != "" {
		t.Fatalf("empty queue: claimed %q", u)
	}
	must(t, a.Push(ctx, "u", []byte("x"), ttl))
	if u := claim(t, b, now.Add(time.Second)); u != "u" {
		t.Fatalf("claimed %q, want u", u)
	}
	if u := claim(t, a, now.Add(2*time.Second)); u != "" {
		t.Fatalf("leased user claimed again by the other replica: %q", u)
	}
	// A push while claimed does not make the user due before the lease ends.
	must(t, a.Push(ctx, "u", []byte("y"), ttl))
	if u := claim(t, a, now.Add(3*time.Second)); u != "" {
		t.Fatalf("a push during the lease let another replica claim the user")
	}
	if u := claim(t, a, now.Add(2*time.Minute)); u != "u" {
		t.Fatalf("after the lease: claimed %q, want u", u)
	}
}

// testHead: Pop and Replace act only when the item given is still the head (a replica whose
// lease ran out must not remove or overwrite the next item).
func testHead(t *testing.T, a, b deliver.Queue) {
	must(t, a.Push(ctx, "u", []byte("first"), ttl))
	must(t, a.Push(ctx, "u", []byte("second"), ttl))
	n, err := b.Pop(ctx, "u", []byte("second"))
	must(t, err)
	if n != 2 || head(t, a, "u") != "first" {
		t.Fatalf("Pop of a non-head item removed something: %d left, head %q", n, head(t, a, "u"))
	}
	must(t, b.Replace(ctx, "u", []byte("second"), []byte("changed")))
	must(t, b.Replace(ctx, "u", []byte("first"), []byte("first, tried once")))
	if h := head(t, a, "u"); h != "first, tried once" {
		t.Fatalf("head after Replace: %q", h)
	}
	n, err = a.Pop(ctx, "u", []byte("first, tried once"))
	must(t, err)
	if n != 1 || head(t, b, "u") != "second" {
		t.Fatalf("after Pop: %d left, head %q", n, head(t, b, "u"))
	}
}

// testSchedule: a claimed user scheduled later is not due before then, and is due after.
func testSchedule(t *testing.T, a, b deliver.Queue) {
	now := time.Now()
	must(t, a.Push(ctx, "u", []byte("x"), ttl))
	if u := claim(t, a, now.Add(time.Second)); u != "u" {
		t.Fatalf("claimed %q", u)
	}
	must(t, a.Schedule(ctx, "u", now.Add(10*time.Minute)))
	if u := claim(t, b, now.Add(5*time.Minute)); u != "" {
		t.Fatalf("claimed %q before its time", u)
	}
	if u := claim(t, b, now.Add(11*time.Minute)); u != "u" {
		t.Fatalf("claimed %q after its time, want u", u)
	}
	// Renewing the lease (Schedule while sending) holds the user.
	must(t, b.Schedule(ctx, "u", now.Add(30*time.Minute)))
	if u := claim(t, a, now.Add(20*time.Minute)); u != "" {
		t.Fatalf("renewed lease: claimed %q", u)
	}
}

// testHasten: a user left waiting on a backoff is brought forward; one claimed since (its due
// time changed) is not.
func testHasten(t *testing.T, a, b deliver.Queue) {
	now := time.Now()
	must(t, a.Push(ctx, "u", []byte("x"), ttl))
	if u := claim(t, a, now.Add(time.Second)); u != "u" {
		t.Fatalf("claimed %q", u)
	}
	later := now.Add(10 * time.Minute)
	must(t, a.Schedule(ctx, "u", later))
	must(t, b.Hasten(ctx, "u", later.Add(time.Second), now)) // not what it waits for
	if u := claim(t, b, now.Add(time.Minute)); u != "" {
		t.Fatalf("hastened with the wrong time: claimed %q", u)
	}
	must(t, b.Hasten(ctx, "u", later, now.Add(time.Minute)))
	if u := claim(t, b, now.Add(2*time.Minute)); u != "u" {
		t.Fatalf("hastened user not due: claimed %q", u)
	}
	// Claimed now (leased), a stale Hasten leaves the lease alone.
	must(t, a.Hasten(ctx, "u", later, now))
	if u := claim(t, a, now.Add(2*time.Minute)); u != "" {
		t.Fatalf("a stale Hasten broke the lease: claimed %q", u)
	}
}

// testRelease: releasing an emptied queue forgets the user; an item pushed just before the
// release keeps the user due.
func testRelease(t *testing.T, a, b deliver.Queue) {
	now := time.Now()
	must(t, a.Push(ctx, "u", []byte("x"), ttl))
	if u := claim(t, a, now.Add(time.Second)); u != "u" {
		t.Fatalf("claimed %q", u)
	}
	if _, err := a.Pop(ctx, "u", []byte("x")); err != nil {
		t.Fatal(err)
	}
	must(t, b.Push(ctx, "u", []byte("late"), ttl)) // another replica, between pop and release
	must(t, a.Release(ctx, "u"))
	if u := claim(t, b, now.Add(2*time.Second)); u != "u" {
		t.Fatalf("an item pushed before the release was left without a due user (claimed %q)", u)
	}
	if _, err := b.Pop(ctx, "u", []byte("late")); err != nil {
		t.Fatal(err)
	}
	must(t, b.Release(ctx, "u"))
	if u := claim(t, a, now.Add(time.Hour)); u != "" {
		t.Fatalf("released empty queue: claimed %q", u)
	}
}
