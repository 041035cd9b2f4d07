package handoff_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
)

func TestEaster(t *testing.T) {
	for year, want := range map[int]string{
		2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28",
		2030: "2030-04-21", 2038: "2038-04-25", 2285: "2285-03-22",
	} {
		if got := handoff.Easter(year, time.UTC).Format("2006-01-02"); got != want {
			t.Errorf("Easter %d = %s, want %s", year, got, want)
		}
	}
}

func oslo(t *testing.T) *handoff.Calendar {
	t.Helper()
	h := "10:00–15:00"
	c, err := handoff.NewCalendar(&bot.Office{TimeZone: "Europe/Oslo", Hours: bot.Hours{Mon: h, Tue: h, Wed: h, Thu: h, Fri: h}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNorwegianHolidaysClose(t *testing.T) {
	c := oslo(t)
	loc, _ := time.LoadLocation("Europe/Oslo")
	for _, d := range []string{"2027-03-25", "2027-03-26", "2027-03-29", "2027-05-06", "2027-05-17", "2027-05-17", "2026-05-14", "2026-05-25", "2026-12-25", "2027-01-01"} {
		day, _ := time.ParseInLocation("2006-01-02", d, loc)
		if !c.Holiday(day) || c.Hours(day) != "" {
			t.Errorf("%s should be a closed holiday", d)
		}
	}
	for _, d := range []string{"2027-03-24", "2027-03-30", "2026-05-15"} {
		day, _ := time.ParseInLocation("2006-01-02", d, loc)
		if c.Holiday(day) || c.Hours(day) == "" {
			t.Errorf("%s should be an open working day", d)
		}
	}
}

func TestOpenDaysSkipWeekendsHolidaysAndClosedToday(t *testing.T) {
	c := oslo(t)
	loc, _ := time.LoadLocation("Europe/Oslo")
	// Wednesday before Easter 2027, after closing: Thursday and Friday are holidays, then the
	// weekend and Easter Monday. Next open days: Tue 30 Mar, Wed 31 Mar.
	from := time.Date(2027, 3, 24, 16, 0, 0, 0, loc)
	var got []string
	for _, d := range c.OpenDays(from, 2) {
		got = append(got, d.Format("Mon 2006-01-02"))
	}
	if strings.Join(got, ", ") != "Tue 2027-03-30, Wed 2027-03-31" {
		t.Fatalf("open days = %v", got)
	}
	// Before closing, today counts.
	if d := c.OpenDays(time.Date(2027, 3, 24, 11, 0, 0, 0, loc), 1); d[0].Day() != 24 {
		t.Fatalf("open day before closing = %v", d)
	}
	if !c.OpenNow(time.Date(2027, 3, 24, 10, 0, 0, 0, loc)) || c.OpenNow(time.Date(2027, 3, 24, 15, 0, 0, 0, loc)) {
		t.Fatal("OpenNow wrong at the edges of opening hours")
	}
}

func TestCodesAreReadableAndDoNotCollide(t *testing.T) {
	codes := handoff.NewCodes([]byte("secret"))
	seen := make(map[string]bool, 100_000)
	for i := uint64(0); i < 100_000; i++ {
		c := codes.Code(i)
		if seen[c] {
			t.Fatalf("collision after %d draws: %s", i, c)
		}
		seen[c] = true
		if strings.ContainsAny(c, "0O1IL5S2Z8B") {
			t.Fatalf("code %s has a confusable character", c)
		}
	}
	if codes.Code(7) == handoff.NewCodes([]byte("other")).Code(7) {
		t.Fatal("codes do not depend on the secret")
	}
	if got, ok := handoff.NormalizeCode(codes.Code(42)); !ok || got != codes.Code(42) {
		t.Fatalf("a code does not read back: %q", got)
	}
	if got, ok := handoff.NormalizeCode(" a c d 3-4 6 k m"); !ok || got != "ACD3-46KM" {
		t.Fatalf("NormalizeCode = %q %v", got, ok)
	}
	for _, bad := range []string{"AC0D-346K", "ACD-346", "ACD3-46KMX", "ACD3-46K"} {
		if _, ok := handoff.NormalizeCode(bad); ok {
			t.Fatalf("NormalizeCode accepted %q", bad)
		}
	}
	if !regexp.MustCompile(`^` + handoff.CodePattern + `$`).MatchString(codes.Code(1)) {
		t.Fatalf("code %q does not match CodePattern", codes.Code(1))
	}
}

func TestSealBindsUser(t *testing.T) {
	s, err := handoff.NewSealer([]byte("a secret of some length"))
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal("userA", []byte("123456789"))
	if bytes.Contains(sealed, []byte("123456789")) {
		t.Fatal("plaintext visible in sealed data")
	}
	got, err := s.Open("userA", sealed)
	if err != nil || string(got) != "123456789" {
		t.Fatalf("Open = %q %v", got, err)
	}
	if _, err := s.Open("userB", sealed); err == nil {
		t.Fatal("another user's sealed route opened")
	}
	other, _ := handoff.NewSealer([]byte("another secret entirely"))
	if _, err := other.Open("userA", sealed); err == nil {
		t.Fatal("opened with another key")
	}
	if _, err := s.Open("userA", sealed[:5]); err == nil {
		t.Fatal("truncated data opened")
	}
}
