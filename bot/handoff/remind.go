package handoff

import (
	"context"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// SendDueReminders sends the reminders that are due. Each is claimed first (removed from the
// store), so with several replicas each reminder goes out exactly once. It returns how many
// this call sent.
func (s *Service) SendDueReminders(ctx context.Context) int {
	users, err := s.cfg.Store.DueReminders(ctx, s.cfg.Now(), 100)
	if err != nil {
		s.cfg.Log.Error("handoff: reading due reminders failed", "err", err)
		return 0
	}
	sent := 0
	for _, u := range users {
		won, err := s.cfg.Store.ClaimReminder(ctx, u)
		if err != nil || !won {
			continue
		}
		code, err := s.cfg.Store.UserTicket(ctx, u)
		if err != nil || code == "" {
			continue
		}
		t, err := s.cfg.Store.Ticket(ctx, code)
		if err != nil || t == nil || t.Day == "" {
			continue
		}
		text := s.userText(t, bot.MsgReminder) + "\n\n" + s.userText(t, bot.MsgCardWhen) + " " +
			s.dayLine(t.Lang, t.Day, t.Time) + "\n" + s.userText(t, bot.MsgVisitCode) + " " + t.Code
		menu := bot.Button{Label: s.userText(t, bot.MsgMenu), Data: "c|menu"}
		if err := s.sendUser(ctx, t, []bot.Reply{{Lang: t.Lang, Text: text, Buttons: []bot.Button{menu}}}); err != nil {
			s.cfg.Log.Warn("handoff: reminder not delivered", "user", u, "err", err)
			continue
		}
		sent++
	}
	return sent
}

// RunReminders sends due reminders, and tells users whose chat nobody took in time
// (NudgeUntaken), every interval until ctx ends.
func (s *Service) RunReminders(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.SendDueReminders(ctx)
		s.NudgeUntaken(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
