package webchat

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
)

// Request is the body of POST /webchat/api/message: Text or Choice (a button's data).
type Request struct {
	// ID is the browser's random id (16–64 letters, digits, '-' or '_').
	ID string `json:"id"`
	// Text is what the user typed.
	Text string `json:"text,omitempty"`
	// Choice is the data of the button the user pressed.
	Choice string `json:"choice,omitempty"`
	// Lang is a language hint, such as navigator.language.
	Lang string `json:"lang,omitempty"`
	// MsgID optionally identifies this message so that a retried POST is handled once.
	MsgID string `json:"msg_id,omitempty"`
	// Ack is the Seq of the last inbox item the page has shown (0 for none); see InboxRequest.
	Ack int64 `json:"ack,omitempty"`
	// Start is the page address's query ("?lang=fa&topic=return&src=poster") when the page was
	// opened from a deep link; it goes with the text "/start" and is read by bot.StartFromQuery.
	Start string `json:"start,omitempty"`
}

// MaxStartQuery bounds Request.Start; a longer query is ignored, never an error.
const MaxStartQuery = 512

// Response is the answer to a message.
type Response struct {
	// Replies are the bot's messages, in order.
	Replies []Reply `json:"replies"`
	// Duplicate is true when MsgID was handled before; Replies is then the first answer's if
	// this server still keeps it (10 minutes), else empty.
	Duplicate bool `json:"duplicate,omitempty"`
	// Inbox is what waits in the outbox (counsellor answers, reminders), older than Replies.
	Inbox []InboxItem `json:"inbox,omitempty"`
	// UI is the page's own words in the language of the last reply (none without replies).
	UI *UI `json:"ui,omitempty"`
	// Forgotten is true when the message erased the user (/forget confirmed): the page clears
	// the screen and its copy on the device and takes a new id.
	Forgotten bool `json:"forgotten,omitempty"`
}

// UI is what the page shows around the conversation (its header, text field, buttons, marks and
// notices), from the locale files (bot.PageMessages) in the conversation's language, and the
// office's name from the content.
type UI struct {
	Lang        string `json:"lang"`
	Dir         string `json:"dir"`
	Office      string `json:"office,omitempty"`
	Input       string `json:"input"`
	Placeholder string `json:"placeholder"`
	Send        string `json:"send"`
	Language    string `json:"language"`
	Restart     string `json:"restart"`
	Offline     string `json:"offline"`
	Wait        string `json:"wait"`
	Queued      string `json:"queued"`
	Sent        string `json:"sent"`
	Pending     string `json:"pending"`
	Failed      string `json:"failed"`
	Directions  string `json:"directions"`
	KeepInfo    string `json:"keep_info"`
	KeepYes     string `json:"keep_yes"`
	KeepNo      string `json:"keep_no"`
	Kept        string `json:"kept"`
	Card        string `json:"card"`
	RestartAsk  string `json:"restart_confirm"`
	Cancel      string `json:"cancel"`
	Typing      string `json:"typing"`
	NewMessage  string `json:"new_message"`
	Close       string `json:"close"`
	Log         string `json:"conversation"`
	Open        string `json:"open"`
	Back        string `json:"back"`
	NoScript    string `json:"noscript"`
}

