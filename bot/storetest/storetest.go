// Package storetest is the contract every bot.Store passes: the in-process store and the Redis
// store run the same suite, so the bot behaves the same on either.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
)

// Factory returns two handles (clients) on one fresh, empty backend whose sessions expire after
// ttl. For an in-process store both handles may be the same value.
type Factory func(t *testing.T, ttl time.Duration) (a, b bot.Store)

// Run runs the whole contract.
func Run(t *testing.T, newStores Factory) {
	t.Run("NewUserGetsZeroSession", func(t *testing.T) { newUserGetsZeroSession(t, newStores) })
	t.Run("UpdateKeepsEveryField", func(t *testing.T) { updateKeepsEveryField(t, newStores) })
	t.Run("FailedUpdateSavesNothing", func(t *testing.T) { failedUpdateSavesNothing(t, newStores) })
	t.Run("UsersAreSeparate", func(t *testing.T) { usersAreSeparate(t, newStores) })
	t.Run("ConcurrentUpdatesAreNotLost", func(t *testing.T) { concurrentUpdatesAreNotLost(t, newStores) })
	t.Run("EraseForgetsUser", func(t *testing.T) { eraseForgetsUser(t, newStores) })
	t.Run("Dedupe", func(t *testing.T) { dedupes(t, newStores) })
	t.Run("SessionsExpire", func(t *testing.T) { sessionsExpire(t, newStores) })
	t.Run("CancelledContext", func(t *testing.T) { cancelledContext(t, newStores) })
	t.Run("TurnLog", func(t *testing.T) { turnLog(t, newStores) })
	t.Run("UpdateOnce", func(t *testing.T) { updateOnce(t, newStores) })
	t.Run("ConcurrentUpdateOnce", func(t *testing.T) { concurrentUpdateOnce(t, newStores) })
	t.Run("UpdateOnceSurvivesErase", func(t *testing.T) { updateOnceSurvivesErase(t, newStores) })
}

// updateOnceSurvivesErase: Erase ("forget me") deletes the session but keeps the record of the
// updates handled, which holds no personal data: a captured, validly signed delivery replayed
// after the user was forgotten is still a duplicate, and cannot start a conversation in their
// name. A new update after the erase is handled, from a fresh session.
func updateOnceSurvivesErase(t *testing.T, newStores Factory) {
	a, b := newStores(t, time.Hour)
	ctx := context.Background()
	step := func(s bot.Store, id string) error {
		return s.UpdateOnce(ctx, "u1", "whatsapp", id, func(sess *bot.Session) error {
			sess.Lang = "fa"
			sess.Turn++
			return nil
		})
	}
	if err := step(a, "wamid.before"); err != nil {
		t.Fatal(err)
	}
	if err := a.Erase(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, b, "u1"); !reflect.DeepEqual(got, bot.Session{}) {
		t.Fatalf("after Erase session = %+v, want zero", got)
	}
	if err := step(b, "wamid.before"); !errors.Is(err, bot.ErrDuplicate) {
		t.Fatalf("an update handled before the erase, delivered again: %v, want ErrDuplicate", err)
	}
	if got := get(t, a, "u1"); !reflect.DeepEqual(got, bot.Session{}) {
		t.Fatalf("the replayed update wrote a session: %+v", got)
	}
	if err := step(b, "wamid.after"); err != nil {
		t.Fatalf("a new update after the erase: %v", err)
	}
	if got := get(t, a, "u1"); got.Turn != 1 {
		t.Fatalf("after a new update: turn %d, want 1 (a fresh session)", got.Turn)
	}
}

// updateOnce: an update is saved once, by whichever client; a failed attempt records nothing;
// ids are per channel, and an empty id is no id.
func updateOnce(t *testing.T, newStores Factory) {
	a, b := newStores(t, time.Hour)
	ctx := context.Background()
	step := func(s bot.Store, channel, id, node string) error {
		return s.UpdateOnce(ctx, "u1", channel, id, func(sess *bot.Session) error {
			sess.Node = node
			sess.Turn++
			return nil
		})
	}
	if err := step(a, "telegram", "100", "one"); err != nil {
		t.Fatal(err)
	}
	if err := step(b, "telegram", "100", "again"); !errors.Is(err, bot.ErrDuplicate) {
		t.Fatalf("the same update through the other client: %v, want ErrDuplicate", err)
	}
	if got := get(t, a, "u1"); got.Node != "one" || got.Turn != 1 {
		t.Fatalf("a duplicate changed the session: %+v", got)
	}
	if err := step(b, "whatsapp", "100", "two"); err != nil {
		t.Fatalf("the same id on another channel: %v", err)
	}
	boom := errors.New("boom")
	if err := a.UpdateOnce(ctx, "u1", "telegram", "101", func(*bot.Session) error { return boom }); err != boom {
		t.Fatalf("failing fn: %v", err)
	}
	if err := step(b, "telegram", "101", "three"); err != nil {
		t.Fatalf("an update whose first attempt failed: %v, want it handled", err)
	}
	for range 2 {
		if err := step(a, "telegram", "", "four"); err != nil {
			t.Fatalf("no update id: %v", err)
		}
	}
	if got := get(t, b, "u1"); got.Node != "four" || got.Turn != 5 {
		t.Fatalf("after the steps: %+v, want node four at turn 5", got)
	}
	// Ids are the user's own: a web page numbers its messages itself.
	if err := a.UpdateOnce(ctx, "u2", "telegram", "100", func(*bot.Session) error { return nil }); err != nil {
		t.Fatalf("another user's update with the same id: %v", err)
	}
}

