// Package stafftest is the contract every staff.Store passes: the in-process store and the Redis
// store run the same suite, so the workspace behaves the same on either.
package stafftest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/staff"
)

// Factory returns a fresh, empty store.
type Factory func(t *testing.T) staff.Store

// short is a TTL the suite waits out; long enough for a loaded CI machine to read before it.
const short = 400 * time.Millisecond

// Run runs the whole contract.
func Run(t *testing.T, newStore Factory) {
	t.Run("Accounts", func(t *testing.T) { accounts(t, newStore(t)) })
	t.Run("AccountsExpire", func(t *testing.T) { accountsExpire(t, newStore(t)) })
	t.Run("Sessions", func(t *testing.T) { sessions(t, newStore(t)) })
	t.Run("Failures", func(t *testing.T) { failures(t, newStore(t)) })
	t.Run("MessagesAndNotes", func(t *testing.T) { messagesAndNotes(t, newStore(t)) })
	t.Run("MessagesCapped", func(t *testing.T) { messagesCapped(t, newStore(t)) })
	t.Run("MessagesExpire", func(t *testing.T) { messagesExpire(t, newStore(t)) })
	t.Run("Counts", func(t *testing.T) { counts(t, newStore(t)) })
	t.Run("SetupTokenOnce", func(t *testing.T) { setupTokenOnce(t, newStore(t)) })
}

var ctx = context.Background()

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func accounts(t *testing.T, s staff.Store) {
	list, err := s.Accounts(ctx)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("new store has accounts %v", list)
	}
	created := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, a := range []staff.Account{
		{Name: "kari", Role: staff.RoleCounsellor, Hash: "h1", Created: created},
		{Name: "amir", Role: staff.RoleReception, Hash: "h2", TOTP: "JBSWY3DPEHPK3PXP", Created: created},
		{Name: "Åse", Role: staff.RoleAdmin, Hash: "h3", Created: created},
	} {
		must(t, s.PutAccount(ctx, a, time.Hour))
	}
	a, err := s.Account(ctx, "amir")
	must(t, err)
	want := staff.Account{Name: "amir", Role: staff.RoleReception, Hash: "h2", TOTP: "JBSWY3DPEHPK3PXP", Created: created}
	if a == nil || !reflect.DeepEqual(*a, want) {
		t.Fatalf("Account(amir) = %+v, want %+v", a, want)
	}
	if a, err := s.Account(ctx, "nobody"); err != nil || a != nil {
		t.Fatalf("Account(nobody) = %+v, %v; want nil", a, err)
	}
	// Replacing keeps one account.
	must(t, s.PutAccount(ctx, staff.Account{Name: "kari", Role: staff.RoleAdmin, Hash: "h9", TOTPStep: 7, Created: created}, time.Hour))
	list, err = s.Accounts(ctx)
	must(t, err)
	var names []string
	for _, a := range list {
		names = append(names, a.Name+":"+a.Role)
	}
	if fmt.Sprint(names) != "[amir:reception kari:admin Åse:admin]" {
		t.Fatalf("Accounts = %v", names)
	}
	if got, _ := s.Account(ctx, "kari"); got == nil || got.TOTPStep != 7 || got.Hash != "h9" {
		t.Fatalf("replaced account = %+v", got)
	}
	ok, err := s.DeleteAccount(ctx, "kari")
	must(t, err)
	if !ok {
		t.Fatal("DeleteAccount(kari) = false")
	}
	if ok, _ := s.DeleteAccount(ctx, "kari"); ok {
		t.Fatal("second DeleteAccount(kari) = true")
	}
	list, _ = s.Accounts(ctx)
	if len(list) != 2 {
		t.Fatalf("after delete %d accounts", len(list))
	}
	if a, _ := s.Account(ctx, "kari"); a != nil {
		t.Fatal("deleted account still readable")
	}
}

