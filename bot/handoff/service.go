package handoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Default lifetimes of what the service stores.
const (
	// DefaultTicketTTL keeps tickets and routes after their last change (a planned visit's at
	// least VisitGrace after its day).
	DefaultTicketTTL = 21 * 24 * time.Hour
	// VisitGrace keeps a planned visit's ticket, and so its place on the day sheet, at least this
	// long after the end of its day, however far ahead it was planned: reception can still mark
	// a late arrival or a no-show, and look back at last week's sheet.
	VisitGrace = 7 * 24 * time.Hour
	// DefaultAuditTTL keeps the staff audit trail.
	DefaultAuditTTL = 90 * 24 * time.Hour
	// ReminderHour is when (office time) the reminder goes out the day before a visit; the
	// engine uses the same rule to promise it on the visit card.
	ReminderHour = bot.ReminderHour
)

// StaffChat posts to the staff chat (the Telegram staff group).
type StaffChat interface {
	PostStaff(p bot.StaffPost)
}

// UserSender writes to a user first, on one channel, by the platform address of the route.
type UserSender interface {
	SendTo(route, user string, replies []bot.Reply) error
}

// UserEraser is implemented by a UserSender that keeps what it could not deliver yet (the web
// chat's outbox): /forget erases that too.
type UserEraser interface {
	EraseUser(ctx context.Context, user string) error
}

// Config is what a Service needs. Store, Sessions, Language, Content, Calendar, Codes and Sealer
// are required.
type Config struct {
	Store    Store
	Sessions bot.Store
	Language bot.Language
	Content  *bot.Content
	Calendar *Calendar
	Codes    *Codes
	Sealer   *Sealer
	// Secret keys the staff pseudonyms in the audit trail.
	Secret []byte
	// StaffIDs are the platform user ids allowed to act in the staff chat.
	StaffIDs map[string]bool
	// StaffLang is the staff's language ("nb" default).
	StaffLang string
	// Staff receives ticket cards and relayed messages; nil drops them.
	Staff StaffChat
	// Users sends to users by channel ("telegram").
	Users map[string]UserSender
	// Count counts ticket events (opened, taken, closed) for metrics; may be nil.
	Count func(event string)
	Log   *slog.Logger
	Now   func() time.Time
	// UntakenAfter is how long a chat request waits in office hours before the user is offered
	// the phone and a visit (NudgeUntaken); DefaultUntakenAfter when 0.
	UntakenAfter time.Duration
	// TicketTTL and AuditTTL default to DefaultTicketTTL and DefaultAuditTTL.
	TicketTTL, AuditTTL time.Duration
	// LookupRate, UserTicketRate and TicketRate default to DefaultLookupRate,
	// DefaultUserTicketRate and DefaultTicketRate.
	LookupRate, UserTicketRate, TicketRate Rate
}

// Service turns handoff markers into tickets, visit codes, reminders and relay, and runs the
// staff commands. It implements bot.HandoffHook.
type Service struct {
	cfg Config
	// desk is the staff workspace (SetDesk); nil without one.
	desk Desk
	// onTicket is told of ticket events for the statistics (ObserveTickets); nil without.
	onTicket func(event string, t Ticket)
}

// ObserveTickets makes the service tell fn of ticket events, for anonymous statistics:
// "opened" (a new ticket), "taken" (staff took it, in the group or the workspace) and
// "visit_arrived" / "visit_noshow" (reception). fn gets a copy; call before serving.
func (s *Service) ObserveTickets(fn func(event string, t Ticket)) { s.onTicket = fn }

func (s *Service) observe(event string, t *Ticket) {
	if s.onTicket != nil {
		s.onTicket(event, *t)
	}
}

