package webchat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/returnbot/returnbot/bot"
)

// Media is a counsellor's medium in a reply: the page fetches it once with POST
// /webchat/api/media {"id": <browser id>, "token": Token} and shows it as a player, a picture
// or a link.
type Media struct {
	Kind  string `json:"kind"`
	MIME  string `json:"mime"`
	Size  int64  `json:"size"`
	Token string `json:"token"`
}

// MediaRequest is the body of POST /webchat/api/media.
type MediaRequest struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// SendMedium implements handoff.MediumSender: the counsellor's medium is read into memory (up
// to its kind's limit), typed by its own first bytes, held for the page (heldMedia), and a
// message naming it goes into the user's outbox with the caption. Only the token and the kind,
// type and size go into the outbox; the bytes never leave this process's memory.
func (h *Handler) SendMedium(ctx context.Context, route, user string, m bot.Medium, caption string) error {
	if route != user {
		return errors.New("webchat: the route is not the user's outbox")
	}
	if m.Open == nil {
		return errors.New("webchat: the medium cannot be read")
	}
	rc, err := m.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	limit := bot.MediumLimit(m.Kind)
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("webchat: %w", bot.ErrMediumTooLarge)
	}
	kind, mime, ok := Sniff(data)
	if !ok {
		// Only what the page can show safely, typed by its bytes, is passed on.
		return errors.New("webchat: the medium is not a kind the page shows")
	}
	token, err := h.held.put(user, mime, data)
	if err != nil {
		return err
	}
	lang := ""
	_ = h.cfg.Bot.Store().Update(ctx, user, func(s *bot.Session) error { lang = s.Lang; return errReadOnly })
	replies := h.convert([]bot.Reply{{Lang: lang, Text: caption}})
	replies[0].Media = &Media{Kind: kind, MIME: mime, Size: int64(len(data)), Token: token}
	if err := h.push(ctx, user, replies); err != nil {
		h.held.take(user, token)
		return err
	}
	h.cfg.Log.Debug("webchat: medium held for the page", "kind", kind, "size", len(data))
	return nil
}

// media is POST /webchat/api/media: the bytes of a medium held for this browser id, once.
func (h *Handler) media(w http.ResponseWriter, r *http.Request) {
	var req MediaRequest
	user, ok := h.decode(w, r, limits{"web:pollip:", h.cfg.PollPerIP, "web:poll:", h.cfg.PollPerID}, &req, &req.ID)
	if !ok {
		return
	}
	mime, data, ok := h.held.take(user, req.Token)
	h.secure(w, false)
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime)
	w.Header().Set("Content-Disposition", "attachment")
	_, _ = w.Write(data)
}
