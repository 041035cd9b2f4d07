package handoff

import (
	"context"
	"errors"

	"github.com/returnbot/returnbot/bot"
)

// MediumSender is implemented by a UserSender that can pass a counsellor's medium (a voice note,
// a photo) to a user: by reference when the medium is on the same platform, else streamed from
// m.Open and uploaded. caption goes with the medium where the platform allows, before it
// otherwise. Nothing of the medium is stored.
type MediumSender interface {
	SendMedium(ctx context.Context, route, user string, m bot.Medium, caption string) error
}

// errNoMedia says the user's channel cannot take media from staff.
var errNoMedia = errors.New("handoff: the user's channel cannot take media")

// replyMedium sends staff's medium to the user of a ticket, marked as from a counsellor (with
// the caption staff wrote, if any). Like a reply, it takes the ticket when nobody holds it.
func (s *Service) replyMedium(ctx context.Context, t *Ticket, display string, m *bot.Medium, caption string) string {
	if m.TooLarge() {
		return t.Code + ": " + s.st("send_failed") + " (" + m.Describe() + ")"
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
		_ = s.cfg.Store.SaveTicket(ctx, t, s.cfg.TicketTTL)
	}
	_ = s.setMode(ctx, t.User, bot.ModeStaff)
	text := s.userText(t, bot.MsgFromStaff)
	if caption != "" {
		text += "\n" + caption
	}
	if err := s.sendMedium(ctx, t, *m, text); err != nil {
		s.cfg.Log.Warn("handoff: staff medium not delivered", "user", t.User, "kind", m.Kind, "size", m.Size, "err", err)
		return t.Code + ": " + s.st("send_failed")
	}
	s.recordRelay(ctx, t, display, "["+m.Describe()+"]")
	return t.Code + ": " + s.st("sent")
}

// sendMedium is sendUser for a medium.
func (s *Service) sendMedium(ctx context.Context, t *Ticket, m bot.Medium, caption string) error {
	ms, ok := s.cfg.Users[t.Channel].(MediumSender)
	if !ok {
		return errNoMedia
	}
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
	return ms.SendMedium(ctx, string(route), t.User, m, caption)
}