// NewService checks cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Sessions == nil || cfg.Language == nil || cfg.Content == nil ||
		cfg.Calendar == nil || cfg.Codes == nil || cfg.Sealer == nil {
		return nil, errors.New("handoff: incomplete config")
	}
	if cfg.StaffLang == "" {
		cfg.StaffLang = "nb"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TicketTTL <= 0 {
		cfg.TicketTTL = DefaultTicketTTL
	}
	if cfg.UntakenAfter <= 0 {
		cfg.UntakenAfter = DefaultUntakenAfter
	}
	if cfg.AuditTTL <= 0 {
		cfg.AuditTTL = DefaultAuditTTL
	}
	for _, r := range []struct {
		v   *Rate
		def Rate
	}{
		{&cfg.LookupRate, DefaultLookupRate}, {&cfg.UserTicketRate, DefaultUserTicketRate}, {&cfg.TicketRate, DefaultTicketRate},
	} {
		if r.v.PerHour <= 0 || r.v.Burst <= 0 {
			*r.v = r.def
		}
	}
	if cfg.Count == nil {
		cfg.Count = func(string) {}
	}
	return &Service{cfg: cfg}, nil
}

// SetStaff sets where staff posts go (the staff chat is often built after the service).
func (s *Service) SetStaff(c StaffChat) { s.cfg.Staff = c }

// SetUserSender sets how to write first to users of a channel.
func (s *Service) SetUserSender(channel string, u UserSender) {
	if s.cfg.Users == nil {
		s.cfg.Users = map[string]UserSender{}
	}
	s.cfg.Users[channel] = u
}

// post writes to the staff chat about no ticket in particular: a reply to it reaches nobody.
func (s *Service) post(text string, buttons ...bot.Button) {
	if s.cfg.Staff != nil {
		s.cfg.Staff.PostStaff(bot.StaffPost{Text: text, Buttons: buttons})
	}
}

// postFor writes to the staff chat about a ticket: its card, what its user wrote, a change the
// user made. Once delivered, each message is linked to the ticket, so that a staff reply to it
// reaches the ticket's user (and only a reply to such a message, or /reply CODE, does).
func (s *Service) postFor(t *Ticket, text string, buttons ...bot.Button) {
	if s.cfg.Staff != nil {
		s.cfg.Staff.PostStaff(bot.StaffPost{Text: text, Buttons: buttons, Ticket: t.Code, Posted: s.linker(t)})
	}
}

// linker is the Posted of a post about t: it links each delivered message to the ticket.
func (s *Service) linker(t *Ticket) func(ref string) {
	user, code := t.User, t.Code
	return func(ref string) {
		ctx, cancel := context.WithTimeout(context.Background(), linkTimeout)
		defer cancel()
		if err := s.cfg.Store.LinkPost(ctx, user, code, ref, s.cfg.TicketTTL); err != nil {
			// Replies to this message will reach nobody; staff are told so and use /reply.
			s.cfg.Log.Error("handoff: staff chat message not linked to its ticket", "user", user, "err", err)
		}
	}
}

// postMedium is postFor for a medium: the staff chat gets the medium itself with text as its
// caption, linked to the ticket like any post about it.
func (s *Service) postMedium(t *Ticket, text string, m *bot.Medium) {
	if s.cfg.Staff != nil {
		s.cfg.Staff.PostStaff(bot.StaffPost{Text: text, Ticket: t.Code, Medium: m, Posted: s.linker(t)})
	}
}

// linkTimeout bounds storing a staff chat message's link to its ticket.
const linkTimeout = 5 * time.Second

