package handoff

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// StaffMsg is one thing done in the staff chat: a command, a reply to a ticket or relayed
// message, or a pressed ticket button.
type StaffMsg struct {
	// StaffID is the platform user id of whoever acted, checked against the allow-list.
	StaffID string
	// Name is how staff see each other ("Kari"); shown in the staff chat, never logged.
	Name string
	// Text is the message text ("/take ACD-346", or a reply's text).
	Text string
	// ReplyTo is the staff chat's reference of the message replied to, if any (as
	// bot.StaffPost.Posted gave it): a reply reaches a user only when that message was posted
	// about their ticket (its card, or what they wrote), never by what the message says.
	ReplyTo string
	// ReplyToBot says the message replied to is the bot's: a reply to one that is not linked to
	// a ticket (a /queue list, a /code answer) gets a hint instead of reaching anyone.
	ReplyToBot bool
	// Data is a pressed button's data ("take|ACD-346", "close|ACD-346").
	Data string
	// Medium is a voice note, photo, ... staff sent (Text is its caption). Only as a reply to a
	// message posted about a ticket does it reach the ticket's user; nothing of it is stored.
	Medium *bot.Medium
}

// Staff runs a staff action and returns the answer for the staff chat ("" for none). Only
// StaffIDs may act; anyone else gets "not allowed" and nothing changes. Every action is in the
// audit trail (who as a pseudonym, what, when; no text).
func (s *Service) Staff(ctx context.Context, m StaffMsg) string {
	cmd, arg := "", ""
	switch {
	case m.Data != "":
		cmd, arg, _ = strings.Cut(m.Data, "|")
	case m.Medium != nil && m.ReplyTo == "":
		return "" // staff sharing a file among themselves
	case m.Medium == nil && strings.HasPrefix(m.Text, "/"):
		word, rest, _ := strings.Cut(strings.TrimSpace(m.Text[1:]), " ")
		if i := strings.IndexByte(word, '@'); i >= 0 {
			word = word[:i]
		}
		cmd, arg = strings.ToLower(word), strings.TrimSpace(rest)
	case m.ReplyTo != "":
		code, err := s.cfg.Store.PostTicket(ctx, m.ReplyTo)
		if err != nil {
			s.cfg.Log.Error("handoff: reading a staff chat link failed", "err", err)
		}
		if code == "" {
			if m.ReplyToBot {
				return s.st("reply_hint")
			}
			return "" // a reply to a colleague
		}
		cmd = "reply"
		arg = code + " " + m.Text
	default:
		return "" // staff talking among themselves
	}
	switch cmd {
	case "take", "close", "reply", "back", "visit", "code", "queue", "help":
	default:
		return ""
	}
	if !s.cfg.StaffIDs[m.StaffID] {
		return s.st("not_allowed")
	}
	who := s.pseudonym(m.StaffID)
	// Staff see who holds a ticket by first name; the pseudonym tells two Karis apart.
	display := who
	if m.Name != "" {
		display = m.Name + " (" + who + ")"
	}
	if cmd == "help" {
		return s.st("help")
	}
	if cmd == "queue" {
		s.audit(ctx, who, "queue", "")
		return s.queue(ctx)
	}
	// Every look-up of a code takes a token of the staff member's look-up limit, and one that
	// finds a live ticket gives it back: the limit holds back guessing, not work. A failed
	// look-up is audited without what was typed (it need not be a code).
	if !s.admitLookup(ctx, who) {
		s.audit(ctx, who, "code_limited", "")
		return s.st("limited")
	}
	codeArg, rest, _ := strings.Cut(strings.TrimSpace(arg), " ")
	code, ok := NormalizeCode(codeArg)
	var t *Ticket
	if ok {
		var err error
		if t, err = s.cfg.Store.Ticket(ctx, code); err != nil {
			s.cfg.Log.Error("handoff: reading a ticket failed", "err", err)
		}
	}
	if t == nil {
		s.audit(ctx, who, "code_unknown", "")
		return s.st("unknown")
	}
	s.refundLookup(ctx, who)
	s.audit(ctx, who, cmd, code)
	switch cmd {
	case "code":
		return s.card(t)
	case "take":
		return s.take(ctx, t, display)
	case "reply":
		if m.Medium != nil {
			return s.replyMedium(ctx, t, display, m.Medium, strings.TrimSpace(rest))
		}
		return s.reply(ctx, t, display, strings.TrimSpace(rest))
	case "back":
		t.Staff = ""
		_ = s.cfg.Store.Unclaim(ctx, t.Code)
		if err := s.save(ctx, t); err != nil {
			return err.Error()
		}
		_ = s.setMode(ctx, t.User, "")
		_ = s.sendUser(ctx, t, []bot.Reply{{Lang: t.Lang, Text: s.userText(t, bot.MsgStaffDone)}})
		return code + ": " + s.st("handed_back")
	case "close":
		return s.closeTicket(ctx, t, display)
	case "visit":
		return s.setVisit(ctx, t, rest)
	}
	return ""
}

