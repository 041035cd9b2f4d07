package bot

// Visit days: the office calendar the engine asks, and the pages that offer days and read the
// pressed one.

import "time"

// Calendar says when the office is open. The engine asks it (with the event's time, so it stays
// pure) whether a counsellor can chat now and which days a visit can be planned for.
// handoff.Calendar implements it.
type Calendar interface {
	// OpenNow reports whether the office is open at t.
	OpenNow(t time.Time) bool
	// OpenDays lists the next n days the office is open, from the day of t when it is still open
	// later that day; each day is midnight in the office's time zone.
	OpenDays(t time.Time, n int) []time.Time
	// Hours returns the opening hours of a day ("10:00–15:00"), "" when the office is closed.
	Hours(day time.Time) string
}

// ReminderHour is when (office time) the reminder goes out, the day before a visit.
const ReminderHour = 12

// RemindAt is when the reminder of a visit on day (midnight, office time) goes out.
func RemindAt(day time.Time) time.Time {
	return day.AddDate(0, 0, -1).Add(ReminderHour * time.Hour)
}

// DayLayout is how visit days are written in button data and answers.
const DayLayout = "2006-01-02"

// VisitDays is how many open days are offered for a visit.
const VisitDays = 4

// dataDay is the button data prefix of a visit day: v|2006-01-02.
const dataDay = "v|"

// DayNames are the message IDs of the weekday names, Sunday first (as time.Weekday).
var DayNames = [7]string{"day.sun", "day.mon", "day.tue", "day.wed", "day.thu", "day.fri", "day.sat"}

// SetCalendar gives the engine the office calendar; without one, chat is always offered and
// visits cannot be planned by day.
func (e *Engine) SetCalendar(c Calendar) { e.cal = c }

// DayLabel names a day in a language: "Tuesday 30.03".
func DayLabel(l Language, lang string, day time.Time) string {
	return l.Text(lang, DayNames[day.Weekday()], "") + " " + day.Format("02.01")
}

// nextOpen says when the office opens next: "Opens next: Tuesday 30.03, 10:00–15:00".
func (t *turn) nextOpen() string {
	days := t.e.cal.OpenDays(t.ev.Time, 1)
	if len(days) == 0 {
		return ""
	}
	return t.e.lang.Text(t.lang(), MsgNextOpen, "") + " " + DayLabel(t.e.lang, t.lang(), days[0]) + ", " + t.e.cal.Hours(days[0])
}

// dayButtons are the next open days, then the main menu.
func (t *turn) dayButtons() []Button {
	var b []Button
	for _, d := range t.e.cal.OpenDays(t.ev.Time, VisitDays) {
		b = append(b, Button{Label: DayLabel(t.e.lang, t.lang(), d), Data: dataDay + d.Format(DayLayout)})
	}
	return append(b, t.menuButton())
}

// openDay reads a saved or pressed day and reports whether a visit can be planned for it: one of
// the open days from now (a holiday, a weekend or a past day is refused).
func (t *turn) openDay(v string) (time.Time, bool) {
	if t.e.cal == nil || v == "" {
		return time.Time{}, false
	}
	for _, d := range t.e.cal.OpenDays(t.ev.Time, 60) {
		if d.Format(DayLayout) == v {
			return d, true
		}
	}
	return time.Time{}, false
}

// visitDay acts on a pressed day button: a day the office is open moves on to the visit node's
// next; any other day is refused and the open days are offered again.
func (t *turn) visitDay(v string) {
	n := t.e.visitNode()
	if n == nil || t.e.cal == nil {
		t.stale()
		return
	}
	if _, ok := t.openDay(v); !ok {
		t.s.Flow, t.s.Node = n.Flow, n.ID
		t.sayFor(MsgDayClosed, "", n.Flow, n.ID)
		t.attach(t.dayButtons())
		return
	}
	t.setAnswer(AnswerVisitDay, v)
	t.enter(t.e.content.Resolve(n.Flow, n.Next))
}

// visitNode is the node that offers the visit days.
func (e *Engine) visitNode() *Node {
	if f := e.content.Flows[HandoffFlow]; f != nil {
		for _, n := range f.Nodes {
			if n.Handoff == HandoffVisit {
				return n
			}
		}
	}
	return nil
}