// AfterHandle implements bot.HandoffHook.
func (s *Service) AfterHandle(ctx context.Context, ev bot.Event, sess bot.Session, res bot.Result) ([]bot.Reply, error) {
	replies := res.Replies
	if res.Erase {
		err := s.cfg.Store.EraseUser(ctx, ev.User)
		if e, ok := s.cfg.Users[ev.Channel].(UserEraser); ok {
			err = errors.Join(err, e.EraseUser(ctx, ev.User))
		}
		if s.desk != nil {
			err = errors.Join(err, s.desk.EraseUser(ctx, ev.User))
		}
		return replies, err
	}
	var errs []error
	if res.Relay != "" {
		errs = append(errs, s.relay(ctx, ev, sess, res.Relay, res.RelayMedium))
	}
	for i := range replies {
		switch replies[i].Handoff {
		case bot.HandoffChat:
			errs = append(errs, s.chatRequested(ctx, ev, sess, &replies[i]))
		case bot.HandoffVisit:
			errs = append(errs, s.visitPlanned(ctx, ev, sess, &replies[i]))
		case bot.HandoffPick:
			errs = append(errs, s.showPlanned(ctx, ev.User, sess.Lang, &replies[i]))
		case bot.HandoffUrgent:
			errs = append(errs, s.urgentRaised(ctx, ev, sess))
		case bot.HandoffNoRemind:
			errs = append(errs, s.cfg.Store.CancelReminder(ctx, ev.User))
		case bot.HandoffRelease:
			errs = append(errs, s.released(ctx, ev.User))
		}
	}
	return replies, errors.Join(errs...)
}

// open creates a ticket for a chat request or a planned visit, keeps the route to the user and
// shows the ticket to staff.
func (s *Service) open(ctx context.Context, ev bot.Event, sess bot.Session, kind string) (*Ticket, error) {
	n, err := s.cfg.Store.NextCounter(ctx)
	if err != nil {
		return nil, err
	}
	t := &Ticket{
		Code: s.cfg.Codes.Code(n), User: ev.User, Channel: ev.Channel, Lang: sess.Lang, Kind: kind,
		Answers: map[string]string{}, Topics: sess.Topics, Status: StatusOpen, Created: s.cfg.Now(),
	}
	for k, v := range sess.Answers {
		if k != bot.AnswerVisitDay && k != bot.AnswerInterpreter {
			t.Answers[k] = v
		}
	}
	if kind == bot.HandoffVisit {
		t.Day = sess.Answers[bot.AnswerVisitDay]
		t.Interp = sess.Answers[bot.AnswerInterpreter] == "yes"
	}
	if err := s.save(ctx, t); err != nil {
		return nil, err
	}
	if ev.Route != "" {
		if err := s.cfg.Store.SetRoute(ctx, ev.User, s.cfg.Sealer.Seal(ev.User, []byte(ev.Route)), s.ttl(t)); err != nil {
			return nil, err
		}
	}
	if kind == bot.HandoffVisit {
		if err := s.schedule(ctx, t); err != nil {
			return nil, err
		}
	}
	s.cfg.Count("opened")
	s.observe("opened", t)
	if s.cfg.Staff != nil {
		s.cfg.Staff.PostStaff(bot.StaffPost{Text: s.card(t), Buttons: s.ticketButtons(t), Ticket: t.Code, Card: true, Posted: s.linker(t)})
	}
	return t, nil
}

// ttl is how long a ticket is kept from now: TicketTTL, and a planned visit's at least until
// VisitGrace after the end of its day (office time).
func (s *Service) ttl(t *Ticket) time.Duration {
	day, err := time.ParseInLocation(bot.DayLayout, t.VisitDay(), s.cfg.Calendar.loc)
	if err != nil {
		return s.cfg.TicketTTL
	}
	return max(s.cfg.TicketTTL, day.AddDate(0, 0, 1).Add(VisitGrace).Sub(s.cfg.Now()))
}

// save writes a ticket for as long as ttl says.
func (s *Service) save(ctx context.Context, t *Ticket) error {
	return s.cfg.Store.SaveTicket(ctx, t, s.ttl(t))
}

// schedule sets the reminder for the day before the visit, unless that moment has passed.
func (s *Service) schedule(ctx context.Context, t *Ticket) error {
	day, err := time.ParseInLocation(bot.DayLayout, t.Day, s.cfg.Calendar.loc)
	if err != nil {
		return s.cfg.Store.CancelReminder(ctx, t.User)
	}
	at := bot.RemindAt(day)
	if !at.After(s.cfg.Now()) {
		return s.cfg.Store.CancelReminder(ctx, t.User)
	}
	return s.cfg.Store.Remind(ctx, t.User, at)
}

