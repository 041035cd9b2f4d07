package handoff

import (
	"context"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// DefaultUntakenAfter is how long a chat request may wait in office hours before the user is
// told that nobody is free and is offered the phone and a visit.
const DefaultUntakenAfter = 10 * time.Minute

// NudgeUntaken tells each user whose chat request nobody took within UntakenAfter, while the
// office is open, that no counsellor is free yet, with the phone and a visit. Each ticket is
// told once: the ticket is marked, and with several replicas a one-token bucket per ticket lets
// exactly one of them send. The ticket stays open, so a counsellor can still take it. It returns
// how many users this call told.
func (s *Service) NudgeUntaken(ctx context.Context) int {
	now := s.cfg.Now()
	if !s.cfg.Calendar.OpenNow(now) {
		return 0 // out of hours the user was told when the office opens, not promised a chat
	}
	codes, err := s.cfg.Store.Queue(ctx)
	if err != nil {
		s.cfg.Log.Error("handoff: reading the queue failed", "err", err)
		return 0
	}
	told := 0
	for _, code := range codes {
		t, err := s.cfg.Store.Ticket(ctx, code)
		if err != nil || t == nil || t.Kind != bot.HandoffChat || t.Status != StatusOpen || t.Staff != "" ||
			t.Nudged || now.Sub(t.Created) < s.cfg.UntakenAfter {
			continue
		}
		once := bot.Bucket{Key: "untaken:" + code, PerSecond: 1 / s.cfg.TicketTTL.Seconds(), Burst: 1}
		if ok, err := s.cfg.Store.Admit(ctx, once); err != nil || !ok {
			continue
		}
		t.Nudged = true
		if err := s.save(ctx, t); err != nil {
			s.cfg.Log.Error("handoff: ticket not saved", "err", err)
			continue
		}
		waiting := false
		_ = s.cfg.Sessions.Update(ctx, t.User, func(sess *bot.Session) error {
			waiting = sess.Mode == bot.ModeWaiting
			return errUnchanged
		})
		if !waiting {
			continue // the user went back to the bot meanwhile
		}
		if err := s.sendUser(ctx, t, []bot.Reply{s.untakenReply(t)}); err != nil {
			s.cfg.Log.Warn("handoff: untaken notice not delivered", "user", t.User, "err", err)
			continue
		}
		s.cfg.Count("untaken")
		told++
	}
	return told
}

// untakenReply is the notice with the buttons of the chat page: plan a visit, call, main menu.
func (s *Service) untakenReply(t *Ticket) bot.Reply {
	r := bot.Reply{Lang: t.Lang, Text: s.userText(t, bot.MsgUntaken)}
	ref := bot.HandoffFlow + ".chat"
	if n := s.cfg.Content.Node(ref); n != nil {
		for _, o := range n.Options {
			r.Buttons = append(r.Buttons, bot.Button{Label: s.userText(t, o.Label), Data: bot.OptionData(ref, o.ID)})
		}
	}
	if len(r.Buttons) == 0 {
		r.Buttons = []bot.Button{{Label: s.userText(t, bot.MsgMenu), Data: "c|menu"}}
	}
	return r
}
