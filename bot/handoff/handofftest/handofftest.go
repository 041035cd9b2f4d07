// Package handofftest is the contract every handoff.Store must meet: run it with Run from the
// implementation's tests.
package handofftest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
)

// Factory returns a new, empty store for one test case.
type Factory func(t *testing.T) handoff.Store

// Run runs the contract, each case on a store of its own.
func Run(t *testing.T, newStore Factory) {
	for _, c := range []struct {
		name string
		test func(*testing.T, handoff.Store)
	}{
		{"Counter", testCounter},
		{"TicketRoundTrip", testTicketRoundTrip},
		{"Expiry", testExpiry},
		{"ClaimRace", testClaimRace},
		{"Queue", testQueue},
		{"DayVisits", testDayVisits},
		{"DayVisitsExpiry", testDayVisitsExpiry},
		{"Routes", testRoutes},
		{"Reminders", testReminders},
		{"ReminderClaimedOnce", testReminderClaimedOnce},
		{"Audit", testAudit},
		{"AuditCapped", testAuditCapped},
		{"EraseUser", testEraseUser},
		{"StaffLinks", testStaffLinks},
		{"Admit", testAdmit},
		{"AdmitRefills", testAdmitRefills},
		{"AdmitConcurrent", testAdmitConcurrent},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, newStore(t)) })
	}
}

const hour = time.Hour

var ctx = context.Background()

