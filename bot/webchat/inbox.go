package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// sendTimeout bounds storing one message for the page (SendTo).
const sendTimeout = 5 * time.Second

// InboxRequest is the body of POST /webchat/api/inbox.
type InboxRequest struct {
	// ID is the browser's random id, as in Request.
	ID string `json:"id"`
	// Ack is the Seq of the last inbox item the page has shown (0 for none). Items up to it are
	// deleted; the others are sent (again), so an answer lost on the way is not lost for good.
	Ack int64 `json:"ack,omitempty"`
}

// InboxResponse is the answer to an inbox poll.
type InboxResponse struct {
	// Inbox is what waits for the page, oldest first; empty when nothing does.
	Inbox []InboxItem `json:"inbox"`
}

// InboxItem is one message the bot started (a counsellor's answer, a reminder): its replies as
// the page renders them, under a Seq that grows with every item. The page shows an item only
// when its Seq is above the last one it showed, and acknowledges that Seq in its next request.
type InboxItem struct {
	Seq     int64   `json:"seq"`
	Replies []Reply `json:"replies"`
}

// inbox is POST /webchat/api/inbox: what waits for the page. Polls have their own rate limits,
// apart from messages.
func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) {
	var req InboxRequest
	user, ok := h.decode(w, r, limits{"web:pollip:", h.cfg.PollPerIP, "web:poll:", h.cfg.PollPerID}, &req, &req.ID)
	if !ok {
		return
	}
	items := h.fetch(r, user, req.Ack)
	if items == nil {
		items = []InboxItem{}
	}
	h.secure(w, false)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(InboxResponse{Inbox: items})
}

// fetch acknowledges up to ack and returns what else waits for user. An outbox error is logged
// and answered as an empty inbox: the items stay and the next poll brings them.
func (h *Handler) fetch(r *http.Request, user string, ack int64) []InboxItem {
	items, err := h.cfg.Outbox.Fetch(r.Context(), user, ack)
	if err != nil {
		h.cfg.Log.Warn("webchat: reading the outbox failed", "err", err)
		return nil
	}
	var out []InboxItem
	for _, it := range items {
		var rs []Reply
		if err := json.Unmarshal(it.Data, &rs); err != nil || rs == nil {
			// Sent anyway, empty, so the page acknowledges it and it does not block the queue.
			rs = []Reply{}
		}
		out = append(out, InboxItem{Seq: it.Seq, Replies: rs})
	}
	return out
}

// SendTo implements handoff.UserSender. The page cannot be written to first, so the replies go
// into the user's outbox, where the page's next poll or message finds them. The route is the
// user's pseudonym (Event.Route of web chat events).
func (h *Handler) SendTo(route, user string, replies []bot.Reply) error {
	if route != user {
		return errors.New("webchat: the route is not the user's outbox")
	}
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	return h.push(ctx, user, h.convert(replies))
}

// push puts replies into the user's outbox.
func (h *Handler) push(ctx context.Context, user string, replies []Reply) error {
	data, err := json.Marshal(replies)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	_, err = h.cfg.Outbox.Push(ctx, user, data, h.cfg.OutboxTTL)
	return err
}

// EraseUser implements handoff.UserEraser: /forget deletes what still waits for the page and
// the answers kept for resends.
func (h *Handler) EraseUser(ctx context.Context, user string) error {
	h.answers.erase(user)
	h.held.erase(user)
	return h.cfg.Outbox.Erase(ctx, user)
}
