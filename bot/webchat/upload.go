package webchat

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// POST /webchat/api/upload?id=<browser id>&msg_id=<id>&lang=<hint>: a voice note, photo or PDF
// from the page, the body being the file itself. What it is comes from its first bytes (Sniff),
// never from the browser; its size is limited by kind (bot.MediumLimit: 5 MB for images, 16 MB
// otherwise). The bytes are held in memory only while the medium is passed on (to the staff
// group during a chat with staff); they are never written to the store or to disk, and the logs
// name the kind and size only. The answer is a Response, as for a message.

// MaxUpload is the largest body the upload endpoint reads (the largest kind's limit).
const MaxUpload = bot.MaxMediumBytes

// UploadReadTime is how long an admitted upload may take to arrive: the server's read timeout
// (30 s for a whole request) is meant for messages of a few hundred bytes, and 16 MB over a
// slow mobile connection (under 1 Mbit/s) takes minutes. Only a request that passed the rate
// limits gets it.
const UploadReadTime = 3 * time.Minute

func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		h.fail(w, http.StatusForbidden, "cross-origin requests are not allowed")
		return
	}
	q := r.URL.Query()
	id, msgID, lang := q.Get("id"), q.Get("msg_id"), q.Get("lang")
	ip := bot.Bucket{Key: "web:ip:" + bot.UserKey(h.cfg.Secret, "web-ip", clientKey(h.clientIP(r))), PerSecond: h.cfg.PerIP.PerSecond, Burst: h.cfg.PerIP.Burst}
	if !validToken(id, MinIDLen, MaxIDLen) || (msgID != "" && !validToken(msgID, 1, MaxMsgIDLen)) {
		if wait := h.limit(r, ip); wait > 0 {
			h.tooMany(w, wait)
			return
		}
		h.fail(w, http.StatusBadRequest, "id must be 16-64 letters, digits, '-' or '_' (msg_id 1-64)")
		return
	}
	user := bot.UserKey(h.cfg.Secret, Channel, id)
	if wait := h.limit(r, ip, bot.Bucket{Key: "web:id:" + user, PerSecond: h.cfg.PerID.PerSecond, Burst: h.cfg.PerID.Burst}); wait > 0 {
		h.tooMany(w, wait)
		return
	}
	if len(lang) > 35 {
		lang = ""
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(UploadReadTime)) // unsupported (a test recorder): the server's
	_ = rc.SetWriteDeadline(time.Now().Add(UploadReadTime + time.Minute))
	if r.ContentLength > MaxUpload {
		h.refuseMedium(w, r, user, lang, http.StatusRequestEntityTooLarge, bot.MsgMediaTooLarge, "too_large")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxUpload+1))
	if err != nil {
		h.fail(w, http.StatusBadRequest, "the upload could not be read")
		return
	}
	kind, mime, ok := Sniff(data)
	switch {
	case int64(len(data)) > MaxUpload || (ok && int64(len(data)) > bot.MediumLimit(kind)):
		h.refuseMedium(w, r, user, lang, http.StatusRequestEntityTooLarge, bot.MsgMediaTooLarge, "too_large")
		return
	case !ok:
		h.refuseMedium(w, r, user, lang, http.StatusUnsupportedMediaType, bot.MsgMediaType, "bad_type")
		return
	}
	m := &bot.Medium{Kind: kind, MIME: mime, Size: int64(len(data)), Channel: Channel, Ref: handle()}
	m.Open = func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	ev := bot.Event{Channel: Channel, User: user, Lang: lang, Time: h.cfg.Now(), Route: user, Update: msgID,
		Kind: bot.KindMedia, Media: kind, Medium: m}
	h.cfg.Log.Debug("webchat: upload", "user", user, "kind", kind, "size", len(data))
	h.answerEvent(w, r, user, msgID, 0, ev)
}

// refuseMedium answers an upload that goes no further with the kind answer in the user's
// language, and counts it by outcome.
func (h *Handler) refuseMedium(w http.ResponseWriter, r *http.Request, user, lang string, status int, msg, outcome string) {
	h.cfg.Metrics.Update(Channel, "upload_"+outcome)
	code := h.cfg.Bot.Engine().Language().Negotiate(lang)
	_ = h.cfg.Bot.Store().Update(r.Context(), user, func(s *bot.Session) error {
		if s.Lang != "" {
			code = s.Lang
		}
		return errReadOnly // nothing is written
	})
	if code == "" {
		code = h.cfg.Bot.Engine().Language().Languages()[0]
	}
	l := h.cfg.Bot.Engine().Language()
	replies := bot.ForDisplay(l, []bot.Reply{{Lang: code, Text: l.Text(code, msg, "")}})
	h.secure(w, false)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Response{Replies: h.convert(replies)})
}

// handle is a random name for an upload, for staff to tell two apart; it names no one.
func handle() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return "up_" + base64.RawURLEncoding.EncodeToString(b)
}

// errReadOnly ends a session update that only reads.
var errReadOnly = errors.New("webchat: read only")
