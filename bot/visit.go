package bot

import (
	"context"
	"strings"
	"time"
)

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

// Session modes (Session.Mode).
const (
	// ModeWaiting: the user asked to chat with a counsellor; their messages go to staff.
	ModeWaiting = "waiting"
	// ModeStaff: a staff member holds the chat; the bot stays silent.
	ModeStaff = "staff"
)

// Handoff kinds: the values of Node.Handoff and of Reply.Handoff that bot/handoff acts on.
const (
	// HandoffCounsellor marks the page that offers the ways to reach people.
	HandoffCounsellor = "counsellor"
	// HandoffChat on a node: a chat now when the office is open (the reply is marked and the
	// session waits for staff), else when the office opens next.
	HandoffChat = "chat"
	// HandoffVisit on a node: offer the next open days as buttons; the picked day is saved under
	// AnswerVisitDay and the user moves to the node's next. On a reply: a visit was planned.
	HandoffVisit = "visit"
	// HandoffCard on a node: the visit card (day and hours put in front of its first text); its
	// reply is marked HandoffVisit for the handoff service to add the code.
	HandoffCard = "card"
	// HandoffNoRemind marks the reply that cancels the visit reminder.
	HandoffNoRemind = "noremind"
	// HandoffRelease marks the reply that gives the user the bot back from staff.
	HandoffRelease = "release"
	// HandoffUrgent on a node (the safety page): while the office is open, its reply is marked
	// for bot/handoff to give staff an urgent ticket. The conversation goes on as before: the
	// bot keeps answering, and the user is not put on hold.
	HandoffUrgent = "urgent"
	// HandoffPick marks the reply that offers the visit days: bot/handoff puts a visit the user
	// already planned in front of it (picking another day changes that visit).
	HandoffPick = "pick"
)

// Answer keys the handoff pages save.
const (
	AnswerVisitDay    = "visit_day"   // "2006-01-02"
	AnswerInterpreter = "interpreter" // option id: "yes" or "no"
)

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

// Message IDs of the handoff pages that the engine composes itself.
const (
	MsgClosedNow  = "handoff.closed_now"
	MsgNextOpen   = "handoff.next_open"
	MsgDayClosed  = "handoff.day_closed"
	MsgCardWhen   = "handoff.card_when"
	MsgCardInterp = "handoff.card_interpreter"
	// MsgCardReminder promises the reminder on the visit card; it is added only when the
	// reminder will go out (not for a visit today, nor tomorrow once ReminderHour has passed).
	MsgCardReminder = "handoff.card_reminder"
	MsgFromStaff    = "handoff.from_counsellor"
	MsgVisitCode    = "handoff.code"
	MsgReminder     = "handoff.reminder"
	MsgBackWithBot  = "handoff.bot_back"
	MsgNotAllowed   = "handoff.not_allowed"
	// MsgStaffDone tells the user a counsellor gave the chat back (sent by bot/handoff).
	MsgStaffDone = "handoff.staff_done"
	// MsgHandoffLimited tells a user who asked for people too often in a short while that this
	// request was not passed on (sent by bot/handoff).
	MsgHandoffLimited = "handoff.limited"
	// MsgVisitPlanned and MsgVisitChange show a visit already planned above the visit days
	// (bot/handoff).
	MsgVisitPlanned = "handoff.visit_planned"
	MsgVisitChange  = "handoff.visit_change"
	// MsgNoStaff answers "chat now" when no staff can answer chats at all (no staff chat, no
	// staff account): calling and visiting are offered instead.
	MsgNoStaff = "handoff.no_staff"
	// MsgUntaken tells a waiting user that nobody took their chat in time, with the phone and a
	// visit (sent by bot/handoff).
	MsgUntaken = "handoff.untaken"
)

// staffCommands are the staff chat's commands; typed anywhere else they are refused.
var staffCommands = map[string]bool{"take": true, "reply": true, "visit": true, "close": true, "code": true, "queue": true}

// DayNames are the message IDs of the weekday names, Sunday first (as time.Weekday).
var DayNames = [7]string{"day.sun", "day.mon", "day.tue", "day.wed", "day.thu", "day.fri", "day.sat"}

// HandoffMessages are the message IDs the handoff pages and service use outside the flows.
var HandoffMessages = append([]string{
	MsgClosedNow, MsgNextOpen, MsgDayClosed, MsgCardWhen, MsgCardInterp, MsgCardReminder, MsgFromStaff, MsgVisitCode,
	MsgReminder, MsgBackWithBot, MsgHandoffLimited, MsgVisitPlanned, MsgVisitChange, MsgNoStaff, MsgUntaken,
}, DayNames[:]...)

// HandoffHook acts on what the engine asked of people (tickets, codes, relay to staff,
// reminders) after the session was saved. bot/handoff implements it.
type HandoffHook interface {
	// AfterHandle gets the event, the saved session (a copy) and the engine's result, and returns
	// the replies to send (usually res.Replies, completed). An error is logged; the replies
	// returned are still sent.
	AfterHandle(ctx context.Context, ev Event, s Session, res Result) ([]Reply, error)
}

