package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
)

// Rate is a token bucket of the pacing: PerSecond refill with room for Burst messages at once.
type Rate = deliver.Rate

// platform is the Bot API as the delivery runtime (bot/deliver) sees it: render replies into
// Bot API calls, post one, say what a failure means.
type platform struct{ c *Adapter }

var _ deliver.Platform = platform{}

// Render implements deliver.Platform: the calls render builds for the chat to (a chat id).
func (p platform) Render(to string, replies []bot.Reply) []deliver.Message {
	chatID, err := strconv.ParseInt(to, 10, 64)
	if err != nil {
		return nil
	}
	var out []deliver.Message
	for _, m := range render(chatID, replies) {
		method, body, ok := jsonCall(m)
		if !ok {
			p.c.log.Error("telegram: a rendered message has no JSON form; not sent", "what", fmt.Sprintf("%T", m))
			continue
		}
		kind := "message"
		switch method {
		case "sendVenue":
			kind = "venue"
		case methodVoice:
			kind = "voice"
		}
		out = append(out, deliver.Message{Method: method, Body: body, Kind: kind})
	}
	return out
}

// Post implements deliver.Platform: one Bot API call, errors scrubbed of the token.
func (p platform) Post(ctx context.Context, m deliver.Message) error {
	a := p.c.api.Load()
	if a == nil {
		return errors.New("telegram: not connected")
	}
	if m.Method == methodVoice {
		return p.c.sendVoice(ctx, a, m.Body)
	}
	_, err := a.post(ctx, m.Method, m.Body)
	return scrub(err, a.token)
}

// Classify implements deliver.Platform: 429 waits retry_after, 403 means the user blocked the
// bot, other 4xx are refusals, and 5xx and network errors are transient.
func (p platform) Classify(err error) deliver.Failure {
	out, wait := classify(context.Background(), err)
	f := deliver.Failure{Outcome: deliver.Retry, Code: errCode(err)}
	switch out {
	case throttled:
		f.After, f.Throttled = wait, true
	case blocked:
		f.Outcome = deliver.Blocked
	case permanent:
		f.Outcome = deliver.Drop
	}
	return f
}

// callbackAnswer is the call that stops a button's spinner.
func callbackAnswer(id string) deliver.Message {
	body, _ := json.Marshal(struct {
		ID string `json:"callback_query_id"`
	}{id})
	return deliver.Message{Method: "answerCallbackQuery", Body: body, Kind: "callback answer", Ack: true}
}

// ackFor is the callback answer of an update, nil without one.
func ackFor(callback string) *deliver.Message {
	if callback == "" {
		return nil
	}
	m := callbackAnswer(callback)
	return &m
}

// chatKey is the chat id as the runtime addresses it.
func chatKey(chatID int64) string { return strconv.FormatInt(chatID, 10) }
