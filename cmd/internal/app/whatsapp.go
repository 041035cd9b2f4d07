package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/returnbot/returnbot/bot"
	rstore "github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// windowTTL is how long the Redis record of a user's last message is kept: the service window
// and an hour, so that the gap between a message's time and its write, and clocks that differ
// between replicas and Redis, never end a record while its window is open.
const windowTTL = whatsapp.ServiceWindow + time.Hour

// whatsappChannel is the WhatsApp Cloud API webhook and sender.
type whatsappChannel struct {
	a        *whatsapp.Adapter
	template string
}

// newWhatsApp builds the WhatsApp channel, on when WHATSAPP_TOKEN is set; see docs/whatsapp.md.
func newWhatsApp(d deps) (channel, error) {
	env := d.cfg.env
	token := env("WHATSAPP_TOKEN")
	if token == "" {
		return nil, nil
	}
	cfg := whatsapp.Config{
		Bot:           d.bot,
		Secret:        d.cfg.secretOrLocal(),
		Token:         token,
		PhoneNumberID: env("WHATSAPP_PHONE_NUMBER_ID"),
		AppSecret:     env("WHATSAPP_APP_SECRET"),
		VerifyToken:   env("WHATSAPP_VERIFY_TOKEN"),
		Endpoint:      env("WHATSAPP_API_ENDPOINT"),
		TemplateName:  env("WHATSAPP_TEMPLATE_NAME"),
		TemplateLang:  env("WHATSAPP_TEMPLATE_LANG"),
		Log:           d.log,
		Audio:         d.audio,
		AudioIDs:      audioIDs(d), // audio.go
	}
	if d.metrics != nil {
		cfg.Metrics = d.metrics
	}
	policy, err := redelivery(d) // deliver.go
	if err != nil {
		return nil, err
	}
	cfg.Queue, cfg.Redeliver = deliveryQueue(d, whatsapp.Channel), policy
	// Pacing: Meta's throughput per number and pair rate per user, shared by replicas with Redis.
	if cfg.GlobalRate, err = rateFromEnv(env, "WHATSAPP_RATE_GLOBAL", whatsapp.DefaultGlobalRate); err != nil {
		return nil, err
	}
	if cfg.ChatRate, err = rateFromEnv(env, "WHATSAPP_RATE_CHAT", whatsapp.DefaultChatRate); err != nil {
		return nil, err
	}
	if lim, ok := d.store.(bot.Limiter); ok {
		cfg.Limiter = lim
	}
	// With Redis every replica sees when a user last wrote, whichever replica got the message,
	// and "forget me" deletes the record with the user's other keys. Without it the window is
	// in this process's memory, as is everything else.
	if s, ok := d.store.(*rstore.Store); ok {
		cfg.Window = s.Window(windowTTL)
	}
	for name, v := range map[string]string{
		"WHATSAPP_PHONE_NUMBER_ID": cfg.PhoneNumberID,
		"WHATSAPP_APP_SECRET":      cfg.AppSecret,
		"WHATSAPP_VERIFY_TOKEN":    cfg.VerifyToken,
	} {
		if v == "" {
			return nil, fmt.Errorf("WHATSAPP_TOKEN is set but %s is not (see docs/whatsapp.md)", name)
		}
	}
	// Meta sends the verify token in the subscription handshake; a guessable one lets anyone pass
	// the handshake as Meta. Meta accepts any string, so the bot asks for a strong one.
	if err := checkSecret("WHATSAPP_VERIFY_TOKEN", cfg.VerifyToken, minWebhookLen); err != nil {
		return nil, err
	}
	if cfg.TemplateName == "" {
		d.log.Warn("whatsapp: WHATSAPP_TEMPLATE_NAME is not set; messages the bot starts outside the 24-hour window will be held back")
	}
	a := whatsapp.New(cfg)
	addUserSender(d, whatsapp.Channel, a) // handoff.go: staff replies and reminders
	return &whatsappChannel{a: a, template: cfg.TemplateName}, nil
}

func (c *whatsappChannel) Describe() string {
	s := "WhatsApp Cloud API webhook at /whatsapp/webhook"
	if c.template != "" {
		s += " (template " + c.template + " outside the 24-hour window)"
	}
	return s
}

func (c *whatsappChannel) Routes(mux *http.ServeMux) { c.a.Routes(mux) }

// Run waits for shutdown, then lets queued answers finish within the grace period.
func (c *whatsappChannel) Run(ctx context.Context) error {
	// The delivery queue's runtime runs until the answers in flight are done (they may park).
	rtCtx, rtStop := context.WithCancel(context.Background())
	rtDone := make(chan struct{})
	go func() { defer close(rtDone); c.a.Run(rtCtx) }()
	<-ctx.Done()
	wctx, cancel := context.WithTimeout(context.Background(), shutdownGrace-time.Second)
	defer cancel()
	_ = c.a.Wait(wctx)
	rtStop()
	<-rtDone
	return nil
}

// Adapter exposes the adapter to the handoff wiring (SendProactive, Stats).
func (c *whatsappChannel) Adapter() *whatsapp.Adapter { return c.a }
