package handoff

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Easter returns Easter Sunday (Gregorian) of a year, by the anonymous Gregorian algorithm
// (Meeus/Jones/Butcher), as a date at midnight in loc.
func Easter(year int, loc *time.Location) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc)
}

// NorwegianHolidays lists Norway's public holidays of a year: fixed dates and the ones that
// move with Easter (Maundy Thursday, Good Friday, Easter Monday, Ascension Day, Whit Monday).
func NorwegianHolidays(year int, loc *time.Location) []time.Time {
	easter := Easter(year, loc)
	fixed := func(m time.Month, d int) time.Time { return time.Date(year, m, d, 0, 0, 0, 0, loc) }
	return []time.Time{
		fixed(time.January, 1),
		easter.AddDate(0, 0, -3), // Maundy Thursday
		easter.AddDate(0, 0, -2), // Good Friday
		easter,                   // Easter Sunday
		easter.AddDate(0, 0, 1),  // Easter Monday
		fixed(time.May, 1),
		fixed(time.May, 17),
		easter.AddDate(0, 0, 39), // Ascension Day
		easter.AddDate(0, 0, 49), // Whit Sunday
		easter.AddDate(0, 0, 50), // Whit Monday
		fixed(time.December, 25),
		fixed(time.December, 26),
	}
}

// Calendar knows when an office is open.
type Calendar struct {
	office *bot.Office
	loc    *time.Location
	// holidays caches the year's holiday dates: every answer about opening days asks.
	holidays atomic.Pointer[yearHolidays]
}

type yearHolidays struct {
	year int
	days map[[2]int]bool // month, day
}

// NewCalendar returns the calendar of an office; its TimeZone must be an IANA name (default
// Europe/Oslo when empty).
func NewCalendar(o *bot.Office) (*Calendar, error) {
	tz := o.TimeZone
	if tz == "" {
		tz = "Europe/Oslo"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, err
	}
	return &Calendar{office: o, loc: loc}, nil
}

// Holiday reports whether a day is a public holiday where the office is.
func (c *Calendar) Holiday(day time.Time) bool {
	y, m, d := day.In(c.loc).Date()
	h := c.holidays.Load()
	if h == nil || h.year != y {
		h = &yearHolidays{year: y, days: map[[2]int]bool{}}
		for _, day := range NorwegianHolidays(y, c.loc) {
			h.days[[2]int{int(day.Month()), day.Day()}] = true
		}
		c.holidays.Store(h)
	}
	return h.days[[2]int{int(m), d}]
}

// Hours returns the opening hours ("10:00–15:00") of a day, or "" when the office is closed.
func (c *Calendar) Hours(day time.Time) string {
	if c.Holiday(day) {
		return ""
	}
	h := c.office.Hours
	return [...]string{h.Sun, h.Mon, h.Tue, h.Wed, h.Thu, h.Fri, h.Sat}[day.In(c.loc).Weekday()]
}

// OpenDays lists the next n days on which the office is open, starting with the day of from
// when it is still open later that day.
func (c *Calendar) OpenDays(from time.Time, n int) []time.Time {
	from = from.In(c.loc)
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, c.loc)
	var out []time.Time
	for i := 0; len(out) < n && i < 60; i++ {
		d := day.AddDate(0, 0, i)
		hours := c.Hours(d)
		if hours == "" {
			continue
		}
		if i == 0 {
			if _, closes, ok := parseHours(hours); !ok || !from.Before(d.Add(closes)) {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// OpenNow reports whether the office is open at t.
func (c *Calendar) OpenNow(t time.Time) bool {
	t = t.In(c.loc)
	opens, closes, ok := parseHours(c.Hours(t))
	if !ok {
		return false
	}
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
	return !t.Before(midnight.Add(opens)) && t.Before(midnight.Add(closes))
}

// parseHours reads "10:00–15:00" (en dash or hyphen) as offsets from midnight.
func parseHours(s string) (opens, closes time.Duration, ok bool) {
	var h1, m1, h2, m2 int
	for _, layout := range []string{"%d:%d–%d:%d", "%d:%d-%d:%d"} {
		if n, _ := fmt.Sscanf(s, layout, &h1, &m1, &h2, &m2); n == 4 {
			return time.Duration(h1)*time.Hour + time.Duration(m1)*time.Minute,
				time.Duration(h2)*time.Hour + time.Duration(m2)*time.Minute, true
		}
	}
	return 0, 0, false
}
