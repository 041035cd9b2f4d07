package handoff_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
)

// newService is a handoff service on store with the shipped content (staff 4242 and 4243).
func newService(t *testing.T, store handoff.Store, now func() time.Time) (*handoff.Service, *handofftest.StaffPosts) {
	t.Helper()
	pack := handofftest.Content(t)
	_, cal := handofftest.Engine(t)
	sealer, _ := handoff.NewSealer(secret)
	posts := &handofftest.StaffPosts{}
	svc, err := handoff.NewService(handoff.Config{
		Store: store, Sessions: inmem.New(0), Language: pack.Catalog, Content: pack.Content, Calendar: cal,
		Codes: handoff.NewCodes(secret), Sealer: sealer, Secret: secret,
		StaffIDs: map[string]bool{"4242": true, "4243": true}, StaffLang: "en", Staff: posts, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, posts
}

// TestCodeLookupsLimited: look-ups that find no live ticket are limited per staff member (20,
// then 60 an hour) and audited without what was typed; look-ups that find a ticket cost nothing,
// and another staff member is not held back.
func TestCodeLookupsLimited(t *testing.T) {
	store := inmem.NewHandoff()
	svc, _ := newService(t, store, time.Now)
	ctx := context.Background()
	code := handoff.NewCodes(secret).Code(1)
	must(t, store.SaveTicket(ctx, &handoff.Ticket{Code: code, User: "u1", Channel: "telegram", Lang: "fa",
		Kind: "visit", Day: "2027-03-30", Status: handoff.StatusOpen, Created: time.Now()}, time.Hour))
	staffText := func(id string) string { return handofftest.Content(t).Catalog.Text("en", handoff.StaffPrefix+id, "") }
	lookup := func(who, text string) string {
		return svc.Staff(ctx, handoff.StaffMsg{StaffID: who, Name: "Kari", Text: text})
	}
	for i := range 50 {
		if got := lookup("4242", "/code "+code); !strings.Contains(got, "🎫 "+code) {
			t.Fatalf("look-up %d of a live code: %q", i+1, got)
		}
	}
	// A secret personal detail typed by mistake must not reach the audit trail.
	typed := []string{"/code 4791-2333", "/code ACD3-46KM", "/take ACD346KN", "/code Farid Ahmadi", "/reply QQQQ-QQQQ hei"}
	for i := range handoff.DefaultLookupRate.Burst {
		if got := lookup("4242", typed[i%len(typed)]); got != staffText("unknown") {
			t.Fatalf("failed look-up %d answered %q, want %q", i+1, got, staffText("unknown"))
		}
	}
	if got := lookup("4242", "/code FFFF-FFFF"); got != staffText("limited") {
		t.Fatalf("look-up past the limit answered %q, want %q", got, staffText("limited"))
	}
	if got := lookup("4242", "/code "+code); got != staffText("limited") {
		t.Fatalf("a live code looked up past the limit answered %q: the limit would not hold back a guesser", got)
	}
	if got := lookup("4243", "/code "+code); !strings.Contains(got, "🎫 "+code) {
		t.Fatalf("another staff member was held back: %q", got)
	}
	trail, err := svc.AuditTrail(ctx, 200)
	must(t, err)
	n := map[string]int{}
	for _, a := range trail {
		n[a.Action]++
		if a.Action == "code_unknown" || a.Action == "code_limited" {
			if a.Code != "" {
				t.Errorf("audit of a failed look-up records %q", a.Code)
			}
		}
		for _, x := range []string{"4791", "Farid", "QQQQ", "ACD3"} {
			if strings.Contains(a.Action+" "+a.Code+" "+a.Staff, x) {
				t.Errorf("audit entry %+v holds what was typed", a)
			}
		}
	}
	if n["code_unknown"] != handoff.DefaultLookupRate.Burst || n["code_limited"] != 2 || n["code"] != 51 {
		t.Fatalf("audit trail counts %v, want %d code_unknown, 2 code_limited, 51 code", n, handoff.DefaultLookupRate.Burst)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// guessingYears is the expected time in years until a guesser at the look-up rate limit (one
// staff member, after the burst) finds one of live codes: each try hits with probability
// live/CodeSpace, so it takes CodeSpace/live tries on average.
func guessingYears(live float64) float64 {
	tries := float64(handoff.CodeSpace)/live - float64(handoff.DefaultLookupRate.Burst)
	return tries / handoff.DefaultLookupRate.PerHour / (24 * 365.25)
}

// guessingChanceInAYear is the chance that a year of guessing at the limit finds a live code.
func guessingChanceInAYear(live float64) float64 {
	tries := float64(handoff.DefaultLookupRate.Burst) + handoff.DefaultLookupRate.PerHour*24*365.25
	return 1 - math.Pow(1-live/float64(handoff.CodeSpace), tries)
}

// TestGuessingTakesYears computes the figures docs/telegram.md gives for guessing a live code,
// from the code space and the look-up limit, so the page and the code cannot drift apart.
func TestGuessingTakesYears(t *testing.T) {
	doc, err := os.ReadFile("../../docs/telegram.md")
	if err != nil {
		t.Fatal(err)
	}
	if y := guessingYears(10_000); y < 10 {
		t.Fatalf("with 10,000 live codes a guess succeeds within %.1f years on average", y)
	}
	for _, live := range []float64{1_000, 10_000, 100_000} {
		row := fmt.Sprintf("| %s | %s years | %.1f %% |", thousands(live), thousands(math.Round(guessingYears(live))), 100*guessingChanceInAYear(live))
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/telegram.md lacks the row %q", row)
		}
	}
	space := fmt.Sprintf("25^%d = %s", 8, thousands(float64(handoff.CodeSpace)))
	if !strings.Contains(string(doc), space) {
		t.Errorf("docs/telegram.md lacks %q", space)
	}
}

// thousands writes a whole number with commas: 10,000.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
