package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
)

// WhatsApp's limits for what the bot sends.
const (
	MaxTextRunes        = 4096 // a text message body
	MaxInteractiveBody  = 1024 // the body of an interactive message
	MaxButtons          = 3    // reply buttons in one message
	MaxButtonTitle      = 20   // a reply button's title
	MaxListRows         = 10   // rows in a list message
	MaxRowTitle         = 24   // a list row's title
	MaxRowDescription   = 72   // a list row's description
	MaxListButton       = 20   // the button that opens a list
	emptyInteractiveTag = "☰"  // body of an interactive message whose reply has no text
)

// ErrHeldBack is returned by SendProactive when the user is outside the 24-hour window and no
// template is configured: nothing was sent.
var ErrHeldBack = errors.New("whatsapp: outside the 24-hour window and no template configured; message held back")

// OutMessage is one outbound Cloud API message body, as JSON-ready maps.
type OutMessage = map[string]any

// Render turns one reply into the Cloud API messages that show it, in order. menuLabel is the
// text on the button that opens a list.
func Render(to string, r bot.Reply, menuLabel string) []OutMessage {
	var out []OutMessage
	base := func(typ string) OutMessage {
		return OutMessage{"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": typ}
	}
	text := func(s string) {
		for _, part := range Split(s, MaxTextRunes) {
			m := base("text")
			m["text"] = map[string]any{"body": part, "preview_url": false}
			out = append(out, m)
		}
	}
	if r.Audio != "" {
		return []OutMessage{audioOut(to, r)} // a recorded answer (audio.go): no text, no buttons
	}
	if v := r.Venue; v != nil {
		m := base("location")
		m["location"] = map[string]any{"latitude": v.Lat, "longitude": v.Lon, "name": v.Name, "address": v.Address}
		out = append(out, m)
	}
	n := len(r.Buttons)
	switch {
	case n == 0:
		if strings.TrimSpace(r.Text) != "" {
			text(r.Text)
		}
		return out
	case n > MaxListRows:
		// Too many for a list: a numbered menu; the engine accepts the number as the choice.
		var b strings.Builder
		b.WriteString(r.Text)
		if r.Text != "" {
			b.WriteString("\n")
		}
		for i, btn := range r.Buttons {
			fmt.Fprintf(&b, "\n%d. %s", i+1, btn.Label)
		}
		text(b.String())
		return out
	}
	body := r.Text
	if utf8.RuneCountInString(body) > MaxInteractiveBody {
		text(body)
		body = ""
	}
	if strings.TrimSpace(body) == "" {
		body = emptyInteractiveTag
	}
	m := base("interactive")
	if n <= MaxButtons {
		buttons := make([]any, n)
		for i, btn := range r.Buttons {
			buttons[i] = map[string]any{"type": "reply", "reply": map[string]any{"id": btn.Data, "title": Truncate(btn.Label, MaxButtonTitle)}}
		}
		m["interactive"] = map[string]any{"type": "button", "body": map[string]any{"text": body}, "action": map[string]any{"buttons": buttons}}
	} else {
		rows := make([]any, n)
		for i, btn := range r.Buttons {
			row := map[string]any{"id": btn.Data, "title": Truncate(btn.Label, MaxRowTitle)}
			if utf8.RuneCountInString(btn.Label) > MaxRowTitle {
				row["description"] = Truncate(btn.Label, MaxRowDescription)
			}
			rows[i] = row
		}
		if strings.TrimSpace(menuLabel) == "" {
			menuLabel = emptyInteractiveTag
		}
		m["interactive"] = map[string]any{"type": "list", "body": map[string]any{"text": body},
			"action": map[string]any{"button": Truncate(menuLabel, MaxListButton), "sections": []any{map[string]any{"rows": rows}}}}
	}
	return append(out, m)
}

// Truncate shortens s to at most max runes, ending with "…" when cut.
func Truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}

// Split cuts s into parts of at most max runes, preferring paragraph, line and word breaks.
func Split(s string, max int) []string {
	var parts []string
	for utf8.RuneCountInString(s) > max {
		r := []rune(s)
		cut := max
		head := string(r[:max])
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(head, sep); i > 0 && utf8.RuneCountInString(head[:i]) > max/2 {
				cut = utf8.RuneCountInString(head[:i])
				break
			}
		}
		parts = append(parts, strings.TrimRight(string(r[:cut]), " \n"))
		s = strings.TrimLeft(string(r[cut:]), " \n")
	}
	if s != "" || len(parts) == 0 {
		parts = append(parts, s)
	}
	return parts
}