func accountsExpire(t *testing.T, s staff.Store) {
	must(t, s.PutAccount(ctx, staff.Account{Name: "brief", Role: staff.RoleReception}, short))
	must(t, s.PutAccount(ctx, staff.Account{Name: "stays", Role: staff.RoleReception}, time.Hour))
	if a, _ := s.Account(ctx, "brief"); a == nil {
		t.Fatal("account gone at once")
	}
	time.Sleep(short + 200*time.Millisecond)
	if a, _ := s.Account(ctx, "brief"); a != nil {
		t.Fatal("account outlived its TTL")
	}
	list, err := s.Accounts(ctx)
	must(t, err)
	if len(list) != 1 || list[0].Name != "stays" {
		t.Fatalf("Accounts after expiry = %+v", list)
	}
}

func sessions(t *testing.T, s staff.Store) {
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	sess := staff.Session{Name: "kari", Role: staff.RoleCounsellor, CSRF: "c1", Created: at, Seen: at}
	must(t, s.PutSession(ctx, "k1", sess, time.Hour))
	must(t, s.PutSession(ctx, "k2", staff.Session{Name: "amir"}, short))
	got, err := s.Session(ctx, "k1")
	must(t, err)
	if got == nil || !reflect.DeepEqual(*got, sess) {
		t.Fatalf("Session(k1) = %+v", got)
	}
	if got, _ := s.Session(ctx, "k3"); got != nil {
		t.Fatal("unknown session found")
	}
	must(t, s.DeleteSession(ctx, "k1"))
	if got, _ := s.Session(ctx, "k1"); got != nil {
		t.Fatal("deleted session found")
	}
	time.Sleep(short + 200*time.Millisecond)
	if got, _ := s.Session(ctx, "k2"); got != nil {
		t.Fatal("session outlived its TTL")
	}
}

func failures(t *testing.T, s staff.Store) {
	for i := 1; i <= 3; i++ {
		n, err := s.Fail(ctx, "name:kari", short)
		must(t, err)
		if n != i {
			t.Fatalf("Fail #%d = %d", i, n)
		}
	}
	if n, _ := s.Failures(ctx, "name:kari"); n != 3 {
		t.Fatalf("Failures = %d, want 3", n)
	}
	if n, _ := s.Failures(ctx, "name:amir"); n != 0 {
		t.Fatalf("Failures of another key = %d", n)
	}
	must(t, s.ClearFailures(ctx, "name:kari"))
	if n, _ := s.Failures(ctx, "name:kari"); n != 0 {
		t.Fatalf("Failures after clear = %d", n)
	}
	// The window starts at the first failure: later failures do not stretch it.
	_, _ = s.Fail(ctx, "addr:x", short)
	time.Sleep(short / 2)
	_, _ = s.Fail(ctx, "addr:x", short)
	time.Sleep(short/2 + 200*time.Millisecond)
	if n, _ := s.Failures(ctx, "addr:x"); n != 0 {
		t.Fatalf("Failures after the window = %d", n)
	}
	// Concurrent failures are all counted.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = s.Fail(ctx, "addr:y", time.Hour) }()
	}
	wg.Wait()
	if n, _ := s.Failures(ctx, "addr:y"); n != 20 {
		t.Fatalf("20 concurrent failures counted %d", n)
	}
}