// relay passes what a user wrote or sent to staff, marked with the ticket's code so a reply
// finds it. A medium goes to the staff chat as itself, with the text (its kind and size) and
// its caption above; the workspace records the text.
func (s *Service) relay(ctx context.Context, ev bot.Event, sess bot.Session, text string, m *bot.Medium) error {
	t, err := s.userTicket(ctx, ev.User)
	if err != nil {
		return err
	}
	if t == nil {
		// Waiting without a ticket (it expired or was erased): open one so staff see the message.
		if t, err = s.open(ctx, ev, sess, bot.HandoffChat); err != nil {
			return err
		}
	}
	if m != nil && m.Caption != "" {
		text += "\n" + m.Caption // what the user wrote with it
	}
	line := fmt.Sprintf("✉ %s [%s]\n%s", t.Code, sess.Lang, text)
	if m != nil {
		s.postMedium(t, line, m)
		s.recordRelay(ctx, t, "", text)
		return nil
	}
	s.postFor(t, line)
	s.recordRelay(ctx, t, "", text)
	return nil
}

// released tells staff that the user took the bot back and frees the chat ticket.
func (s *Service) released(ctx context.Context, user string) error {
	code, err := s.cfg.Store.UserTicket(ctx, user)
	if err != nil || code == "" {
		return err
	}
	t, err := s.cfg.Store.Ticket(ctx, code)
	if err != nil || t == nil {
		return err
	}
	s.post(fmt.Sprintf("↩ %s: %s", code, s.st("user_left")))
	if t.Kind == bot.HandoffChat && t.Status != StatusClosed {
		t.Status = StatusClosed
		s.cfg.Count("closed")
		_ = s.cfg.Store.Unclaim(ctx, code)
		return s.save(ctx, t)
	}
	return nil
}

// sendUser writes to the user of a ticket through the stored route.
func (s *Service) sendUser(ctx context.Context, t *Ticket, replies []bot.Reply) error {
	sealed, err := s.cfg.Store.Route(ctx, t.User)
	if err != nil {
		return err
	}
	if sealed == nil {
		return errors.New("handoff: no route to the user (expired or erased)")
	}
	route, err := s.cfg.Sealer.Open(t.User, sealed)
	if err != nil {
		return err
	}
	u := s.cfg.Users[t.Channel]
	if u == nil {
		return fmt.Errorf("handoff: cannot write first on channel %q", t.Channel)
	}
	return u.SendTo(string(route), t.User, bot.ForDisplay(s.cfg.Language, replies))
}

// setMode changes the user's session mode (staff take or hand back).
func (s *Service) setMode(ctx context.Context, user, mode string) error {
	return s.cfg.Sessions.Update(ctx, user, func(sess *bot.Session) error {
		sess.Mode = mode
		return nil
	})
}

// userText is a message in the ticket's language.
func (s *Service) userText(t *Ticket, id string) string {
	return s.cfg.Language.Text(t.Lang, id, "")
}

// dayLine is "tirsdag 30.03.2027, 10:00–15:00" in a language.
func (s *Service) dayLine(lang, day, at string) string {
	d, err := time.ParseInLocation(bot.DayLayout, day, s.cfg.Calendar.loc)
	if err != nil {
		return day
	}
	line := bot.DayLabel(s.cfg.Language, lang, d) + "." + d.Format("2006") + ", "
	if at != "" {
		return line + at
	}
	return line + s.cfg.Calendar.Hours(d)
}

