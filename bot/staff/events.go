package staff

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The inbox is live: GET /staff/api/events is a stream of server-sent events. Each stream
// compares the open tickets (status, holder, how many messages) every pollEvery, or at once when
// this process saw a change, and sends what changed. Polling the shared store, rather than only
// this process's changes, makes a ticket taken in the Telegram group or on another replica show
// up too.
const (
	pollEvery    = 2 * time.Second
	heartbeat    = 15 * time.Second
	maxStreamAge = 10 * time.Minute // then the browser reconnects (EventSource does by itself)
)

// hub wakes the event streams of this process.
type hub struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func newHub() *hub { return &hub{subs: map[chan struct{}]struct{}{}} }

func (h *hub) subscribe() (chan struct{}, func()) {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.subs, c)
		h.mu.Unlock()
	}
}

func (h *hub) notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Event is one server-sent event's data; its type (the SSE "event:" field) is Type.
type Event struct {
	Type  string `json:"type"` // opened, taken, released, closed, message
	Code  string `json:"code"`
	Staff string `json:"staff,omitempty"`
}

type ticketState struct {
	status, staff string
	messages      int
}

// snapshot is the state of the open tickets.
func (s *Server) snapshot(ctx context.Context) (map[string]ticketState, error) {
	list, err := s.svc.Tickets(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ticketState, len(list))
	for _, t := range list {
		ms, err := s.st.Messages(ctx, t.User, t.Code)
		if err != nil {
			return nil, err
		}
		ns, err := s.st.Notes(ctx, t.User, t.Code)
		if err != nil {
			return nil, err
		}
		out[t.Code] = ticketState{status: t.Status, staff: t.Staff, messages: len(ms) + len(ns)}
	}
	return out, nil
}

// changes lists the events that turn before into after.
func changes(before, after map[string]ticketState) []Event {
	var evs []Event
	for code, a := range after {
		b, ok := before[code]
		switch {
		case !ok:
			evs = append(evs, Event{Type: "opened", Code: code})
		case a.status != b.status || a.staff != b.staff:
			if a.staff != "" {
				evs = append(evs, Event{Type: "taken", Code: code, Staff: a.staff})
			} else {
				evs = append(evs, Event{Type: "released", Code: code})
			}
		}
		if ok && a.messages != b.messages {
			evs = append(evs, Event{Type: "message", Code: code})
		}
	}
	for code := range before {
		if _, ok := after[code]; !ok {
			evs = append(evs, Event{Type: "closed", Code: code})
		}
	}
	return evs
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, sess *Session) {
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		writeError(w, http.StatusServiceUnavailable, "busy", "too many open inboxes")
		return
	}
	rc := http.NewResponseController(w)
	// The server's write timeout would cut the stream: it ends by itself after maxStreamAge.
	_ = rc.SetWriteDeadline(time.Now().Add(maxStreamAge + time.Minute))
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()
	wake, unsubscribe := s.events.subscribe()
	defer unsubscribe()
	prev, err := s.snapshot(ctx)
	if err != nil {
		s.log.Error("staff: event stream cannot read tickets", "err", err)
		return
	}
	fmt.Fprint(w, "retry: 2000\n: ready\n\n")
	_ = rc.Flush()
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	end := time.NewTimer(maxStreamAge)
	defer end.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-end.C:
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": beat\n\n"); err != nil {
				return
			}
			_ = rc.Flush()
			continue
		case <-wake:
		case <-poll.C:
		}
		// The session may have ended (signed out elsewhere, timed out, account removed).
		if cur, _ := s.session(r); cur == nil {
			return
		}
		next, err := s.snapshot(ctx)
		if err != nil {
			continue
		}
		for _, ev := range changes(prev, next) {
			b, _ := json.Marshal(ev)
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, b); err != nil {
				return
			}
		}
		_ = rc.Flush()
		prev = next
	}
}