// PageUI is the page's own words in a language.
func PageUI(l bot.Language, code string) *UI {
	t := func(id string) string { return l.Text(code, id, "") }
	return &UI{
		Lang: code, Dir: Dir(code), Input: t(bot.MsgPageInput), Placeholder: t(bot.MsgPagePlaceholder), Send: t(bot.MsgPageSend),
		Language: t(bot.MsgPageLanguage), Restart: t(bot.MsgPageRestart), Offline: t(bot.MsgPageOffline), Wait: t(bot.MsgPageWait),
		Queued: t(bot.MsgPageQueued), Sent: t(bot.MsgPageSent), Pending: t(bot.MsgPagePending), Failed: t(bot.MsgPageFailed),
		Directions: t(bot.MsgPageDirections), KeepInfo: t(bot.MsgPageKeepInfo), KeepYes: t(bot.MsgPageKeepYes),
		KeepNo: t(bot.MsgPageKeepNo), Kept: t(bot.MsgPageKept), Card: t(bot.MsgPageCard), RestartAsk: t(bot.MsgPageRestartAsk),
		Cancel: t(bot.MsgPageCancel), Typing: t(bot.MsgPageTyping), NewMessage: t(bot.MsgPageNewMessage),
		Close: t(bot.MsgPageClose), Log: t(bot.MsgPageLog), Open: t(bot.MsgPageOpen), Back: t(bot.MsgBack),
		NoScript: t(bot.MsgPageNoScript),
	}
}

// Reply is one bot message as the page renders it.
type Reply struct {
	Text    string       `json:"text,omitempty"`
	Buttons []bot.Button `json:"buttons,omitempty"`
	Venue   *Venue       `json:"venue,omitempty"`
	// Lang is the language of the text; Dir is "rtl" or "ltr" for it.
	Lang string `json:"lang"`
	Dir  string `json:"dir"`
	// Card marks the visit card (the day, the code): the page can show it again on request.
	Card bool `json:"card,omitempty"`
	// Chat marks the answer to a chat request (the user now waits for a counsellor): the page
	// asks once whether it may notify the user when the counsellor writes.
	Chat bool `json:"chat,omitempty"`
	// Links are the http(s) addresses in Text that come from the content; the page links only
	// these, so an address a user typed (echoed back, or in a counsellor's quote) never becomes
	// a link.
	Links []string `json:"links,omitempty"`
	// Audio is the address of a recorded answer the page plays in an <audio> player (audio.go).
	Audio string `json:"audio,omitempty"`
}

// Venue is a map pin with links to OpenStreetMap: the place, and directions to it.
type Venue struct {
	Name       string  `json:"name"`
	Address    string  `json:"address"`
	Lat        float64 `json:"lat"`
	Lon        float64 `json:"lon"`
	Map        string  `json:"map"`
	Directions string  `json:"directions"`
}

// Unavailable is the body of a 503 answer to a message the store could not take: the page
// sends the same message (same msg_id) again after Retry-After. Replies holds the outage notice
// the first time the user meets this outage, and is empty after.
type Unavailable struct {
	Error   string  `json:"error"`
	Replies []Reply `json:"replies"`
}

// RetryAfter is the Retry-After of a 503 answer to a message the store could not take.
const RetryAfter = 2 * time.Second

// apiError is the body of every error response.
type apiError struct {
	Error string `json:"error"`
}

// MapURL links to a location on openstreetmap.org.
func MapURL(lat, lon float64) string {
	la, lo := strconv.FormatFloat(lat, 'f', -1, 64), strconv.FormatFloat(lon, 'f', -1, 64)
	return "https://www.openstreetmap.org/?mlat=" + la + "&mlon=" + lo + "#map=18/" + la + "/" + lo
}

// DirectionsURL asks openstreetmap.org for directions to a location (the user's own start is
// entered there, never sent by this page).
func DirectionsURL(lat, lon float64) string {
	la, lo := strconv.FormatFloat(lat, 'f', -1, 64), strconv.FormatFloat(lon, 'f', -1, 64)
	return "https://www.openstreetmap.org/directions?to=" + la + "%2C" + lo
}

// Dir is the writing direction of a language code ("ar", "fa-AF", ...): "rtl" or "ltr".
func Dir(code string) string {
	base, _, _ := strings.Cut(code, "-")
	if lang.RightToLeft[strings.ToLower(base)] {
		return "rtl"
	}
	return "ltr"
}