// SetCalendar gives the engine the office calendar; without one, chat is always offered and
// visits cannot be planned by day.
func (e *Engine) SetCalendar(c Calendar) { e.cal = c }

// SetStaffAvailable tells the engine whether anyone can answer a chat (a staff chat or a staff
// account exists); it is asked on every page that offers or starts a chat. Without it (nil),
// staff are assumed. When it reports false, "chat now" is not offered and a chat request is
// answered with the phone and a visit: nothing would ever answer it.
func (e *Engine) SetStaffAvailable(f func() bool) { e.staffAvail = f }

// staffThere reports whether a chat with staff can be offered.
func (t *turn) staffThere() bool { return t.e.staffAvail == nil || t.e.staffAvail() }

// chatOption reports whether option o of node n starts a chat with staff.
func (t *turn) chatOption(n *Node, o Option) bool {
	target := t.e.content.Node(t.e.content.Resolve(n.Flow, o.Goto))
	return target != nil && target.Handoff == HandoffChat
}

// DayLabel names a day in a language: "Tuesday 30.03".
func DayLabel(l Language, lang string, day time.Time) string {
	return l.Text(lang, DayNames[day.Weekday()], "") + " " + day.Format("02.01")
}

// held handles an event while staff hold the chat (or it waits for them): texts and media go to
// staff in silence; anything else (a command, a button) gives the user the bot back first.
func (t *turn) held() bool {
	s, ev := t.s, t.ev
	if s.Mode == "" {
		return false
	}
	switch {
	case ev.Kind == KindText && !strings.HasPrefix(strings.TrimSpace(ev.Text), "/"):
		if text := strings.TrimSpace(ev.Text); text != "" {
			if len(text) > MaxTextRunes*4 {
				text = text[:MaxTextRunes*4]
			}
			t.res.Relay = text
		}
		return true
	case ev.Kind == KindMedia:
		t.res.Relay = "[" + ev.Media + "]"
		return true
	}
	s.Mode = ""
	t.released = true
	return false
}

// markRelease tells the user they are back with the bot, in a reply marked for the handoff
// service to tell staff.
func (t *turn) markRelease() {
	if !t.released {
		return
	}
	back := Reply{Lang: t.lang(), Text: t.e.lang.Text(t.lang(), MsgBackWithBot, ""), Handoff: HandoffRelease}
	t.res.Replies = append([]Reply{back}, t.res.Replies...)
}

// handoffNode runs the nodes whose page depends on the clock. It reports whether it handled n.
func (t *turn) handoffNode(n *Node) bool {
	cal := t.e.cal
	switch n.Handoff {
	case HandoffChat:
		if !t.staffThere() {
			t.sayFor(MsgNoStaff, n.Venue, n.Flow, n.ID)
			t.attach(t.nodeButtons(n))
			return true
		}
		if cal == nil || cal.OpenNow(t.ev.Time) {
			for _, id := range n.Say {
				t.sayFor(id, n.Venue, n.Flow, n.ID)
			}
			t.s.Mode = ModeWaiting
			t.markLast(HandoffChat)
			t.attach([]Button{t.menuButton()})
			return true
		}
		t.sayFor(MsgClosedNow, n.Venue, n.Flow, n.ID)
		if next := t.nextOpen(); next != "" {
			last := &t.res.Replies[len(t.res.Replies)-1]
			last.Text += "\n\n" + next
		}
		t.attach(t.nodeButtons(n))
		return true
	case HandoffVisit:
		if cal == nil {
			return false
		}
		for _, id := range n.Say {
			t.sayFor(id, n.Venue, n.Flow, n.ID)
		}
		t.markLast(HandoffPick)
		t.attach(t.nodeButtons(n))
		return true
	case HandoffCard:
		day, ok := t.openDay(t.s.Answers[AnswerVisitDay])
		if cal == nil || !ok {
			return false
		}
		if n.Venue != "" {
			t.venue(n)
		}
		first := len(t.res.Replies)
		for _, id := range n.Say {
			t.sayFor(id, n.Venue, n.Flow, n.ID)
		}
		when := t.e.lang.Text(t.lang(), MsgCardWhen, "") + " " + DayLabel(t.e.lang, t.lang(), day) + "." + day.Format("2006") + ", " + cal.Hours(day)
		if t.s.Answers[AnswerInterpreter] == "yes" {
			when += "\n" + t.e.lang.Text(t.lang(), MsgCardInterp, "")
		}
		if first < len(t.res.Replies) {
			t.res.Replies[first].Text = when + "\n\n" + t.res.Replies[first].Text
			if RemindAt(day).After(t.ev.Time) {
				// Promise the reminder only when bot/handoff will send it (same rule as its schedule).
				t.res.Replies[first].Text += "\n\n" + t.e.lang.Text(t.lang(), MsgCardReminder, n.Venue)
			}
		} else {
			t.res.Replies = append(t.res.Replies, Reply{Lang: t.lang(), Flow: n.Flow, Node: n.ID, Text: when})
		}
		t.markLast(HandoffVisit)
		t.attach(t.nodeButtons(n))
		return true
	}
	return false
}

func (t *turn) markLast(kind string) {
	if r := t.res.Replies; len(r) > 0 {
		r[len(r)-1].Handoff = kind
	}
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
