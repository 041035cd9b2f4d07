package app

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/telegram"
)

// newTelegram builds the Telegram channel. It runs when TELEGRAM_TOKEN is set: by webhook when
// TELEGRAM_WEBHOOK_URL is set too, by long polling otherwise (see docs/telegram.md).
func newTelegram(d deps) (channel, error) {
	token := strings.TrimSpace(d.cfg.env("TELEGRAM_TOKEN"))
	if token == "" {
		return nil, nil
	}
	webhookSecret := strings.TrimSpace(d.cfg.env("TELEGRAM_WEBHOOK_SECRET"))
	if strings.TrimSpace(d.cfg.env("TELEGRAM_WEBHOOK_URL")) != "" && webhookSecret != "" {
		// Empty is refused by telegram.New, with the characters Telegram allows.
		if err := checkSecret("TELEGRAM_WEBHOOK_SECRET", webhookSecret, minWebhookLen); err != nil {
			return nil, err
		}
	}
	var staff int64
	if v := strings.TrimSpace(d.cfg.env("TELEGRAM_STAFF_CHAT_ID")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("TELEGRAM_STAFF_CHAT_ID must be a chat id such as -1001234567890")
		}
		staff = id
	}
	globalRate, err := rateFromEnv(d.cfg.env, "TELEGRAM_RATE_GLOBAL", telegram.DefaultGlobalRate)
	if err != nil {
		return nil, err
	}
	chatRate, err := rateFromEnv(d.cfg.env, "TELEGRAM_RATE_CHAT", telegram.DefaultChatRate)
	if err != nil {
		return nil, err
	}
	lim, ok := d.store.(bot.Limiter)
	if !ok {
		lim = newLocalLimiter()
	}
	policy, err := redelivery(d) // deliver.go
	if err != nil {
		return nil, err
	}
	staffHook := &telegramStaff{svc: d.handoff} // handoff.go
	var m telegram.Metrics
	if d.metrics != nil {
		m = d.metrics
	}
	ch, err := telegram.New(telegram.Config{
		Token:         token,
		Endpoint:      strings.TrimSpace(d.cfg.env("TELEGRAM_API_ENDPOINT")),
		WebhookURL:    strings.TrimSpace(d.cfg.env("TELEGRAM_WEBHOOK_URL")),
		WebhookSecret: webhookSecret,
		StaffChatID:   staff,
		StaffHandler:  staffHook.handle, // handoff.go
		Blocked:       staffHook.blocked(),
		Bot:           d.bot,
		Secret:        d.cfg.secretOrLocal(),
		Limiter:       lim,
		Log:           d.log,
		Metrics:       m,
		GlobalRate:    globalRate,
		ChatRate:      chatRate,
		Queue:         deliveryQueue(d, telegram.Channel), // deliver.go
		Redeliver:     policy,
		Audio:         d.audio,
		AudioIDs:      audioIDs(d), // audio.go
		// The command menu and descriptions come from the locale files unless the office
		// keeps its own (BotFather).
		KeepProfile: d.cfg.env("TELEGRAM_KEEP_PROFILE") == "1",
	})
	if err != nil {
		return nil, err
	}
	staffHook.attach(ch) // handoff.go
	return ch, nil
}

// rateFromEnv reads a sending rate in messages per second (TELEGRAM_RATE_GLOBAL: Telegram allows
// about 30 a second, paid broadcasts up to 1,000; TELEGRAM_RATE_CHAT: about one a second per
// chat). The burst is a second's worth, and never less than the default's. Unset: the zero Rate,
// which the channel replaces by its default.
func rateFromEnv(env func(string) string, name string, def telegram.Rate) (telegram.Rate, error) {
	v := strings.TrimSpace(env(name))
	if v == "" {
		return telegram.Rate{}, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r <= 0 || math.IsInf(r, 0) || math.IsNaN(r) {
		return telegram.Rate{}, fmt.Errorf("%s must be a number of messages per second, such as %g", name, def.PerSecond)
	}
	return telegram.Rate{PerSecond: r, Burst: max(def.Burst, int(math.Min(math.Ceil(r), 1e6)))}, nil
}
