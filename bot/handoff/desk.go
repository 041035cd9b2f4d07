package handoff

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/returnbot/returnbot/bot"
)

// The staff workspace in the browser (bot/staff) works on the same tickets as the staff chat:
// what one does, the other shows. These methods are its side of the service; who acts was
// authorised by the workspace (a signed-in account with the right role), and every action is in
// the audit trail under the account's name.

// Desk records the conversation on tickets for the staff workspace: what users wrote while they
// waited for or talked with staff, and what staff answered. /forget erases it with the user.
type Desk interface {
	// Relayed records one message on a ticket; from is "" for the user, else the staff member.
	Relayed(ctx context.Context, t *Ticket, from, text string)
	// EraseUser deletes everything the workspace keeps about the user.
	EraseUser(ctx context.Context, user string) error
}

// SetDesk connects the staff workspace.
func (s *Service) SetDesk(d Desk) { s.desk = d }

// Visit outcomes (Ticket.Visit), set by reception.
const (
	VisitArrived = "arrived"
	VisitNoShow  = "noshow"
)

// Errors of the workspace's actions.
var (
	// ErrNoTicket: no live ticket has that code.
	ErrNoTicket = errors.New("handoff: no such ticket")
	// ErrHeld: another staff member holds the ticket (the error's text says who).
	ErrHeld = errors.New("handoff: held by someone else")
	// ErrUnknownMessage: a canned answer that is not a content message.
	ErrUnknownMessage = errors.New("handoff: no such message")
)

// HeldError says who holds a ticket.
type HeldError struct{ Holder string }

func (e *HeldError) Error() string { return "taken by " + e.Holder }

// Unwrap makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Unwrap() error { return ErrHeld }

// Tickets lists the open and taken tickets, oldest first.
func (s *Service) Tickets(ctx context.Context) ([]*Ticket, error) {
	codes, err := s.cfg.Store.Queue(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Ticket
	for _, c := range codes {
		t, err := s.cfg.Store.Ticket(ctx, c)
		if err != nil {
			return nil, err
		}
		if t != nil && t.Status != StatusClosed {
			out = append(out, t)
		}
	}
	return out, nil
}

// DayVisits lists the visits planned for day (bot.DayLayout), by time and then as planned: the
// day sheet. It is built from the visits' own records, so a visit stays on it whatever became
// of its ticket (taken, handed back, closed) until the record expires, VisitGrace after the day
// at the earliest; /forget removes it.
func (s *Service) DayVisits(ctx context.Context, day string) ([]*Ticket, error) {
	list, err := s.cfg.Store.DayVisits(ctx, day)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Time < list[j].Time })
	return list, nil
}

// Lookup returns the live ticket of a code as a person typed it; ErrNoTicket when there is none.
func (s *Service) Lookup(ctx context.Context, typed string) (*Ticket, error) {
	code, ok := NormalizeCode(typed)
	if !ok {
		return nil, ErrNoTicket
	}
	t, err := s.cfg.Store.Ticket(ctx, code)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, ErrNoTicket
	}
	return t, nil
}

// Audit writes one workspace action to the audit trail.
func (s *Service) Audit(ctx context.Context, who, action, code string) {
	s.audit(ctx, who, action, code)
}

// DeskTake gives the ticket to who, unless someone holds it (a *HeldError says who). The staff
// chat sees it taken.
func (s *Service) DeskTake(ctx context.Context, who, code string) (*Ticket, error) {
	t, err := s.Lookup(ctx, code)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, who, "take", t.Code)
	holder, won, err := s.cfg.Store.Claim(ctx, t.Code, who, s.cfg.TicketTTL)
	if err != nil {
		return nil, err
	}
	if !won {
		return t, &HeldError{Holder: holder}
	}
	msg := s.take(ctx, t, who) // the same steps as /take
	s.post(msg)
	return t, nil
}

