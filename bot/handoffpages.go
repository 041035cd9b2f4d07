package bot

// The handoff pages: what the engine does when a user asks for people (a chat, a visit), what it
// does while staff hold the chat, and the names bot/handoff acts on.

import (
	"context"
	"strings"
)

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
		t.heldMedium()
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

// markLast marks the last reply so far with a handoff kind, for bot/handoff to act on.
func (t *turn) markLast(kind string) {
	if r := t.res.Replies; len(r) > 0 {
		r[len(r)-1].Handoff = kind
	}
}
