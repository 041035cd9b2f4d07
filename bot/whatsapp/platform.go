package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
)

// Default pacing, from Meta's limits: about 80 messages a second per business number
// (throughput), and about one message every 6 seconds to one user (the pair rate), with
// bursts allowed.
var (
	DefaultGlobalRate = deliver.Rate{PerSecond: 80, Burst: 80}
	DefaultChatRate   = deliver.Rate{PerSecond: 1.0 / 6, Burst: 45}
)

// platform is the Graph API as the delivery runtime (bot/deliver) sees it: render replies into
// Cloud API messages, post one, say what a failure means.
type platform struct{ a *Adapter }

var _ deliver.Platform = platform{}

// Render implements deliver.Platform: the Cloud API messages that show replies to the wa_id
// to, in order.
func (p platform) Render(to string, replies []bot.Reply) []deliver.Message {
	var out []deliver.Message
	for _, r := range replies {
		for _, m := range Render(to, r, p.a.menuLabel(r.Lang)) {
			body, err := json.Marshal(m)
			if err != nil {
				p.a.cfg.Log.Error("whatsapp: a rendered message has no JSON form; not sent", "err", err)
				continue
			}
			msg := deliver.Message{Body: body, Kind: typeOf(m)}
			if r.Audio != "" {
				msg.Method = methodAudio
			}
			out = append(out, msg)
		}
	}
	return out
}

// typeOf names a message in logs by its Cloud API type.
func typeOf(m OutMessage) string {
	if t, ok := m["type"].(string); ok && t != "text" {
		return t
	}
	return "message"
}

// Post implements deliver.Platform: one POST to /<phone number id>/messages.
func (p platform) Post(ctx context.Context, m deliver.Message) error {
	if m.Method == methodAudio {
		return p.a.sendAudio(ctx, m.Body)
	}
	url := strings.TrimRight(p.a.cfg.Endpoint, "/") + "/" + p.a.cfg.PhoneNumberID + "/messages"
	_, err := p.a.postOnce(ctx, url, m.Body)
	return err
}

// Classify implements deliver.Platform: 429 and 5xx are transient (after the Retry-After when
// given), other refusals final; network errors are transient.
func (platform) Classify(err error) deliver.Failure {
	var se *SendError
	if !errors.As(err, &se) {
		return deliver.Failure{Outcome: deliver.Retry}
	}
	f := deliver.Failure{Outcome: deliver.Drop, Code: se.Status}
	if se.Status == http.StatusTooManyRequests || se.Status >= 500 {
		f.Outcome, f.After, f.Throttled = deliver.Retry, se.retryAfter, se.Status == http.StatusTooManyRequests
	}
	return f
}