// holds checks that who holds the ticket (taking it when nobody does, as a reply in the staff
// chat does).
func (s *Service) holds(ctx context.Context, who, code string) (*Ticket, error) {
	t, err := s.Lookup(ctx, code)
	if err != nil {
		return nil, err
	}
	holder, won, err := s.cfg.Store.Claim(ctx, t.Code, who, s.cfg.TicketTTL)
	if err != nil {
		return nil, err
	}
	if !won {
		return t, &HeldError{Holder: holder}
	}
	if t.Status != StatusTaken || t.Staff != who {
		t.Status, t.Staff = StatusTaken, who
		if err := s.save(ctx, t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// DeskReply sends staff's words to the ticket's user (marked as from a counsellor); the bot
// stays silent while staff hold the chat.
func (s *Service) DeskReply(ctx context.Context, who, code, text string) error {
	t, err := s.holds(ctx, who, code)
	if err != nil {
		return err
	}
	s.audit(ctx, who, "reply", t.Code)
	_ = s.setMode(ctx, t.User, bot.ModeStaff)
	msg := s.userText(t, bot.MsgFromStaff) + "\n" + text
	if err := s.sendUser(ctx, t, []bot.Reply{{Lang: t.Lang, Text: msg}}); err != nil {
		return err
	}
	s.recordRelay(ctx, t, who, text)
	s.post(fmt.Sprintf("✉ %s ← %s", t.Code, who))
	return nil
}

// DeskCanned sends a content message (msgID from the locale files) to the ticket's user in the
// user's language: a counsellor who does not read it can still send correct text. It returns
// the text sent.
func (s *Service) DeskCanned(ctx context.Context, who, code, msgID string) (string, error) {
	venue, ok := s.cannedVenue(msgID)
	if !ok {
		return "", ErrUnknownMessage
	}
	t, err := s.holds(ctx, who, code)
	if err != nil {
		return "", err
	}
	s.audit(ctx, who, "canned:"+msgID, t.Code)
	_ = s.setMode(ctx, t.User, bot.ModeStaff)
	text := s.cfg.Language.Text(t.Lang, msgID, venue)
	msg := s.userText(t, bot.MsgFromStaff) + "\n" + text
	if err := s.sendUser(ctx, t, []bot.Reply{{Lang: t.Lang, Text: msg}}); err != nil {
		return "", err
	}
	s.recordRelay(ctx, t, who, text)
	return text, nil
}

// Canned reports whether msgID is a content message staff may send: a text some page of the
// flows says (not a button label, nor a page whose text depends on the clock).
func (s *Service) Canned(msgID string) bool {
	_, ok := s.cannedVenue(msgID)
	return ok
}

// cannedVenue is the venue (office) the page that says msgID is about, and whether one does.
func (s *Service) cannedVenue(msgID string) (string, bool) {
	for _, f := range s.cfg.Content.Flows {
		for _, n := range f.Nodes {
			if n.Handoff != "" {
				continue
			}
			for _, id := range n.Say {
				if id == msgID {
					return n.Venue, true
				}
			}
		}
	}
	return "", false
}

// CannedIDs lists the content messages staff may send, by flow and by line in its file.
func (s *Service) CannedIDs() []string {
	var nodes []*bot.Node
	for _, f := range s.cfg.Content.Flows {
		for _, n := range f.Nodes {
			if n.Handoff == "" && len(n.Say) > 0 {
				nodes = append(nodes, n)
			}
		}
	}
	sort.Slice(nodes, func(i, j int) bool {
		if nodes[i].Flow != nodes[j].Flow {
			return nodes[i].Flow < nodes[j].Flow
		}
		return nodes[i].Line < nodes[j].Line
	})
	seen := map[string]bool{}
	var ids []string
	for _, n := range nodes {
		for _, id := range n.Say {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// DeskBack hands the chat back to the bot: the user is told, the ticket is free again.
func (s *Service) DeskBack(ctx context.Context, who, code string) error {
	t, err := s.holds(ctx, who, code)
	if err != nil {
		return err
	}
	s.audit(ctx, who, "back", t.Code)
	t.Staff, t.Status = "", StatusOpen
	_ = s.cfg.Store.Unclaim(ctx, t.Code)
	if err := s.save(ctx, t); err != nil {
		return err
	}
	_ = s.setMode(ctx, t.User, "")
	_ = s.sendUser(ctx, t, []bot.Reply{{Lang: t.Lang, Text: s.userText(t, bot.MsgStaffDone)}})
	s.post(t.Code + ": " + s.st("handed_back"))
	return nil
}

// DeskClose closes a ticket (anyone with the counsellor role may close one nobody holds).
func (s *Service) DeskClose(ctx context.Context, who, code string) error {
	t, err := s.holds(ctx, who, code)
	if err != nil {
		return err
	}
	s.audit(ctx, who, "close", t.Code)
	s.post(s.closeTicket(ctx, t, who))
	return nil
}

// DeskVisit records what became of a planned visit: VisitArrived or VisitNoShow ("" clears it).
func (s *Service) DeskVisit(ctx context.Context, who, code, outcome string) (*Ticket, error) {
	t, err := s.Lookup(ctx, code)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, who, "visit:"+outcome, t.Code)
	t.Visit = outcome
	if err := s.save(ctx, t); err != nil {
		return nil, err
	}
	if outcome != "" {
		s.cfg.Count("visit_" + outcome)
		s.observe("visit_"+outcome, t)
	}
	return t, nil
}

// recordRelay gives a relayed message to the workspace.
func (s *Service) recordRelay(ctx context.Context, t *Ticket, from, text string) {
	if s.desk != nil {
		s.desk.Relayed(ctx, t, from, text)
	}
}
