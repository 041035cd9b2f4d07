package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/outbox"
	"github.com/returnbot/returnbot/bot/webchat"
)

// outboxStorer is implemented by stores that keep the web chat outbox next to sessions
// (bot/redis), shared by all replicas and erased with the user.
type outboxStorer interface {
	Outbox() outbox.Outbox
}

// webchatChannel serves the chat page and its API on the main HTTP server.
type webchatChannel struct {
	h       *webchat.Handler
	origins []string
}

// newWebchat builds the web chat, on unless RETURNBOT_WEBCHAT=off: with nothing configured, the
// bot is a chat page at http://127.0.0.1:8080.
func newWebchat(d deps) (channel, error) {
	if strings.EqualFold(strings.TrimSpace(d.cfg.env("RETURNBOT_WEBCHAT")), "off") {
		return nil, nil
	}
	var origins []string
	for _, o := range strings.FieldsFunc(d.cfg.env("RETURNBOT_WEBCHAT_ORIGINS"), func(r rune) bool { return r == ',' || r == ' ' }) {
		origins = append(origins, strings.TrimRight(o, "/"))
	}
	lim, ok := d.store.(bot.Admitter)
	if !ok {
		lim = inmem.NewLimiter()
	}
	if lim == nil {
		d.log.Warn("webchat: no rate limiter available; requests are not rate-limited")
	}
	// Staff replies and reminders wait in an outbox that every replica's page poll can reach.
	var box outbox.Outbox
	if s, ok := d.store.(outboxStorer); ok {
		box = s.Outbox()
	} else {
		box = inmem.NewOutbox()
	}
	cfg := webchat.Config{
		Bot:               d.bot,
		Secret:            d.cfg.secretOrLocal(),
		Limiter:           lim,
		FrameOrigins:      origins,
		TrustForwardedFor: d.cfg.env("RETURNBOT_TRUST_PROXY") == "1",
		Outbox:            box,
		Log:               d.log,
		Audio:             d.audio,
	}
	if d.metrics != nil {
		cfg.Metrics = d.metrics
	}
	if path := strings.TrimSpace(d.cfg.env("RETURNBOT_WEBCHAT_LOGO")); path != "" {
		// The office's own logo (SVG, PNG or JPEG) in the page's header and as its favicon.
		logo, err := os.ReadFile(path)
		if err != nil || len(logo) > webchat.MaxLogo {
			return nil, fmt.Errorf("RETURNBOT_WEBCHAT_LOGO: %d bytes (at most %d), %v", len(logo), webchat.MaxLogo, err)
		}
		cfg.Logo = logo
	}
	h := webchat.New(cfg)
	addUserSender(d, webchat.Channel, h) // handoff.go
	return &webchatChannel{h: h, origins: origins}, nil
}

func (c *webchatChannel) Describe() string {
	s := "web chat at / (API /webchat/api/message, /webchat/api/inbox)"
	if len(c.origins) > 0 {
		s += ", embeddable by " + strings.Join(c.origins, " ")
	}
	return s
}

func (c *webchatChannel) Routes(mux *http.ServeMux) { c.h.Routes(mux) }

// Run has nothing to do in the background: the web chat answers inside its HTTP handlers.
func (c *webchatChannel) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// newLocalLimiter is the in-process limiter used when the store does not limit across replicas.
func newLocalLimiter() bot.Limiter { return inmem.NewLimiter() }