// Convert turns engine replies into what the page renders (without links: see Handler.convert).
func Convert(rs []bot.Reply) []Reply {
	out := make([]Reply, 0, len(rs))
	for _, r := range rs {
		w := Reply{Text: r.Text, Buttons: r.Buttons, Lang: r.Lang, Dir: Dir(r.Lang), Card: r.Handoff == bot.HandoffVisit, Chat: r.Handoff == bot.HandoffChat}
		if v := r.Venue; v != nil {
			w.Venue = &Venue{Name: v.Name, Address: v.Address, Lat: v.Lat, Lon: v.Lon, Map: MapURL(v.Lat, v.Lon), Directions: DirectionsURL(v.Lat, v.Lon)}
		}
		out = append(out, w)
	}
	return out
}

// validToken reports whether s is 1..max characters of [A-Za-z0-9_-].
func validToken(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (h *Handler) fail(w http.ResponseWriter, code int, msg string) {
	h.secure(w, false)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(apiError{Error: msg})
}

// limits names the two buckets a request draws from: the client address's and the browser
// id's, under their key prefixes.
type limits struct {
	ipPrefix string
	ip       Rate
	idPrefix string
	id       Rate
}

// decode checks what every API request must be (JSON, same origin, within the rates of lim),
// reads the body into dst and checks the browser id, and returns the id's pseudonym. It answers
// the error itself and returns false when the request goes no further.
//
// The address's and the id's buckets are asked together, all or none (bot.Admitter): a request
// the id's limit refuses takes nothing from the address's, so one busy tab does not lock out
// the other people behind the same address, and the Retry-After is the wait for both. The id is
// in the body, so the body (at most MaxBody) is read first; a body that is not a valid request
// still draws from the address's bucket, so garbage is limited as before.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, lim limits, dst any, id *string) (string, bool) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		// Requiring JSON also keeps other sites from posting plain forms here.
		h.fail(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return "", false
	}
	if !sameOrigin(r) {
		h.fail(w, http.StatusForbidden, "cross-origin requests are not allowed")
		return "", false
	}
	ip := bot.Bucket{Key: lim.ipPrefix + bot.UserKey(h.cfg.Secret, "web-ip", clientKey(h.clientIP(r))), PerSecond: lim.ip.PerSecond, Burst: lim.ip.Burst}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	err := json.NewDecoder(r.Body).Decode(dst)
	if err != nil || !validToken(*id, MinIDLen, MaxIDLen) {
		if wait := h.limit(r, ip); wait > 0 {
			h.tooMany(w, wait)
			return "", false
		}
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is limited to %d bytes", MaxBody))
			return "", false
		}
		h.fail(w, http.StatusBadRequest, "the body is not valid JSON")
		return "", false
	}
	if !validToken(*id, MinIDLen, MaxIDLen) {
		h.fail(w, http.StatusBadRequest, "id must be 16-64 letters, digits, '-' or '_'")
		return "", false
	}
	user := bot.UserKey(h.cfg.Secret, Channel, *id)
	if wait := h.limit(r, ip, bot.Bucket{Key: lim.idPrefix + user, PerSecond: lim.id.PerSecond, Burst: lim.id.Burst}); wait > 0 {
		h.tooMany(w, wait)
		return "", false
	}
	return user, true
}

// message is POST /webchat/api/message.
func (h *Handler) message(w http.ResponseWriter, r *http.Request) {
	var req Request
	user, ok := h.decode(w, r, limits{"web:ip:", h.cfg.PerIP, "web:id:", h.cfg.PerID}, &req, &req.ID)
	if !ok {
		return
	}
	if req.MsgID != "" && !validToken(req.MsgID, 1, MaxMsgIDLen) {
		h.fail(w, http.StatusBadRequest, "msg_id must be 1-64 letters, digits, '-' or '_'")
		return
	}
	if (req.Text == "") == (req.Choice == "") {
		h.fail(w, http.StatusBadRequest, "send exactly one of text and choice")
		return
	}
	if len(req.Lang) > 35 {
		req.Lang = ""
	}
	// The route for staff replies and reminders is the outbox under the pseudonym (see SendTo).
	// msg_id is recorded with the session, in the same write (Store.UpdateOnce): a message whose
	// first attempt failed before that write is handled when the page sends it again.
	ev := bot.Event{Channel: Channel, User: user, Lang: req.Lang, Time: h.cfg.Now(), Route: user, Update: req.MsgID}
	if req.Choice != "" {
		ev.Kind, ev.Data = bot.KindChoice, req.Choice
	} else {
		ev.Kind, ev.Text = bot.KindText, req.Text
		if req.Text == "/start" && req.Start != "" && len(req.Start) <= MaxStartQuery {
			if p := bot.StartFromQuery(req.Start); p != "" {
				ev.Text += " " + p
			}
		}
	}
	h.answerEvent(w, r, user, req.MsgID, req.Ack, ev)
}

