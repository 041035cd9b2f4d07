package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/telegram"
)

// Telegram runs when TELEGRAM_TOKEN is set: by webhook when TELEGRAM_WEBHOOK_URL is set too, by
// long polling otherwise (see docs/telegram.md).
func init() { channelFactories = append(channelFactories, newTelegram) }

func newTelegram(d deps) (channel, error) {
	token := strings.TrimSpace(d.cfg.env("TELEGRAM_TOKEN"))
	if token == "" {
		return nil, nil
	}
	var staff int64
	if v := strings.TrimSpace(d.cfg.env("TELEGRAM_STAFF_CHAT_ID")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("TELEGRAM_STAFF_CHAT_ID must be a chat id such as -1001234567890")
		}
		staff = id
	}
	lim, ok := d.store.(bot.Limiter)
	if !ok {
		lim = newLocalLimiter()
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
		WebhookSecret: strings.TrimSpace(d.cfg.env("TELEGRAM_WEBHOOK_SECRET")),
		StaffChatID:   staff,
		StaffHandler:  staffHook.handle, // handoff.go
		Bot:           d.bot,
		Secret:        d.cfg.secretOrLocal(),
		Limiter:       lim,
		Log:           d.log,
		Metrics:       m,
	})
	if err != nil {
		return nil, err
	}
	staffHook.attach(ch) // handoff.go
	return ch, nil
}