// ticket returns an open ticket of user created at created.
func ticket(code, user string, created time.Time) *handoff.Ticket {
	return &handoff.Ticket{Code: code, User: user, Channel: "telegram", Lang: "fa", Kind: "visit",
		Status: handoff.StatusOpen, Created: created}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func save(t *testing.T, s handoff.Store, tk *handoff.Ticket, ttl time.Duration) {
	t.Helper()
	must(t, s.SaveTicket(ctx, tk, ttl))
}

func queue(t *testing.T, s handoff.Store) []string {
	t.Helper()
	q, err := s.Queue(ctx)
	must(t, err)
	return q
}

func testCounter(t *testing.T, s handoff.Store) {
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				n, err := s.NextCounter(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[n] {
					t.Errorf("counter value %d handed out twice", n)
				}
				seen[n] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Fatalf("%d distinct counter values, want 200", len(seen))
	}
}

func testTicketRoundTrip(t *testing.T, s handoff.Store) {
	created := time.Date(2027, 3, 24, 16, 0, 0, 0, time.UTC)
	in := &handoff.Ticket{Code: "ACD-346", User: "u1", Channel: "telegram", Lang: "fa", Kind: "visit",
		Day: "2027-03-30", Time: "13:00", Interp: true, Answers: map[string]string{"residence": "no"},
		Topics: []string{"travel"}, Status: handoff.StatusTaken, Staff: "Kari", Created: created}
	save(t, s, in, hour)
	got, err := s.Ticket(ctx, "ACD-346")
	must(t, err)
	if got == nil || got.Code != in.Code || got.User != in.User || got.Channel != in.Channel ||
		got.Lang != in.Lang || got.Kind != in.Kind || got.Day != in.Day || got.Time != in.Time ||
		!got.Interp || got.Answers["residence"] != "no" || !slices.Equal(got.Topics, in.Topics) ||
		got.Status != in.Status || got.Staff != in.Staff || !got.Created.Equal(created) {
		t.Fatalf("ticket read back as %+v, want %+v", got, in)
	}
	if got, err := s.Ticket(ctx, "XXX-999"); err != nil || got != nil {
		t.Fatalf("unknown ticket: %+v, %v", got, err)
	}
	code, err := s.UserTicket(ctx, "u1")
	if err != nil || code != "ACD-346" {
		t.Fatalf("UserTicket = %q, %v", code, err)
	}
	save(t, s, ticket("BCE-457", "u1", created.Add(hour)), hour)
	if code, _ := s.UserTicket(ctx, "u1"); code != "BCE-457" {
		t.Fatalf("UserTicket after a second ticket = %q, want the latest", code)
	}
	if code, err := s.UserTicket(ctx, "nobody"); err != nil || code != "" {
		t.Fatalf("UserTicket of a user without tickets = %q, %v", code, err)
	}
}

func testExpiry(t *testing.T, s handoff.Store) {
	const ttl = 150 * time.Millisecond
	save(t, s, ticket("ACD-346", "u1", time.Now()), ttl)
	must(t, s.SetRoute(ctx, "u1", []byte("sealed"), ttl))
	if _, won, err := s.Claim(ctx, "ACD-346", "Kari", ttl); err != nil || !won {
		t.Fatalf("claim: %v %v", won, err)
	}
	if q := queue(t, s); !slices.Equal(q, []string{"ACD-346"}) {
		t.Fatalf("queue %v", q)
	}
	time.Sleep(3 * ttl)
	if tk, _ := s.Ticket(ctx, "ACD-346"); tk != nil {
		t.Error("ticket outlived its TTL")
	}
	if code, _ := s.UserTicket(ctx, "u1"); code != "" {
		t.Error("the user's ticket pointer outlived its TTL")
	}
	if r, _ := s.Route(ctx, "u1"); r != nil {
		t.Error("route outlived its TTL")
	}
	if q := queue(t, s); len(q) != 0 {
		t.Errorf("expired ticket still queued: %v", q)
	}
	if holder, won, _ := s.Claim(ctx, "ACD-346", "Ola", hour); !won || holder != "Ola" {
		t.Errorf("claim outlived its TTL: holder %q", holder)
	}
}

func testClaimRace(t *testing.T, s handoff.Store) {
	for i := range 20 {
		code := fmt.Sprintf("CLM-%03d", i)
		type result struct {
			holder string
			won    bool
		}
		res := make([]result, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g, staff := range []string{"Kari", "Ola"} {
			wg.Go(func() {
				<-start
				h, w, err := s.Claim(ctx, code, staff, hour)
				if err != nil {
					t.Error(err)
				}
				res[g] = result{h, w}
			})
		}
		close(start)
		wg.Wait()
		if res[0].won == res[1].won {
			t.Fatalf("%s: won %v and %v, want exactly one winner", code, res[0].won, res[1].won)
		}
		winner := "Kari"
		if res[1].won {
			winner = "Ola"
		}
		if res[0].holder != winner || res[1].holder != winner {
			t.Fatalf("%s: holders %q and %q, want both %q", code, res[0].holder, res[1].holder, winner)
		}
		if h, won, _ := s.Claim(ctx, code, winner, hour); !won || h != winner {
			t.Fatalf("%s: the holder claiming again: %q %v", code, h, won)
		}
	}
	must(t, s.Unclaim(ctx, "CLM-000"))
	if h, won, _ := s.Claim(ctx, "CLM-000", "Per", hour); !won || h != "Per" {
		t.Fatalf("claim after Unclaim: %q %v", h, won)
	}
}

func testQueue(t *testing.T, s handoff.Store) {
	if q := queue(t, s); len(q) != 0 {
		t.Fatalf("new store's queue: %v", q)
	}
	t0 := time.Now().Add(-hour)
	a, b, c := ticket("AAA-111", "ua", t0), ticket("BBB-222", "ub", t0.Add(time.Second)), ticket("CCC-333", "uc", t0.Add(2*time.Second))
	save(t, s, b, hour)
	save(t, s, a, hour)
	save(t, s, c, hour)
	want := []string{"AAA-111", "BBB-222", "CCC-333"}
	if q := queue(t, s); !slices.Equal(q, want) {
		t.Fatalf("queue %v, want %v (by creation time)", q, want)
	}
	a.Status, a.Staff = handoff.StatusTaken, "Kari"
	save(t, s, a, hour)
	if q := queue(t, s); !slices.Equal(q, want) {
		t.Fatalf("queue after taking the oldest: %v, want %v", q, want)
	}
	b.Status = handoff.StatusClosed
	save(t, s, b, hour)
	if q := queue(t, s); !slices.Equal(q, []string{"AAA-111", "CCC-333"}) {
		t.Fatalf("queue after closing %s: %v", b.Code, q)
	}
	if tk, _ := s.Ticket(ctx, b.Code); tk == nil || tk.Status != handoff.StatusClosed {
		t.Fatalf("closed ticket: %+v", tk)
	}
}

// dayCodes lists the codes DayVisits returns for day.
func dayCodes(t *testing.T, s handoff.Store, day string) []string {
	t.Helper()
	list, err := s.DayVisits(ctx, day)
	must(t, err)
	var codes []string
	for _, tk := range list {
		if tk.Day != day || tk.Kind != bot.HandoffVisit {
			t.Errorf("DayVisits(%s) returned %+v", day, tk)
		}
		codes = append(codes, tk.Code)
	}
	return codes
}

// visit returns an open visit ticket of user for day.
func visit(code, user, day string, created time.Time) *handoff.Ticket {
	tk := ticket(code, user, created)
	tk.Kind, tk.Day = bot.HandoffVisit, day
	return tk
}

// testDayVisits: the day index lists a day's visits whatever their ticket's status (open, taken,
// closed, arrived), oldest first; a chat ticket is not a visit; a visit moved to another day
// shows on that day only.
func testDayVisits(t *testing.T, s handoff.Store) {
	const d1, d2 = "2027-03-30", "2027-03-31"
	if got := dayCodes(t, s, d1); len(got) != 0 {
		t.Fatalf("new store's day: %v", got)
	}
	t0 := time.Now().Add(-hour)
	a, b, c := visit("AAA-111", "ua", d1, t0), visit("BBB-222", "ub", d1, t0.Add(time.Second)), visit("CCC-333", "uc", d2, t0.Add(2*time.Second))
	chat := ticket("DDD-444", "ud", t0.Add(3*time.Second))
	chat.Kind, chat.Day = bot.HandoffChat, d1 // a chat ticket that carries a day is still no visit
	save(t, s, b, hour)
	save(t, s, a, hour)
	save(t, s, c, hour)
	save(t, s, chat, hour)
	if got := dayCodes(t, s, d1); !slices.Equal(got, []string{"AAA-111", "BBB-222"}) {
		t.Fatalf("%s: %v, want [AAA-111 BBB-222]", d1, got)
	}
	if got := dayCodes(t, s, d2); !slices.Equal(got, []string{"CCC-333"}) {
		t.Fatalf("%s: %v, want [CCC-333]", d2, got)
	}
	// Taken, closed, handed back, arrived: still that day's visit.
	a.Status, a.Staff = handoff.StatusTaken, "Kari"
	save(t, s, a, hour)
	b.Status = handoff.StatusClosed
	save(t, s, b, hour)
	if got := dayCodes(t, s, d1); !slices.Equal(got, []string{"AAA-111", "BBB-222"}) {
		t.Fatalf("%s after take and close: %v", d1, got)
	}
	if q := queue(t, s); slices.Contains(q, "BBB-222") {
		t.Fatalf("closed ticket still queued: %v", q)
	}
	a.Status, a.Staff, a.Visit = handoff.StatusOpen, "", handoff.VisitArrived
	save(t, s, a, hour)
	list, err := s.DayVisits(ctx, d1)
	must(t, err)
	if len(list) != 2 || list[0].Code != "AAA-111" || list[0].Visit != handoff.VisitArrived || list[1].Status != handoff.StatusClosed {
		t.Fatalf("%s read back as %+v", d1, list)
	}
	// Moved: on the new day only.
	c.Day = d1
	save(t, s, c, hour)
	if got := dayCodes(t, s, d1); !slices.Equal(got, []string{"AAA-111", "BBB-222", "CCC-333"}) {
		t.Fatalf("%s after moving CCC-333 there: %v", d1, got)
	}
	if got := dayCodes(t, s, d2); len(got) != 0 {
		t.Fatalf("%s after moving CCC-333 away: %v", d2, got)
	}
	// Moved back: on its first day again.
	c.Day = d2
	save(t, s, c, hour)
	if got := dayCodes(t, s, d2); !slices.Equal(got, []string{"CCC-333"}) {
		t.Fatalf("%s after moving CCC-333 back: %v", d2, got)
	}
	if got := dayCodes(t, s, "2027-04-01"); len(got) != 0 {
		t.Fatalf("a day without visits: %v", got)
	}
}

// testDayVisitsExpiry: a visit leaves its day with its ticket; the day's index is not cut short
// by a visit that expires sooner than another.
func testDayVisitsExpiry(t *testing.T, s handoff.Store) {
	const day, ttl = "2027-03-30", 500 * time.Millisecond // long enough to read the day back first on a busy machine
	now := time.Now()
	save(t, s, visit("LNG-111", "u1", day, now), hour)
	save(t, s, visit("SHO-222", "u2", day, now.Add(time.Second)), ttl)
	if got := dayCodes(t, s, day); !slices.Equal(got, []string{"LNG-111", "SHO-222"}) {
		t.Fatalf("day: %v", got)
	}
	time.Sleep(3 * ttl)
	if got := dayCodes(t, s, day); !slices.Equal(got, []string{"LNG-111"}) {
		t.Fatalf("day after the short ticket expired: %v, want [LNG-111]", got)
	}
	// Saved again with a short TTL, the ticket expires and leaves the day.
	save(t, s, visit("LNG-111", "u1", day, now), ttl)
	time.Sleep(3 * ttl)
	if got := dayCodes(t, s, day); len(got) != 0 {
		t.Fatalf("day after every ticket expired: %v", got)
	}
}

func testRoutes(t *testing.T, s handoff.Store) {
	if r, err := s.Route(ctx, "u1"); err != nil || r != nil {
		t.Fatalf("route of a new user: %q, %v", r, err)
	}
	sealed := []byte{0, 1, 2, 0xff, 'x'}
	must(t, s.SetRoute(ctx, "u1", sealed, hour))
	if r, _ := s.Route(ctx, "u1"); string(r) != string(sealed) {
		t.Fatalf("route %v, want %v", r, sealed)
	}
	must(t, s.SetRoute(ctx, "u1", []byte("other"), hour))
	if r, _ := s.Route(ctx, "u1"); string(r) != "other" {
		t.Fatalf("route after a new one: %q", r)
	}
	if r, _ := s.Route(ctx, "u2"); r != nil {
		t.Fatalf("another user's route: %q", r)
	}
	// A user who blocked the bot loses the route, not the ticket.
	save(t, s, ticket("ACD3-46KM", "u1", time.Now()), hour)
	must(t, s.SetRoute(ctx, "u2", []byte("u2's"), hour))
	must(t, s.DeleteRoute(ctx, "u1"))
	if r, err := s.Route(ctx, "u1"); err != nil || r != nil {
		t.Fatalf("route after DeleteRoute: %q, %v", r, err)
	}
	if tk, _ := s.Ticket(ctx, "ACD3-46KM"); tk == nil {
		t.Fatal("DeleteRoute removed the user's ticket")
	}
	if r, _ := s.Route(ctx, "u2"); string(r) != "u2's" {
		t.Fatalf("DeleteRoute removed another user's route: %q", r)
	}
	must(t, s.DeleteRoute(ctx, "u1")) // nothing left to delete: no error
}

func due(t *testing.T, s handoff.Store, now time.Time, limit int) []string {
	t.Helper()
	users, err := s.DueReminders(ctx, now, limit)
	must(t, err)
	slices.Sort(users)
	return users
}

func testReminders(t *testing.T, s handoff.Store) {
	now := time.Now()
	must(t, s.Remind(ctx, "u1", now.Add(-time.Minute)))
	must(t, s.Remind(ctx, "u2", now.Add(hour)))
	if got := due(t, s, now, 10); !slices.Equal(got, []string{"u1"}) {
		t.Fatalf("due now: %v, want [u1]", got)
	}
	if got := due(t, s, now.Add(2*hour), 10); !slices.Equal(got, []string{"u1", "u2"}) {
		t.Fatalf("due in two hours: %v", got)
	}
	if got := due(t, s, now.Add(2*hour), 1); len(got) != 1 {
		t.Fatalf("limit 1: %v", got)
	}
	// A new reminder replaces the old one.
	must(t, s.Remind(ctx, "u1", now.Add(30*time.Minute)))
	if got := due(t, s, now, 10); len(got) != 0 {
		t.Fatalf("due after moving u1 later: %v", got)
	}
	must(t, s.CancelReminder(ctx, "u2"))
	if got := due(t, s, now.Add(2*hour), 10); !slices.Equal(got, []string{"u1"}) {
		t.Fatalf("due after cancelling u2: %v", got)
	}
	if won, err := s.ClaimReminder(ctx, "u1"); err != nil || !won {
		t.Fatalf("ClaimReminder(u1) = %v, %v", won, err)
	}
	if won, _ := s.ClaimReminder(ctx, "u1"); won {
		t.Fatal("a reminder was claimed twice")
	}
	if won, _ := s.ClaimReminder(ctx, "u2"); won {
		t.Fatal("a cancelled reminder was claimed")
	}
	if got := due(t, s, now.Add(2*hour), 10); len(got) != 0 {
		t.Fatalf("due after claiming: %v", got)
	}
}

func testReminderClaimedOnce(t *testing.T, s handoff.Store) {
	now := time.Now()
	const users = 20
	for i := range users {
		must(t, s.Remind(ctx, fmt.Sprintf("u%02d", i), now.Add(-time.Duration(i)*time.Second)))
	}
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			list, err := s.DueReminders(ctx, now, 100)
			if err != nil {
				t.Error(err)
				return
			}
			for _, u := range list {
				won, err := s.ClaimReminder(ctx, u)
				if err != nil {
					t.Error(err)
				}
				if won {
					mu.Lock()
					claimed[u]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(claimed) != users {
		t.Fatalf("%d reminders claimed, want %d", len(claimed), users)
	}
	for u, n := range claimed {
		if n != 1 {
			t.Errorf("reminder of %s claimed %d times", u, n)
		}
	}
}

func testAudit(t *testing.T, s handoff.Store) {
	if got, err := s.AuditTrail(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("new store's audit trail: %v, %v", got, err)
	}
	t0 := time.Date(2027, 3, 30, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		must(t, s.AddAudit(ctx, handoff.Audit{Staff: "staff:ab12", Action: fmt.Sprint("a", i), Code: "ACD-346",
			Time: t0.Add(time.Duration(i) * time.Minute)}, hour))
	}
	got, err := s.AuditTrail(ctx, 3)
	must(t, err)
	if len(got) != 3 || got[0].Action != "a4" || got[1].Action != "a3" || got[2].Action != "a2" {
		t.Fatalf("latest three, newest first: %+v", got)
	}
	if got[0].Staff != "staff:ab12" || got[0].Code != "ACD-346" || !got[0].Time.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("audit entry read back as %+v", got[0])
	}
	if all, _ := s.AuditTrail(ctx, 100); len(all) != 5 {
		t.Fatalf("whole trail: %d entries, want 5", len(all))
	}
}

func testAuditCapped(t *testing.T, s handoff.Store) {
	const workers = 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < handoff.AuditCap+5; i += workers {
				if err := s.AddAudit(ctx, handoff.Audit{Staff: "staff:x", Action: "take", Time: time.Now()}, hour); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	must(t, s.AddAudit(ctx, handoff.Audit{Staff: "staff:x", Action: "last", Time: time.Now()}, hour))
	got, err := s.AuditTrail(ctx, handoff.AuditCap+100)
	must(t, err)
	if len(got) != handoff.AuditCap {
		t.Fatalf("%d audit entries kept, want the cap %d", len(got), handoff.AuditCap)
	}
	if got[0].Action != "last" {
		t.Fatalf("newest entry %+v, want the last one added", got[0])
	}
}

func testEraseUser(t *testing.T, s handoff.Store) {
	now := time.Now()
	chat := ticket("CHT-111", "gone", now.Add(-time.Minute))
	chat.Kind, chat.Status = "chat", handoff.StatusClosed
	save(t, s, chat, hour)
	save(t, s, visit("VIS-222", "gone", "2027-03-30", now), hour)
	save(t, s, visit("OTH-333", "stays", "2027-03-30", now.Add(time.Second)), hour)
	for _, u := range []string{"gone", "stays"} {
		must(t, s.SetRoute(ctx, u, []byte("sealed-"+u), hour))
		must(t, s.Remind(ctx, u, now.Add(-time.Second)))
	}
	if _, won, _ := s.Claim(ctx, "VIS-222", "Kari", hour); !won {
		t.Fatal("claim failed")
	}
	must(t, s.AddAudit(ctx, handoff.Audit{Staff: "staff:x", Action: "take", Code: "VIS-222", Time: now}, hour))
	must(t, s.LinkPost(ctx, "gone", "VIS-222", "-100:7", hour))
	must(t, s.LinkPost(ctx, "stays", "OTH-333", "-100:8", hour))

	must(t, s.EraseUser(ctx, "gone"))
	if code, _ := s.PostTicket(ctx, "-100:7"); code != "" {
		t.Errorf("a staff chat link survived EraseUser: %q", code)
	}
	if code, _ := s.PostTicket(ctx, "-100:8"); code != "OTH-333" {
		t.Errorf("another user's staff chat link was erased: %q", code)
	}
	for _, code := range []string{"CHT-111", "VIS-222"} {
		if tk, _ := s.Ticket(ctx, code); tk != nil {
			t.Errorf("ticket %s survived EraseUser", code)
		}
	}
	if code, _ := s.UserTicket(ctx, "gone"); code != "" {
		t.Errorf("UserTicket after EraseUser = %q", code)
	}
	if r, _ := s.Route(ctx, "gone"); r != nil {
		t.Error("route survived EraseUser")
	}
	if q := queue(t, s); !slices.Equal(q, []string{"OTH-333"}) {
		t.Errorf("queue after EraseUser: %v, want [OTH-333]", q)
	}
	if got := dayCodes(t, s, "2027-03-30"); !slices.Equal(got, []string{"OTH-333"}) {
		t.Errorf("day sheet after EraseUser: %v, want [OTH-333]", got)
	}
	if got := due(t, s, now.Add(hour), 10); !slices.Equal(got, []string{"stays"}) {
		t.Errorf("due reminders after EraseUser: %v, want [stays]", got)
	}
	if h, won, _ := s.Claim(ctx, "VIS-222", "Ola", hour); !won || h != "Ola" {
		t.Errorf("the erased ticket's claim survived: holder %q", h)
	}
	must(t, s.Unclaim(ctx, "VIS-222"))
	// The other user is untouched; erasing again is harmless.
	if tk, _ := s.Ticket(ctx, "OTH-333"); tk == nil {
		t.Error("another user's ticket was erased")
	}
	if r, _ := s.Route(ctx, "stays"); string(r) != "sealed-stays" {
		t.Error("another user's route was erased")
	}
	must(t, s.EraseUser(ctx, "gone"))
	if a, _ := s.AuditTrail(ctx, 10); len(a) != 1 {
		t.Errorf("audit trail after EraseUser: %d entries, want 1 (it holds no user data)", len(a))
	}
}

func admit(t *testing.T, s handoff.Store, buckets ...bot.Bucket) bool {
	t.Helper()
	ok, err := s.Admit(ctx, buckets...)
	must(t, err)
	return ok
}

// perHour is a bucket that gains n tokens an hour: nothing refills within a test.
func perHour(key string, n float64, burst int) bot.Bucket {
	return bot.Bucket{Key: key, PerSecond: n / 3600, Burst: burst}
}

func testAdmit(t *testing.T, s handoff.Store) {
	user, other, all := perHour("open:a", 3, 3), perHour("open:b", 3, 3), perHour("open", 60, 4)
	for i := range 3 {
		if !admit(t, s, user, all) {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	// The user's bucket is empty: refused, and the overall bucket keeps its last token.
	for range 5 {
		if admit(t, s, user, all) {
			t.Fatal("a fourth request within the hour admitted")
		}
	}
	if !admit(t, s, other, all) {
		t.Fatal("another user refused: a refused request took a token of the overall bucket")
	}
	if admit(t, s, perHour("open:c", 3, 3), all) {
		t.Fatal("the overall bucket admitted a fifth request")
	}
	// Refund gives one token back, once; never above the burst.
	must(t, s.Refund(ctx, user))
	if !admit(t, s, user) || admit(t, s, user) {
		t.Fatal("a refunded token was not there exactly once")
	}
	fresh := perHour("fresh", 1, 2)
	must(t, s.Refund(ctx, fresh))
	if !admit(t, s, fresh) || !admit(t, s, fresh) || admit(t, s, fresh) {
		t.Fatal("a refund to a full bucket raised it above its burst")
	}
	// No buckets, or a bucket without a rate: no limit.
	if !admit(t, s) || !admit(t, s, bot.Bucket{Key: "free"}) {
		t.Fatal("no limit refused")
	}
}

func testAdmitRefills(t *testing.T, s handoff.Store) {
	b := bot.Bucket{Key: "refill", PerSecond: 1, Burst: 1}
	if !admit(t, s, b) || admit(t, s, b) {
		t.Fatal("burst of 1: want one admitted, then refused")
	}
	time.Sleep(1200 * time.Millisecond)
	if !admit(t, s, b) {
		t.Fatal("refused after the bucket refilled")
	}
	if admit(t, s, b) {
		t.Fatal("two tokens came back in 1.2 s at 1/s")
	}
}

func testAdmitConcurrent(t *testing.T, s handoff.Store) {
	b := perHour("race", 1, 5)
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			ok, err := s.Admit(ctx, b)
			if err != nil {
				t.Error(err)
			}
			if ok {
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if n.Load() != 5 {
		t.Fatalf("%d of 40 concurrent requests admitted by a bucket of 5", n.Load())
	}
}

func postTicket(t *testing.T, s handoff.Store, ref string) string {
	t.Helper()
	code, err := s.PostTicket(ctx, ref)
	must(t, err)
	return code
}

func testStaffLinks(t *testing.T, s handoff.Store) {
	if code := postTicket(t, s, "-100:1"); code != "" {
		t.Fatalf("a message never linked: %q", code)
	}
	// Two tickets open at once, each with its card and a relayed message.
	must(t, s.LinkPost(ctx, "ua", "AAAA-1111", "-100:1", hour))
	must(t, s.LinkPost(ctx, "ub", "BBBB-2222", "-100:2", hour))
	must(t, s.LinkPost(ctx, "ua", "AAAA-1111", "-100:3", hour))
	must(t, s.LinkPost(ctx, "ub", "BBBB-2222", "-100:4", 150*time.Millisecond))
	for ref, want := range map[string]string{"-100:1": "AAAA-1111", "-100:2": "BBBB-2222", "-100:3": "AAAA-1111", "-100:4": "BBBB-2222", "-100:5": "", "-200:1": ""} {
		if got := postTicket(t, s, ref); got != want {
			t.Errorf("message %s linked to %q, want %q", ref, got, want)
		}
	}
	time.Sleep(450 * time.Millisecond)
	if got := postTicket(t, s, "-100:4"); got != "" {
		t.Errorf("a link outlived its TTL: %q", got)
	}
	if got := postTicket(t, s, "-100:2"); got != "BBBB-2222" {
		t.Errorf("a short link cut another one short: %q", got)
	}
}