// menuLabel is the list button's text in a language: the catalogue's "common.menu".
func (a *Adapter) menuLabel(lang string) string {
	if a.cfg.Bot == nil || a.cfg.Bot.Engine() == nil {
		return emptyInteractiveTag
	}
	return a.cfg.Bot.Engine().Language().Text(lang, bot.MsgMenu, "")
}

// sendReplies sends the replies of one turn through the delivery runtime (bot/deliver): after
// the user's turn before, paced, retried, and parked in the delivery queue when the Graph API
// does not take them in time.
func (a *Adapter) sendReplies(ctx context.Context, user, to string, replies []bot.Reply, t bot.Turn, ordered bool) {
	_ = a.send.Deliver(ctx, user, platform{a}.Render(to, replies), t, ordered)
}

// sendLater sends the replies of a handled message in the user's send sequence (a.out), in the
// order the messages were handled, apart from the sequence that handles them.
func (a *Adapter) sendLater(user, to string, replies []bot.Reply, t bot.Turn) {
	a.out.do(user, func() {
		ctx, cancel := context.WithTimeout(context.Background(), handleTimeout)
		defer cancel()
		a.sendReplies(ctx, user, to, replies, t, true)
	})
}

// sendMessages sends messages built here (a template) through the delivery runtime, as
// sendReplies does rendered replies; it returns the Graph API's refusal, if any.
func (a *Adapter) sendMessages(ctx context.Context, user string, msgs []OutMessage) error {
	out := make([]deliver.Message, 0, len(msgs))
	for _, m := range msgs {
		body, err := json.Marshal(m)
		if err != nil {
			return err
		}
		out = append(out, deliver.Message{Body: body, Kind: typeOf(m)})
	}
	return a.send.Deliver(ctx, user, out, bot.Turn{}, true)
}

// SendProactive sends replies the bot starts itself (handoff answers, reminders) to the WhatsApp
// number to (a wa_id). Inside the 24-hour window they go out as usual; outside it the configured
// template is sent instead, or, without one, nothing is sent and ErrHeldBack is returned.
func (a *Adapter) SendProactive(ctx context.Context, to string, replies []bot.Reply) error {
	user := bot.UserKey(a.cfg.Secret, Channel, to)
	last, ok, err := a.cfg.Window.Last(ctx, user)
	if err != nil {
		a.cfg.Log.Warn("whatsapp: cannot read the service window; treating it as closed", "user", user, "err", err)
		ok = false
	}
	if ok && a.cfg.Now().Sub(last) < ServiceWindow-windowMargin {
		var sendErr error
		done := make(chan struct{})
		a.seq.do(user, func() {
			defer close(done)
			sendErr = a.send.Deliver(ctx, user, platform{a}.Render(to, replies), bot.Turn{}, true)
		})
		select {
		case <-done:
			return sendErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if a.cfg.TemplateName == "" {
		a.stats.heldBack.Add(1)
		a.cfg.Metrics.Reply(Channel, "held")
		a.cfg.Log.Warn("whatsapp: user is outside the 24-hour window and WHATSAPP_TEMPLATE_NAME is not set; message held back", "user", user)
		return ErrHeldBack
	}
	return a.sendTemplate(ctx, user, to, replies)
}

// graphError is the Graph API's error body.
type graphError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    int    `json:"code"`
	} `json:"error"`
}

// SendError is a send the Graph API refused. It carries the status and Graph error code only.
type SendError struct {
	Status int
	Code   int
	Type   string
	// retryAfter is the Retry-After of a 429 or 5xx (0: none).
	retryAfter time.Duration
}

func (e *SendError) Error() string {
	return fmt.Sprintf("graph API answered %d (error code %d, %s)", e.Status, e.Code, e.Type)
}

// postOnce makes one request. retry is -1 when retrying cannot help, else the server's
// Retry-After (0 when none).
func (a *Adapter) postOnce(ctx context.Context, url string, body []byte) (retry time.Duration, err error) {
	_, retry, err = a.post(ctx, url, body)
	return retry, err
}

// post is postOnce that also returns the body of a successful answer (the message ids).
func (a *Adapter) post(ctx context.Context, url string, body []byte) (answer []byte, retry time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, -1, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	res, err := a.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, -1, ctx.Err()
		}
		// The error may quote the URL (with the phone number id) but never the recipient.
		return nil, 0, fmt.Errorf("graph API unreachable: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 == 2 {
		return raw, 0, nil
	}
	var ge graphError
	_ = json.Unmarshal(raw, &ge)
	se := &SendError{Status: res.StatusCode, Code: ge.Error.Code, Type: ge.Error.Type}
	if res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 {
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
			se.retryAfter = time.Duration(s) * time.Second
			return nil, se.retryAfter, se
		}
		return nil, 0, se
	}
	return nil, -1, se
}