// card is a ticket as staff see it, in the staff language: code, language, channel, what the
// user asked for, and their answers and topics by their labels.
func (s *Service) card(t *Ticket) string {
	var b strings.Builder
	if t.Kind == bot.HandoffUrgent {
		b.WriteString("🚨 ")
	}
	fmt.Fprintf(&b, "🎫 %s\n%s: %s · %s: %s\n", t.Code, s.st("lang"), t.Lang, s.st("channel"), t.Channel)
	if t.Kind == bot.HandoffVisit {
		fmt.Fprintf(&b, "%s: %s\n", s.st("visit"), s.dayLine(s.cfg.StaffLang, t.Day, t.Time))
		interp := s.st("no")
		if t.Interp {
			interp = s.st("yes") + " (" + t.Lang + ")"
		}
		fmt.Fprintf(&b, "%s: %s\n", s.st("interpreter"), interp)
	} else if t.Kind == bot.HandoffUrgent {
		fmt.Fprintf(&b, "%s\n", s.st("urgent"))
	} else {
		fmt.Fprintf(&b, "%s\n", s.st("wants_chat"))
	}
	for _, a := range s.answers(t.Answers) {
		fmt.Fprintf(&b, "• %s\n", a)
	}
	if len(t.Topics) > 0 {
		var names []string
		for _, f := range t.Topics {
			names = append(names, s.topicName(f))
		}
		fmt.Fprintf(&b, "%s: %s\n", s.st("topics"), strings.Join(names, ", "))
	}
	status := s.st(t.Status)
	if t.Staff != "" {
		status += " (" + t.Staff + ")"
	}
	fmt.Fprintf(&b, "%s: %s", s.st("status"), status)
	return b.String()
}

func (s *Service) ticketButtons(t *Ticket) []bot.Button {
	return []bot.Button{
		{Label: s.st("take"), Data: "take|" + t.Code},
		{Label: s.st("close"), Data: "close|" + t.Code},
	}
}

// userTicket is the user's latest ticket, nil when they have none.
func (s *Service) userTicket(ctx context.Context, user string) (*Ticket, error) {
	code, err := s.cfg.Store.UserTicket(ctx, user)
	if err != nil || code == "" {
		return nil, err
	}
	return s.cfg.Store.Ticket(ctx, code)
}

// openTicket is the user's latest ticket while it is open or taken; nil when they have none or
// it was closed.
func (s *Service) openTicket(ctx context.Context, user string) (*Ticket, error) {
	t, err := s.userTicket(ctx, user)
	if err != nil || t == nil || t.Status == StatusClosed {
		return nil, err
	}
	return t, nil
}

// sessionEraser is implemented by session stores whose Erase also removes the handoff data
// (bot/redis): EraseSession drops the conversation alone.
type sessionEraser interface {
	EraseSession(ctx context.Context, user string) error
}

// UserBlocked acts on a user who blocked the bot (Telegram's my_chat_member "kicked"). Nothing
// reaches them any more, so their route, reminder and session go; their ticket stays until it
// expires, so reception can still look up the code of a planned visit when they come. Staff
// are told, and a chat ticket is closed: nobody can answer it.
func (s *Service) UserBlocked(ctx context.Context, user string) error {
	errs := []error{s.cfg.Store.DeleteRoute(ctx, user), s.cfg.Store.CancelReminder(ctx, user)}
	t, err := s.openTicket(ctx, user)
	errs = append(errs, err)
	if t != nil {
		s.post(fmt.Sprintf("⛔ %s: %s", t.Code, s.st("user_blocked")))
		if t.Kind == bot.HandoffChat {
			t.Status = StatusClosed
			s.cfg.Count("closed")
			errs = append(errs, s.cfg.Store.Unclaim(ctx, t.Code), s.save(ctx, t))
		}
	}
	if e, ok := s.cfg.Sessions.(sessionEraser); ok {
		errs = append(errs, e.EraseSession(ctx, user))
	} else {
		errs = append(errs, s.cfg.Sessions.Erase(ctx, user))
	}
	return errors.Join(errs...)
}
