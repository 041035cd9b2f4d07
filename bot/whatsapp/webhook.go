package whatsapp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/internal/jsonerr"
)

// handleTimeout bounds handling one message and sending its replies (retries included).
const handleTimeout = 2 * time.Minute

// Payload is a webhook delivery (only the fields the bot reads).
type Payload struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one business account's part of a delivery.
type Entry struct {
	ID      string   `json:"id"`
	Changes []Change `json:"changes"`
}

// Change is one change notification; Field "messages" carries messages and statuses.
type Change struct {
	Field string `json:"field"`
	Value Value  `json:"value"`
}

// Value holds the messages and statuses of a change.
type Value struct {
	MessagingProduct string `json:"messaging_product"`
	Metadata         struct {
		PhoneNumberID string `json:"phone_number_id"`
	} `json:"metadata"`
	Messages []Message `json:"messages"`
	Statuses []Status  `json:"statuses"`
}

// Message is one inbound message.
type Message struct {
	From        string                 `json:"from"`
	ID          string                 `json:"id"`
	Timestamp   string                 `json:"timestamp"`
	Type        string                 `json:"type"`
	Text        *struct{ Body string } `json:"text"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *Reply `json:"button_reply"`
		ListReply   *Reply `json:"list_reply"`
	} `json:"interactive"`
	// Button is a template's quick-reply button.
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Audio *struct {
		MediaObject
		Voice bool `json:"voice"`
	} `json:"audio"`
	Image    *MediaObject `json:"image"`
	Video    *MediaObject `json:"video"`
	Document *MediaObject `json:"document"`
	Sticker  *MediaObject `json:"sticker"`
}

// MediaObject is the media part of an inbound audio, image, video, document or sticker message:
// the media id to fetch it by (GET /<media id>), its type, and what the user wrote with it.
type MediaObject struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

// Reply is the pressed button or list row of an interactive message; ID is our button data.
type Reply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Status is a delivery status of a message the bot sent.
type Status struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	RecipientID string `json:"recipient_id"`
	Errors      []struct {
		Code  int    `json:"code"`
		Title string `json:"title"`
	} `json:"errors"`
}

// verify answers Meta's subscription handshake.
func (a *Adapter) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tok := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || a.cfg.VerifyToken == "" ||
		subtle.ConstantTimeCompare([]byte(tok), []byte(a.cfg.VerifyToken)) != 1 {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}

// SignatureHeader carries Meta's signature of a webhook body.
const SignatureHeader = "X-Hub-Signature-256"

// signatureForm reports whether header has the form of a signature: "sha256=" and 64 hex digits.
func signatureForm(header string) bool {
	h, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ValidSignature reports whether header is "sha256=<hex HMAC-SHA256 of body keyed with secret>".
func ValidSignature(secret string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || secret == "" {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// Sign returns the X-Hub-Signature-256 value for body (for tests and tools).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// receive handles a webhook POST: it checks the signature, queues the messages (handled in the
// background, in order per user) and answers 200 after their first try, or 503 when the store
// failed for one (Meta delivers the payload again; the spool tries the message meanwhile).
func (a *Adapter) receive(w http.ResponseWriter, r *http.Request) {
	// What can be judged from the headers is judged before the body is read: a request without
	// a well-formed signature, or announcing a body over MaxBody, costs the server no read.
	sig := r.Header.Get(SignatureHeader)
	if !signatureForm(sig) {
		a.stats.badSignature.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.ContentLength > MaxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if !ValidSignature(a.cfg.AppSecret, body, sig) {
		a.stats.badSignature.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if !json.Valid(body) {
		a.cfg.Metrics.Update(Channel, "malformed")
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		// Valid JSON with a field of an unexpected type: a 400 would only make Meta deliver it
		// again for days. Unmarshal skips just the mistyped fields, so the rest is handled.
		a.cfg.Log.Warn("whatsapp: webhook payload partly unreadable", "err", jsonerr.Describe(err))
	}
	ctx := context.WithoutCancel(r.Context())
	var acks []<-chan bool
	for _, e := range p.Entry {
		for _, c := range e.Changes {
			if c.Field != "messages" {
				continue
			}
			if id := c.Value.Metadata.PhoneNumberID; a.cfg.PhoneNumberID != "" && id != "" && id != a.cfg.PhoneNumberID {
				a.otherNumber()
				continue
			}
			for _, s := range c.Value.Statuses {
				a.status(s)
			}
			for _, m := range c.Value.Messages {
				if ack := a.inbound(ctx, m); ack != nil {
					acks = append(acks, ack)
				}
			}
		}
	}
	// Meta delivers the whole payload again after a non-2xx answer; the messages it handled
	// are dropped then as duplicates.
	timeout := time.NewTimer(ackWait)
	defer timeout.Stop()
	for _, ack := range acks {
		select {
		case failed := <-ack:
			if failed {
				w.Header().Set("Retry-After", "2")
				http.Error(w, "store unavailable; deliver again", http.StatusServiceUnavailable)
				return
			}
		case <-timeout.C:
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// status counts a delivery status and logs failures by error code only.
func (a *Adapter) status(s Status) {
	label := s.Status
	switch s.Status {
	case "sent":
		a.stats.statusSent.Add(1)
	case "delivered":
		a.stats.statusDelivered.Add(1)
	case "read":
		a.stats.statusRead.Add(1)
	case "failed":
		a.stats.statusFailed.Add(1)
		code, title := 0, ""
		if len(s.Errors) > 0 {
			code, title = s.Errors[0].Code, s.Errors[0].Title
		}
		a.cfg.Log.Warn("whatsapp: message not delivered", "code", code, "reason", title)
		if code == codeMediaUpload {
			a.audioFailed(s)
		}
	default:
		// Meta adds statuses now and then ("deleted", "warning"); one label for them all keeps
		// the series few whatever the payload says.
		label = "other"
	}
	a.cfg.Metrics.Status(Channel, label)
}

// inbound records the service window and queues one message for the bot, which handles it once
// (Store.UpdateOnce: the message id is recorded in the same write as the session, so a message
// whose first delivery failed before that write is handled when it comes again). It returns
// a channel that says, after the message's first try, whether the store failed for it (true:
// the webhook answers 503 so that Meta delivers it again); nil when there is nothing to try.
//
// When the store fails, the message is held in the spool and tried again until the store takes
// it; the user's later messages wait behind it, and the user is told of the outage once.
func (a *Adapter) inbound(ctx context.Context, m Message) <-chan bool {
	if m.From == "" || m.ID == "" {
		a.cfg.Metrics.Update(Channel, "malformed")
		return nil
	}
	user := bot.UserKey(a.cfg.Secret, Channel, m.From)
	at := messageTime(m.Timestamp, a.cfg.Now())
	if err := a.cfg.Window.Touch(ctx, user, at); err != nil {
		a.cfg.Log.Warn("whatsapp: cannot record the service window", "user", user, "err", err)
	}
	ev, ok := ToEvent(m)
	if !ok {
		a.cfg.Metrics.Update(Channel, "ignored")
		return nil
	}
	ack := make(chan bool, 1)
	msgHeld, userHeld := a.spool.holds(user, m.ID)
	if msgHeld {
		// Meta's redelivery of a message the spool holds: it is tried already.
		ack <- true
		return ack
	}
	if userHeld {
		// Behind a held message of the user's: it waits for the store too. Holding it now
		// keeps a redelivery of it from being queued twice, and has Meta deliver it again.
		if a.spool.hold(user, m.ID) {
			ack <- true
		}
	}
	ev.User, ev.Time, ev.Update = user, at, m.ID
	// The wa_id is where staff replies and reminders go: bot/handoff keeps it only sealed (AES-GCM),
	// with a TTL, and it is never logged.
	ev.Route = m.From
	to := m.From
	a.seq.do(user, func() {
		defer a.spool.release(user, m.ID)
		if ev.Medium != nil {
			a.lookup(ctx, ev.Medium) // its size, for the limit, and how to fetch it
		}
		pause := spoolPause
		for try := 0; ; try++ {
			hctx, cancel := context.WithTimeout(ctx, handleTimeout)
			replies, turn, err := a.cfg.Bot.HandleTurn(hctx, ev)
			if errors.Is(err, bot.ErrDuplicate) {
				cancel()
				a.stats.duplicates.Add(1)
				a.cfg.Metrics.Update(Channel, "duplicate")
				answer(ack, false)
				return
			}
			if err == nil {
				cancel()
				a.stats.received.Add(1)
				answer(ack, false)
				// Sent in the user's send sequence, not here: the user's next message must not
				// wait behind this one's sending (paced, or waiting for the turn before on
				// another replica), or a replica it did not reach first could take it first.
				a.sendLater(user, to, replies, turn)
				return
			}
			// Not acted on. The notice (the user's first in this outage) goes out at once.
			a.cfg.Log.Debug("whatsapp: store unavailable; the message waits", "user", user, "err", err)
			a.sendReplies(hctx, user, to, replies, bot.Turn{}, false)
			cancel()
			// Held before the webhook answers: a later message of the user's that comes in on
			// the 503 must find this one held, and wait behind it with a 503 of its own.
			if try == 0 {
				a.stats.retried.Add(1)
				if !a.spool.hold(user, m.ID) {
					answer(ack, true)
					a.cfg.Log.Warn("whatsapp: spool full; the message is left to Meta's redelivery", "user", user)
					return
				}
			}
			answer(ack, true)
			if !a.spool.wait(pause) {
				return // shutting down: Meta delivers it again
			}
			pause = min(2*pause, maxSpoolPause)
		}
	})
	return ack
}

// Pauses between tries of a held message: short, the store is usually back within seconds.
const (
	spoolPause    = 100 * time.Millisecond
	maxSpoolPause = 2 * time.Second
)

// ackWait bounds how long the webhook waits for its messages' first try before it answers: a
// failing store answers within about a second (bot/redis timeouts), and a message queued behind
// its user's earlier one is in the spool's care if it fails later.
const ackWait = 3 * time.Second

// answer tells the webhook, once, how a message's first try went.
func answer(ack chan bool, failed bool) {
	select {
	case ack <- failed:
	default:
	}
}

// ToEvent turns an inbound message into an event (without User and Time); ok is false for
// messages the bot does not answer (reactions).
func ToEvent(m Message) (ev bot.Event, ok bool) {
	ev = bot.Event{Channel: Channel, Lang: LangHint(m.From)}
	switch m.Type {
	case "text":
		if m.Text == nil {
			return media(ev, "unknown"), true
		}
		ev.Kind, ev.Text = bot.KindText, m.Text.Body
	case "interactive":
		var r *Reply
		if m.Interactive != nil {
			r = m.Interactive.ButtonReply
			if r == nil {
				r = m.Interactive.ListReply
			}
		}
		if r == nil || r.ID == "" {
			return media(ev, "unknown"), true
		}
		ev.Kind, ev.Data = bot.KindChoice, r.ID
	case "button":
		if m.Button == nil || m.Button.Payload == "" {
			return media(ev, "unknown"), true
		}
		ev.Kind, ev.Data = bot.KindChoice, m.Button.Payload
	case "reaction":
		return ev, false
	case "audio":
		if m.Audio != nil && m.Audio.Voice {
			return withMedium(media(ev, "voice"), &m.Audio.MediaObject), true
		}
		var o *MediaObject
		if m.Audio != nil {
			o = &m.Audio.MediaObject
		}
		return withMedium(media(ev, "audio"), o), true
	case "image":
		return withMedium(media(ev, "photo"), m.Image), true
	case "document":
		return withMedium(media(ev, "document"), m.Document), true
	case "sticker":
		return withMedium(media(ev, "sticker"), m.Sticker), true
	case "video":
		return withMedium(media(ev, "video"), m.Video), true
	case "location":
		return media(ev, m.Type), true
	case "contacts":
		return media(ev, "contact"), true
	default:
		return media(ev, "unknown"), true
	}
	return ev, true
}

// withMedium describes the medium of a media message (its size is learnt when it is looked up,
// lookup in media.go); without a media id there is nothing to pass on.
func withMedium(ev bot.Event, o *MediaObject) bot.Event {
	if o == nil || o.ID == "" {
		return ev
	}
	ev.Medium = &bot.Medium{Kind: ev.Media, MIME: o.MimeType, Channel: Channel, Ref: o.ID, Name: o.Filename, Caption: o.Caption}
	return ev
}

func media(ev bot.Event, kind string) bot.Event {
	ev.Kind, ev.Media = bot.KindMedia, kind
	return ev
}
