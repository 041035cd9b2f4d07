package handoff

import (
	"context"
	"fmt"

	"github.com/returnbot/returnbot/bot"
)

// One open ticket per user, and few new ones. A user who asks for a chat or plans a visit while
// a ticket of theirs is open gets that ticket again: the chat goes to it, a new day moves its
// visit (staff see "visit changed"), the same day changes nothing. What would post to the staff
// chat is limited per user (UserTicketRate) and overall (TicketRate); past a limit the user is
// told kindly and staff see nothing. The staff chat lets tickets take turns (bot.StaffPost), so
// neither a user's many messages nor their tickets hold up another user's card.

// admitTicket takes a token of the user's and the overall ticket limits. When the limits
// cannot be read, the request goes through: the store that keeps the ticket is the one that
// failed, and opening the ticket will say so.
func (s *Service) admitTicket(ctx context.Context, user string) bool {
	ok, err := s.cfg.Store.Admit(ctx,
		s.cfg.UserTicketRate.bucket("open:"+bot.UserKey(s.cfg.Secret, "ticket-limit", user)),
		s.cfg.TicketRate.bucket("open"))
	if err != nil {
		s.cfg.Log.Error("handoff: ticket limit unavailable", "err", err)
		return true
	}
	if !ok {
		s.cfg.Count("limited")
		s.cfg.Log.Info("handoff: ticket request over the limit", "user", user)
	}
	return ok
}

// limited turns the reply that would have confirmed a request into the kind refusal, with the
// office's phone and the main menu, and gives the user the bot back.
func (s *Service) limited(ctx context.Context, ev bot.Event, lang string, r *bot.Reply) error {
	r.Text = s.cfg.Language.Text(lang, bot.MsgHandoffLimited, "")
	r.Handoff = ""
	r.Buttons = []bot.Button{{Label: s.cfg.Language.Text(lang, bot.MsgMenu, ""), Data: "c|menu"}}
	return s.setMode(ctx, ev.User, "")
}

// keepRoute stores the route to the user again (it may have changed, and it lives as long as
// their ticket t).
func (s *Service) keepRoute(ctx context.Context, ev bot.Event, t *Ticket) error {
	if ev.Route == "" {
		return nil
	}
	return s.cfg.Store.SetRoute(ctx, ev.User, s.cfg.Sealer.Seal(ev.User, []byte(ev.Route)), s.ttl(t))
}

// chatRequested acts on "chat now" (the office is open): the user's open ticket takes the
// chat, else a new ticket opens.
func (s *Service) chatRequested(ctx context.Context, ev bot.Event, sess bot.Session, r *bot.Reply) error {
	t, err := s.openTicket(ctx, ev.User)
	if err != nil {
		return err
	}
	if !s.admitTicket(ctx, ev.User) {
		return s.limited(ctx, ev, sess.Lang, r)
	}
	if t != nil {
		s.postFor(t, fmt.Sprintf("💬 %s [%s]: %s", t.Code, t.Lang, s.st("wants_chat")))
		return s.keepRoute(ctx, ev, t)
	}
	_, err = s.open(ctx, ev, sess, bot.HandoffChat)
	return err
}

// urgentRaised gives staff an urgent ticket for a person who wrote that they may be in danger
// (the safety page, in office hours): on the ticket the person has open, else a new one. No
// ticket limit applies: the person got the help numbers already, and staff must know.
func (s *Service) urgentRaised(ctx context.Context, ev bot.Event, sess bot.Session) error {
	t, err := s.openTicket(ctx, ev.User)
	if err != nil {
		return err
	}
	if t != nil {
		s.postFor(t, fmt.Sprintf("🚨 %s [%s]: %s", t.Code, t.Lang, s.st("urgent")))
		return s.keepRoute(ctx, ev, t)
	}
	_, err = s.open(ctx, ev, sess, bot.HandoffUrgent)
	return err
}

// visitPlanned acts on the visit card: the same visit again shows the same code; another day
// (or interpreter choice) moves the user's open ticket, or the visit they planned before when
// staff closed its ticket (it is still on the day sheet: planning again must not put the user
// there twice); else a new ticket opens. The card gets the code in front.
func (s *Service) visitPlanned(ctx context.Context, ev bot.Event, sess bot.Session, r *bot.Reply) error {
	t, err := s.openTicket(ctx, ev.User)
	if err == nil && t == nil {
		t, err = s.plannedVisit(ctx, ev.User)
	}
	if err != nil {
		return err
	}
	day, interp := sess.Answers[bot.AnswerVisitDay], sess.Answers[bot.AnswerInterpreter] == "yes"
	switch {
	case t != nil && t.Kind == bot.HandoffVisit && t.Day == day && t.Interp == interp:
		// The card shown again: nothing changed, nothing for staff.
	case !s.admitTicket(ctx, ev.User):
		return s.limited(ctx, ev, sess.Lang, r)
	case t != nil:
		if err := s.replan(ctx, t, day, interp); err != nil {
			return err
		}
		if err := s.keepRoute(ctx, ev, t); err != nil {
			return err
		}
	default:
		if t, err = s.open(ctx, ev, sess, bot.HandoffVisit); err != nil {
			return err
		}
	}
	r.Text = s.cfg.Language.Text(sess.Lang, bot.MsgVisitCode, "") + " " + t.Code + "\n" + r.Text
	return nil
}

// replan moves the visit of an open ticket (or makes a chat ticket a visit) to day, moves the
// reminder and tells staff.
func (s *Service) replan(ctx context.Context, t *Ticket, day string, interp bool) error {
	t.Kind, t.Day, t.Time, t.Interp = bot.HandoffVisit, day, "", interp
	if err := s.save(ctx, t); err != nil {
		return err
	}
	if err := s.schedule(ctx, t); err != nil {
		return err
	}
	yes := s.st("no")
	if interp {
		yes = s.st("yes") + " (" + t.Lang + ")"
	}
	s.postFor(t, fmt.Sprintf("📅 %s: %s %s\n%s: %s", t.Code, s.st("visit_changed"),
		s.dayLine(s.cfg.StaffLang, t.Day, t.Time), s.st("interpreter"), yes))
	return nil
}

// showPlanned puts the visit the user already planned (day and code) in front of the page that
// offers the visit days: picking another day changes that visit.
func (s *Service) showPlanned(ctx context.Context, user, lang string, r *bot.Reply) error {
	t, err := s.openTicket(ctx, user)
	if err == nil && t == nil {
		t, err = s.plannedVisit(ctx, user)
	}
	if err != nil || t == nil || t.Kind != bot.HandoffVisit || t.Day == "" {
		return err
	}
	l := s.cfg.Language
	r.Text = l.Text(lang, bot.MsgVisitPlanned, "") + "\n" +
		l.Text(lang, bot.MsgCardWhen, "") + " " + s.dayLine(lang, t.Day, t.Time) + "\n" +
		l.Text(lang, bot.MsgVisitCode, "") + " " + t.Code + "\n\n" + l.Text(lang, bot.MsgVisitChange, "")
	return nil
}

// plannedVisit is the visit the user planned last when it is still to come (today or later, no
// arrival or no-show recorded), whatever became of its ticket; nil when there is none.
func (s *Service) plannedVisit(ctx context.Context, user string) (*Ticket, error) {
	t, err := s.userTicket(ctx, user)
	if err != nil || t == nil || t.VisitDay() == "" || t.Visit != "" {
		return nil, err
	}
	if t.Day < s.cfg.Now().In(s.cfg.Calendar.loc).Format(bot.DayLayout) {
		return nil, nil
	}
	return t, nil
}
