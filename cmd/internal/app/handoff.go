package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/telegram"
)

// Handoff to staff: STAFF_USER_IDS (comma-separated Telegram user ids allowed to act in the
// staff chat), TELEGRAM_STAFF_CHAT_ID (read by telegram.go) and STAFF_LANG (nb or en, default nb).

// handoffStorer is implemented by stores that keep handoff data next to sessions (bot/redis).
type handoffStorer interface {
	HandoffStore() handoff.Store
}

// newHandoff builds the handoff service, gives the engine the office calendar and hooks the
// service into the bot. Channels add themselves as staff chat and user senders.
func newHandoff(d deps) (*handoff.Service, error) {
	c := d.pack.Content
	office := c.Offices[c.DefaultOffice]
	if office == nil {
		return nil, errors.New("handoff: no default office in offices.yaml")
	}
	cal, err := handoff.NewCalendar(office)
	if err != nil {
		return nil, fmt.Errorf("handoff: office time zone: %w", err)
	}
	secret := d.cfg.secretOrLocal()
	sealer, err := handoff.NewSealer(secret)
	if err != nil {
		return nil, err
	}
	var store handoff.Store = inmem.NewHandoff()
	if hs, ok := d.store.(handoffStorer); ok {
		store = hs.HandoffStore() // Redis: shared by all replicas
	}
	staffIDs, err := parseStaffIDs(d.cfg.env("STAFF_USER_IDS"))
	if err != nil {
		return nil, err
	}
	lang := strings.TrimSpace(d.cfg.env("STAFF_LANG"))
	if lang == "" {
		lang = "nb"
	}
	if lang != "nb" && lang != "en" {
		return nil, errors.New("STAFF_LANG must be nb or en")
	}
	svc, err := handoff.NewService(handoff.Config{
		Store: store, Sessions: d.store, Language: d.pack.Catalog, Content: c, Calendar: cal,
		Codes: handoff.NewCodes(secret), Sealer: sealer, Secret: secret, StaffIDs: staffIDs,
		StaffLang: lang, Count: d.metrics.Ticket, Log: d.log,
	})
	if err != nil {
		return nil, err
	}
	d.pack.Engine.SetCalendar(cal)
	d.bot.SetHandoff(svc)
	return svc, nil
}

// addUserSender lets the handoff service write first to users of a channel (staff replies,
// reminders). Without a service (tests of a single channel) there is nothing to register.
func addUserSender(d deps, channel string, u handoff.UserSender) {
	if d.handoff != nil {
		d.handoff.SetUserSender(channel, u)
	}
}

// parseStaffIDs reads STAFF_USER_IDS.
func parseStaffIDs(v string) (map[string]bool, error) {
	ids := map[string]bool{}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if _, err := strconv.ParseInt(f, 10, 64); err != nil {
			return nil, errors.New("STAFF_USER_IDS must be comma-separated Telegram user ids")
		}
		ids[f] = true
	}
	return ids, nil
}

// telegramStaff connects the service to a Telegram adapter: the staff chat hook (set as
// telegram.Config.StaffHandler) and, once the adapter exists, posting and writing first.
type telegramStaff struct {
	svc *handoff.Service
	ad  *telegram.Adapter
}

// handle is the telegram.Config.StaffHandler.
func (s *telegramStaff) handle(ctx context.Context, u tgbotapi.Update) {
	a, ok := telegram.StaffActionOf(u)
	if s.ad != nil {
		defer s.ad.AnswerCallback(a.CallbackID)
	}
	if !ok || s.svc == nil || s.ad == nil {
		return
	}
	s.ad.Fetchable(a.Medium) // a counsellor's voice note may be for a user on another platform
	answer := s.svc.Staff(ctx, handoff.StaffMsg{
		StaffID: strconv.FormatInt(a.UserID, 10), Name: a.Name, Text: a.Text, ReplyTo: a.ReplyTo,
		ReplyToBot: a.ReplyToBot, Data: a.Data, Medium: a.Medium,
	})
	if answer != "" {
		s.ad.PostStaff(bot.StaffPost{Text: answer})
	}
}

// blocked is the telegram.Config.Blocked hook: with a handoff service, a user who blocks the bot
// keeps a planned visit (nil without one: the channel erases the session).
func (s *telegramStaff) blocked() func(ctx context.Context, user string) error {
	if s.svc == nil {
		return nil
	}
	return s.svc.UserBlocked
}

// attach registers the adapter with the service once it is built.
func (s *telegramStaff) attach(ad *telegram.Adapter) {
	s.ad = ad
	if s.svc != nil {
		s.svc.SetStaff(ad)
		s.svc.SetUserSender(telegram.Channel, ad)
	}
}