func messagesAndNotes(t *testing.T, s staff.Store) {
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	must(t, s.AddMessage(ctx, "u1", staff.Message{Code: "ACD-346", Text: "<b>hei</b>", At: at}, time.Hour))
	must(t, s.AddMessage(ctx, "u1", staff.Message{Code: "ACD-346", From: "kari", Text: "svar", At: at.Add(time.Minute)}, time.Hour))
	must(t, s.AddMessage(ctx, "u1", staff.Message{Code: "BBB-222", Text: "other ticket", At: at}, time.Hour))
	must(t, s.AddMessage(ctx, "u2", staff.Message{Code: "CCC-333", Text: "other user", At: at}, time.Hour))
	must(t, s.AddNote(ctx, "u1", staff.Message{Code: "ACD-346", From: "kari", Text: "needs Dari", At: at}, time.Hour))
	got, err := s.Messages(ctx, "u1", "ACD-346")
	must(t, err)
	if len(got) != 2 || got[0].Text != "<b>hei</b>" || got[0].From != "" || got[1].From != "kari" || !got[1].At.Equal(at.Add(time.Minute)) {
		t.Fatalf("Messages = %+v", got)
	}
	notes, err := s.Notes(ctx, "u1", "ACD-346")
	must(t, err)
	if len(notes) != 1 || notes[0].Text != "needs Dari" {
		t.Fatalf("Notes = %+v", notes)
	}
	must(t, s.EraseUser(ctx, "u1"))
	for _, code := range []string{"ACD-346", "BBB-222"} {
		if m, _ := s.Messages(ctx, "u1", code); len(m) != 0 {
			t.Fatalf("messages of %s after erase: %+v", code, m)
		}
	}
	if n, _ := s.Notes(ctx, "u1", "ACD-346"); len(n) != 0 {
		t.Fatalf("notes after erase: %+v", n)
	}
	if m, _ := s.Messages(ctx, "u2", "CCC-333"); len(m) != 1 {
		t.Fatal("erasing u1 touched u2")
	}
}

func messagesCapped(t *testing.T, s staff.Store) {
	for i := range staff.MaxMessagesPerUser + 5 {
		must(t, s.AddMessage(ctx, "u1", staff.Message{Code: "ACD-346", Text: fmt.Sprint(i)}, time.Hour))
	}
	got, _ := s.Messages(ctx, "u1", "ACD-346")
	if len(got) != staff.MaxMessagesPerUser || got[0].Text != "5" {
		t.Fatalf("kept %d messages, first %q", len(got), got[0].Text)
	}
}

func messagesExpire(t *testing.T, s staff.Store) {
	must(t, s.AddMessage(ctx, "u1", staff.Message{Code: "ACD-346", Text: "x"}, short))
	must(t, s.AddNote(ctx, "u1", staff.Message{Code: "ACD-346", Text: "n"}, short))
	time.Sleep(short + 200*time.Millisecond)
	if m, _ := s.Messages(ctx, "u1", "ACD-346"); len(m) != 0 {
		t.Fatal("message outlived its TTL")
	}
	if m, _ := s.Notes(ctx, "u1", "ACD-346"); len(m) != 0 {
		t.Fatal("note outlived its TTL")
	}
}

func counts(t *testing.T, s staff.Store) {
	must(t, s.AddCounts(ctx, "2027-03-01", map[string]int64{"topic:housing:fa": 2, "channel:web": 1}, time.Hour))
	must(t, s.AddCounts(ctx, "2027-03-01", map[string]int64{"topic:housing:fa": 3}, time.Hour))
	must(t, s.AddCounts(ctx, "2027-03-02", map[string]int64{"channel:web": 7}, short))
	got, err := s.Counts(ctx, "2027-03-01")
	must(t, err)
	if !reflect.DeepEqual(got, map[string]int64{"topic:housing:fa": 5, "channel:web": 1}) {
		t.Fatalf("Counts = %v", got)
	}
	if got, _ := s.Counts(ctx, "2027-02-01"); len(got) != 0 {
		t.Fatalf("Counts of an empty day = %v", got)
	}
	time.Sleep(short + 200*time.Millisecond)
	if got, _ := s.Counts(ctx, "2027-03-02"); len(got) != 0 {
		t.Fatalf("counts outlived their TTL: %v", got)
	}
}

func setupTokenOnce(t *testing.T, s staff.Store) {
	must(t, s.PutSetup(ctx, "d1", time.Hour))
	if ok, _ := s.TakeSetup(ctx, "other"); ok {
		t.Fatal("unknown token taken")
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := s.TakeSetup(ctx, "d1"); ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("setup token taken %d times", wins.Load())
	}
	must(t, s.PutSetup(ctx, "d2", short))
	time.Sleep(short + 200*time.Millisecond)
	if ok, _ := s.TakeSetup(ctx, "d2"); ok {
		t.Fatal("setup token outlived its TTL")
	}
}