// answerEvent hands an event of the page to the bot and writes the answer: the replies, the
// inbox, a duplicate's first answer, or 503 when the store failed.
func (h *Handler) answerEvent(w http.ResponseWriter, r *http.Request, user, msgID string, ack int64, ev bot.Event) {
	ctx := r.Context()
	replies, turn, err := h.cfg.Bot.HandleTurn(ctx, ev)
	if errors.Is(err, bot.ErrDuplicate) {
		h.cfg.Metrics.Update(Channel, "duplicate")
		// The first answer was lost on the way: send it again if this replica still has it.
		resp, ok := h.answers.get(user, msgID)
		if !ok {
			resp = Response{Replies: []Reply{}}
		}
		resp.Duplicate = true
		resp.Inbox = h.fetch(r, user, ack)
		h.write(w, resp)
		return
	}
	if err != nil {
		// Not acted on: the page sends the same msg_id again after Retry-After until it gets
		// through (app.js), and the message is acted on then, once. Bot logs the outage itself;
		// the notice comes with the user's first refusal in this outage only.
		h.cfg.Log.Debug("webchat: handling failed; the page will send again", "user", user, "err", err)
		h.secure(w, false)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(Unavailable{Error: "temporarily unavailable; send the same msg_id again", Replies: h.convert(replies)})
		for range replies {
			h.cfg.Metrics.Reply(Channel, "sent")
		}
		return
	}
	// Fetched after handling, so that an answer staff sent meanwhile comes with this response.
	resp := Response{Replies: h.convert(replies), Inbox: h.fetch(r, user, ack)}
	if n := len(replies); n > 0 && replies[n-1].Lang != "" {
		resp.UI = h.pageUI(replies[n-1].Lang)
	}
	// A turn of 0 without an error is an erasure: the user's data went, the turn log with it.
	resp.Forgotten = turn.N == 0
	if resp.Forgotten {
		resp.Inbox = nil // erased with the rest
		h.answers.erase(user)
	} else {
		h.answers.put(user, msgID, resp)
	}
	h.write(w, resp)
	for range replies {
		h.cfg.Metrics.Reply(Channel, "sent")
	}
}

func (h *Handler) write(w http.ResponseWriter, resp Response) {
	h.secure(w, false)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

// limit admits the request against buckets (a token of each, or none) and returns how long the
// client must wait (0: go ahead). A failing limiter lets the request through: answering is more
// important than pacing.
func (h *Handler) limit(r *http.Request, buckets ...bot.Bucket) time.Duration {
	if h.cfg.Limiter == nil {
		return 0
	}
	wait, err := h.cfg.Limiter.Admit(r.Context(), buckets...)
	if err != nil {
		h.cfg.Log.Warn("webchat: rate limiter unavailable; not limiting", "err", err)
		return 0
	}
	return wait
}

func (h *Handler) tooMany(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	h.fail(w, http.StatusTooManyRequests, "too many messages; wait a moment")
}

// clientIP is the remote address without port (or the proxy's X-Forwarded-For entry).
func (h *Handler) clientIP(r *http.Request) string {
	if h.cfg.TrustForwardedFor {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// sameOrigin accepts requests without an Origin header (non-browser clients) and those whose
// Origin host is the host they were sent to.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}