// concurrentUpdateOnce: of many clients saving one update at once, exactly one succeeds.
func concurrentUpdateOnce(t *testing.T, newStores Factory) {
	a, b := newStores(t, time.Hour)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		s := []bot.Store{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.UpdateOnce(context.Background(), "u1", "telegram", "7", func(sess *bot.Session) error {
				sess.Turn++
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, bot.ErrDuplicate) && !errors.Is(err, bot.ErrConflict):
			t.Errorf("UpdateOnce: %v", err)
		}
	}
	if got := get(t, a, "u1"); ok != 1 || got.Turn != 1 {
		t.Fatalf("%d of %d saves succeeded, session at turn %d: want exactly one", ok, n, got.Turn)
	}
}

// turnLog: the delivered turn is shared by both clients, never goes back, and goes with Erase.
func turnLog(t *testing.T, newStores Factory) {
	a, b := newStores(t, time.Hour)
	la, okA := a.(deliver.Turns)
	lb, okB := b.(deliver.Turns)
	if !okA || !okB {
		t.Fatalf("%T does not implement deliver.Turns", a)
	}
	ctx := context.Background()
	put(t, a, "u1", func(s *bot.Session) { s.Turn = 1 })
	put(t, a, "u2", func(s *bot.Session) { s.Turn = 1 })
	if n, err := la.DeliveredTurn(ctx, "u1"); err != nil || n != 0 {
		t.Fatalf("before any delivery: %d, %v; want 0", n, err)
	}
	for _, step := range []struct{ mark, want uint64 }{{1, 1}, {3, 3}, {2, 3}, {4, 4}} {
		if err := la.MarkDelivered(ctx, "u1", step.mark); err != nil {
			t.Fatal(err)
		}
		if n, err := lb.DeliveredTurn(ctx, "u1"); err != nil || n != step.want {
			t.Fatalf("after marking %d: other client reads %d, %v; want %d", step.mark, n, err, step.want)
		}
		// Update hands fn the log with the session, and never stores it.
		if s := get(t, b, "u1"); s.Delivered != step.want || s.Turn != 1 {
			t.Fatalf("after marking %d: Update's session has Delivered %d (turn %d), want %d", step.mark, s.Delivered, s.Turn, step.want)
		}
	}
	put(t, a, "u1", func(s *bot.Session) { s.Delivered = 99 })
	if n, _ := lb.DeliveredTurn(ctx, "u1"); n != 4 {
		t.Fatalf("a session saved with Delivered 99 moved the turn log to %d", n)
	}
	if n, _ := lb.DeliveredTurn(ctx, "u2"); n != 0 {
		t.Fatalf("another user's log moved to %d", n)
	}
	if err := a.Erase(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if n, err := lb.DeliveredTurn(ctx, "u1"); err != nil || n != 0 {
		t.Fatalf("after Erase: %d, %v; want 0", n, err)
	}
	if s := get(t, b, "u1"); s.Delivered != 0 {
		t.Fatalf("after Erase Update's session has Delivered %d", s.Delivered)
	}
}

func get(t *testing.T, s bot.Store, user string) bot.Session {
	t.Helper()
	var got bot.Session
	if err := s.Update(context.Background(), user, func(sess *bot.Session) error {
		got = *sess
		return errors.New("read only")
	}); err == nil || err.Error() != "read only" {
		t.Fatalf("Update returned %v, want the callback's error", err)
	}
	return got
}

func put(t *testing.T, s bot.Store, user string, fn func(*bot.Session)) {
	t.Helper()
	if err := s.Update(context.Background(), user, func(sess *bot.Session) error { fn(sess); return nil }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func newUserGetsZeroSession(t *testing.T, newStores Factory) {
	a, _ := newStores(t, time.Hour)
	if got := get(t, a, "nobody"); !reflect.DeepEqual(got, bot.Session{}) {
		t.Fatalf("new user session = %+v, want zero", got)
	}
}

func updateKeepsEveryField(t *testing.T, newStores Factory) {
	a, b := newStores(t, time.Hour)
	want := bot.Session{
		Lang: "fa", Flow: "eligibility", Node: "residence", Trail: []string{"main.menu", "eligibility.start"},
		Answers: map[string]string{"residence": "none", "case": "rejected"}, Pending: "forget",
		Seen: 1_790_000_000, Topics: []string{"eligibility", "contact"}, Mode: bot.ModeStaff, Turn: 42,
	}
	put(t, a, "u1", func(s *bot.Session) { *s = want })
	if got := get(t, b, "u1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("read back through the other client:\n got %+v\nwant %+v", got, want)
	}
}

func failedUpdateSavesNothing(t *testing.T, newStores Factory) {
	a, _ := newStores(t, time.Hour)
	put(t, a, "u1", func(s *bot.Session) { s.Lang = "en" })
	boom := errors.New("boom")
	err := a.Update(context.Background(), "u1", func(s *bot.Session) error { s.Lang = "ru"; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want the callback's", err)
	}
	if got := get(t, a, "u1").Lang; got != "en" {
		t.Fatalf("after a failed update Lang = %q, want en", got)
	}
}

func usersAreSeparate(t *testing.T, newStores Factory) {
	a, _ := newStores(t, time.Hour)
	put(t, a, "u1", func(s *bot.Session) { s.Lang = "ar" })
	put(t, a, "u2", func(s *bot.Session) { s.Lang = "ti" })
	if get(t, a, "u1").Lang != "ar" || get(t, a, "u2").Lang != "ti" {
		t.Fatal("one user's update changed another's session")
	}
}

// concurrentUpdatesAreNotLost: two clients × 50 goroutines each increment one counter.
func concurrentUpdatesAreNotLost(t *testing.T, newStores Factory) {
	a, b := newStores(t, time.Hour)
	const perClient = 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*perClient)
	for _, s := range []bot.Store{a, b} {
		for range perClient {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Update(context.Background(), "counter", func(sess *bot.Session) error {
					n, _ := strconv.Atoi(sess.Answers["n"])
					if sess.Answers == nil {
						sess.Answers = map[string]string{}
					}
					sess.Answers["n"] = strconv.Itoa(n + 1)
					return nil
				})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v", err)
		}
	}
	if got := get(t, a, "counter").Answers["n"]; got != fmt.Sprint(2*perClient) {
		t.Fatalf("counter = %s after %d increments", got, 2*perClient)
	}
}

func eraseForgetsUser(t *testing.T, newStores Factory) {
	a, b := newStores(t, time.Hour)
	put(t, a, "u1", func(s *bot.Session) { s.Lang = "so"; s.Answers = map[string]string{"k": "v"} })
	put(t, a, "u2", func(s *bot.Session) { s.Lang = "fr" })
	if err := b.Erase(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, a, "u1"); !reflect.DeepEqual(got, bot.Session{}) {
		t.Fatalf("after Erase session = %+v, want zero", got)
	}
	if get(t, a, "u2").Lang != "fr" {
		t.Fatal("Erase of one user touched another")
	}
	if err := b.Erase(context.Background(), "never-existed"); err != nil {
		t.Fatalf("Erase of an unknown user: %v", err)
	}
}

func dedupes(t *testing.T, newStores Factory) {
	a, b := newStores(t, time.Hour)
	ctx := context.Background()
	for i, c := range []struct {
		store   bot.Store
		channel string
		id      string
		want    bool
	}{
		{a, "telegram", "1001", false},
		{a, "telegram", "1001", true},
		{b, "telegram", "1001", true},
		{b, "whatsapp", "1001", false},
		{a, "telegram", "1002", false},
	} {
		got, err := c.store.Dedupe(ctx, c.channel, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("step %d: Dedupe(%s, %s) = %v, want %v", i, c.channel, c.id, got, c.want)
		}
	}
}

func sessionsExpire(t *testing.T, newStores Factory) {
	a, _ := newStores(t, time.Second)
	put(t, a, "short", func(s *bot.Session) { s.Lang = "ps" })
	time.Sleep(600 * time.Millisecond)
	// Use refreshes the TTL.
	put(t, a, "short", func(s *bot.Session) { s.Node = "menu" })
	time.Sleep(600 * time.Millisecond)
	if get(t, a, "short").Lang != "ps" {
		t.Fatal("session expired although it was used within its TTL")
	}
	time.Sleep(1200 * time.Millisecond)
	if got := get(t, a, "short"); !reflect.DeepEqual(got, bot.Session{}) {
		t.Fatalf("session outlived its TTL: %+v", got)
	}
}

func cancelledContext(t *testing.T, newStores Factory) {
	a, _ := newStores(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := a.Update(ctx, "u1", func(*bot.Session) error { called = true; return nil })
	if err == nil {
		t.Fatal("Update with a cancelled context succeeded")
	}
	if called {
		t.Fatal("Update with a cancelled context ran the callback")
	}
}