// closeTicket closes a ticket; a user who was waiting for or talking with staff is told and
// gets the bot back.
func (s *Service) closeTicket(ctx context.Context, t *Ticket, display string) string {
	code := t.Code
	t.Status = StatusClosed
	_ = s.cfg.Store.Unclaim(ctx, t.Code)
	if err := s.save(ctx, t); err != nil {
		return err.Error()
	}
	var mode string
	_ = s.cfg.Sessions.Update(ctx, t.User, func(sess *bot.Session) error {
		mode, sess.Mode = sess.Mode, ""
		return nil
	})
	if mode != "" {
		_ = s.sendUser(ctx, t, []bot.Reply{{Lang: t.Lang, Text: s.userText(t, bot.MsgStaffDone)}})
	}
	s.cfg.Count("closed")
	return code + ": " + s.st("closed_by") + " " + display
}

// errUnchanged leaves a session as it was (an Update whose fn fails writes nothing).
var errUnchanged = errors.New("handoff: session unchanged")

// take gives a ticket to one staff member: a second taker is told who has it.
func (s *Service) take(ctx context.Context, t *Ticket, display string) string {
	holder, won, err := s.cfg.Store.Claim(ctx, t.Code, display, s.cfg.TicketTTL)
	if err != nil {
		return err.Error()
	}
	if !won {
		return t.Code + " " + s.st("already") + " " + holder
	}
	t.Status, t.Staff = StatusTaken, display
	if err := s.save(ctx, t); err != nil {
		return err.Error()
	}
	// The user waits for a counsellor (a chat ticket, or a visit's ticket that took a chat
	// request): staff hold the chat now.
	_ = s.cfg.Sessions.Update(ctx, t.User, func(sess *bot.Session) error {
		if t.Kind != bot.HandoffChat && sess.Mode != bot.ModeWaiting {
			return errUnchanged
		}
		sess.Mode = bot.ModeStaff
		return nil
	})
	s.cfg.Count("taken")
	s.observe("taken", t)
	return t.Code + ": " + s.st("taken_by") + " " + display
}

// reply sends staff's words to the user, marked as from a counsellor, in whatever language
// staff wrote. Replying takes the ticket when nobody holds it.
func (s *Service) reply(ctx context.Context, t *Ticket, display, text string) string {
	if text == "" {
		return s.st("help")
	}
	holder, won, err := s.cfg.Store.Claim(ctx, t.Code, display, s.cfg.TicketTTL)
	if err != nil {
		return err.Error()
	}
	if !won {
		return t.Code + " " + s.st("already") + " " + holder
	}
	if t.Status != StatusTaken || t.Staff != display {
		t.Status, t.Staff = StatusTaken, display
		_ = s.save(ctx, t)
	}
	_ = s.setMode(ctx, t.User, bot.ModeStaff)
	msg := s.userText(t, bot.MsgFromStaff) + "\n" + text
	if err := s.sendUser(ctx, t, []bot.Reply{{Lang: t.Lang, Text: msg}}); err != nil {
		s.cfg.Log.Warn("handoff: staff reply not delivered", "user", t.User, "err", err)
		return t.Code + ": " + s.st("send_failed")
	}
	s.recordRelay(ctx, t, display, text)
	return t.Code + ": " + s.st("sent")
}

// setVisit sets or changes the visit: "/visit CODE 2026-11-25 12:00" (or 25.11); the day must be
// open. The user is told and the reminder moves.
func (s *Service) setVisit(ctx context.Context, t *Ticket, args string) string {
	f := strings.Fields(args)
	if len(f) == 0 {
		return s.st("bad_day")
	}
	day, ok := s.parseDay(f[0])
	if !ok || s.cfg.Calendar.Hours(day) == "" {
		return s.st("bad_day")
	}
	at := ""
	if len(f) > 1 {
		if _, err := time.Parse("15:04", f[1]); err != nil {
			return s.st("bad_day")
		}
		at = f[1]
	}
	t.Kind, t.Day, t.Time = bot.HandoffVisit, day.Format(bot.DayLayout), at
	if err := s.save(ctx, t); err != nil {
		return err.Error()
	}
	if err := s.schedule(ctx, t); err != nil {
		return err.Error()
	}
	text := s.userText(t, bot.MsgCardWhen) + " " + s.dayLine(t.Lang, t.Day, t.Time) + "\n" +
		s.userText(t, bot.MsgVisitCode) + " " + t.Code
	_ = s.sendUser(ctx, t, []bot.Reply{{Lang: t.Lang, Text: text}})
	return t.Code + ": " + s.st("visit_set") + " " + s.dayLine(s.cfg.StaffLang, t.Day, t.Time)
}

// parseDay reads 2026-11-25, 25.11.2026 or 25.11 (the next such date) in office time.
func (s *Service) parseDay(v string) (time.Time, bool) {
	loc := s.cfg.Calendar.loc
	for _, layout := range []string{bot.DayLayout, "2.1.2006", "02.01.2006"} {
		if d, err := time.ParseInLocation(layout, v, loc); err == nil {
			return d, true
		}
	}
	if d, err := time.ParseInLocation("2.1", strings.TrimSuffix(v, "."), loc); err == nil {
		now := s.cfg.Now().In(loc)
		d = time.Date(now.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		if d.Before(now.AddDate(0, 0, -1)) {
			d = d.AddDate(1, 0, 0)
		}
		return d, true
	}
	return time.Time{}, false
}

// queue lists open tickets for staff.
func (s *Service) queue(ctx context.Context) string {
	codes, err := s.cfg.Store.Queue(ctx)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, c := range codes {
		t, err := s.cfg.Store.Ticket(ctx, c)
		if err != nil || t == nil || t.Status == StatusClosed {
			continue
		}
		what := s.st("wants_chat")
		if t.Kind == bot.HandoffUrgent {
			what = "🚨 " + s.st("urgent")
		}
		if t.Kind == bot.HandoffVisit {
			what = s.st("visit") + " " + s.dayLine(s.cfg.StaffLang, t.Day, t.Time)
		}
		status := s.st(t.Status)
		if t.Staff != "" {
			status += " (" + t.Staff + ")"
		}
		fmt.Fprintf(&b, "%s [%s] %s · %s\n", t.Code, t.Lang, what, status)
	}
	if b.Len() == 0 {
		return s.st("queue_empty")
	}
	return strings.TrimSpace(b.String())
}

func (s *Service) pseudonym(staffID string) string {
	return "staff:" + bot.UserKey(s.cfg.Secret, "staff", staffID)[:8]
}

func (s *Service) audit(ctx context.Context, who, action, code string) {
	if err := s.cfg.Store.AddAudit(ctx, Audit{Staff: who, Action: action, Code: code, Time: s.cfg.Now()}, s.cfg.AuditTTL); err != nil {
		s.cfg.Log.Error("handoff: audit trail not written", "err", err)
	}
}

// AuditTrail returns the latest n staff actions, newest first.
func (s *Service) AuditTrail(ctx context.Context, n int) ([]Audit, error) {
	return s.cfg.Store.AuditTrail(ctx, n)
}
