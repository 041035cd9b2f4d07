package staff

import (
	"encoding/csv"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
)

// TicketView is a ticket as the API shows it: never the user's pseudonym or route.
type TicketView struct {
	Code    string    `json:"code"`
	Kind    string    `json:"kind"` // chat, visit, urgent
	Lang    string    `json:"lang"`
	Channel string    `json:"channel"`
	Status  string    `json:"status"` // open, taken, closed
	Staff   string    `json:"staff,omitempty"`
	Day     string    `json:"day,omitempty"`
	Time    string    `json:"time,omitempty"`
	Interp  bool      `json:"interpreter"`
	Visit   string    `json:"visit,omitempty"` // arrived, noshow
	Topics  []string  `json:"topics,omitempty"`
	Nudged  bool      `json:"nudged,omitempty"`
	Created time.Time `json:"created"`
}

func view(t *handoff.Ticket) TicketView {
	return TicketView{Code: t.Code, Kind: t.Kind, Lang: t.Lang, Channel: t.Channel, Status: t.Status, Staff: t.Staff,
		Day: t.Day, Time: t.Time, Interp: t.Interp, Visit: t.Visit, Topics: t.Topics, Nudged: t.Nudged, Created: t.Created}
}

// pathCode is the route's code in its canonical form (for the log; it was found, so it is one).
func pathCode(r *http.Request) string {
	code, _ := handoff.NormalizeCode(r.PathValue("code"))
	return code
}

// deskError answers a failed handoff action.
func (s *Server) deskError(w http.ResponseWriter, err error) {
	var held *handoff.HeldError
	switch {
	case errors.As(err, &held):
		writeJSON(w, http.StatusConflict, apiError{Error: "taken", Message: "another staff member has this ticket", Holder: held.Holder})
	case errors.Is(err, handoff.ErrNoTicket):
		writeError(w, http.StatusNotFound, "no_ticket", "no live ticket has this code")
	case errors.Is(err, handoff.ErrUnknownMessage):
		writeError(w, http.StatusBadRequest, "unknown_message", "no content message has this id")
	default:
		s.log.Error("staff: action failed", "err", err)
		writeError(w, http.StatusBadGateway, "not_delivered", "the action failed: "+err.Error())
	}
}

func (s *Server) tickets(w http.ResponseWriter, r *http.Request, _ *Session) {
	list, err := s.svc.Tickets(r.Context())
	if err != nil {
		s.deskError(w, err)
		return
	}
	out := []TicketView{}
	for _, t := range list {
		out = append(out, view(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": out})
}

// Conversation is a ticket with what was relayed on it and its internal notes.
type Conversation struct {
	Ticket   TicketView `json:"ticket"`
	Messages []Message  `json:"messages"`
	Notes    []Message  `json:"notes"`
}

func (s *Server) conversation(w http.ResponseWriter, r *http.Request, sess *Session) {
	t, err := s.svc.Lookup(r.Context(), r.PathValue("code"))
	if err != nil {
		s.deskError(w, err)
		return
	}
	c := Conversation{Ticket: view(t), Messages: []Message{}, Notes: []Message{}}
	ms, err1 := s.st.Messages(r.Context(), t.User, t.Code)
	ns, err2 := s.st.Notes(r.Context(), t.User, t.Code)
	if err := firstErr(err1, err2); err != nil {
		s.deskError(w, err)
		return
	}
	c.Messages = append(c.Messages, ms...)
	c.Notes = append(c.Notes, ns...)
	s.audit(r.Context(), sess.Name, "read", t.Code)
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) take(w http.ResponseWriter, r *http.Request, sess *Session) {
	t, err := s.svc.DeskTake(r.Context(), sess.Name, r.PathValue("code"))
	if err != nil {
		s.deskError(w, err)
		return
	}
	s.logAction(sess.Name, "take", t.Code)
	s.events.notify()
	t.Status, t.Staff = handoff.StatusTaken, sess.Name
	writeJSON(w, http.StatusOK, view(t))
}

type textRequest struct {
	Text string `json:"text"`
}

// readText reads {"text"}: not empty, at most MaxTextLen characters.
func readText(w http.ResponseWriter, r *http.Request) (string, bool) {
	var req textRequest
	if !readJSON(w, r, &req) {
		return "", false
	}
	text := strings.TrimSpace(req.Text)
	if text == "" || len([]rune(text)) > MaxTextLen {
		writeError(w, http.StatusBadRequest, "bad_text", "the text is empty or longer than 4000 characters")
		return "", false
	}
	return text, true
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, sess *Session) {
	text, ok := readText(w, r)
	if !ok {
		return
	}
	if err := s.svc.DeskReply(r.Context(), sess.Name, r.PathValue("code"), text); err != nil {
		s.deskError(w, err)
		return
	}
	s.logAction(sess.Name, "reply", pathCode(r))
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) canned(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		MessageID string `json:"message_id"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	text, err := s.svc.DeskCanned(r.Context(), sess.Name, r.PathValue("code"), req.MessageID)
	if err != nil {
		s.deskError(w, err)
		return
	}
	s.logAction(sess.Name, "canned:"+req.MessageID, pathCode(r))
	writeJSON(w, http.StatusOK, map[string]string{"text": text})
}

func (s *Server) handback(w http.ResponseWriter, r *http.Request, sess *Session) {
	if err := s.svc.DeskBack(r.Context(), sess.Name, r.PathValue("code")); err != nil {
		s.deskError(w, err)
		return
	}
	s.logAction(sess.Name, "back", pathCode(r))
	s.events.notify()
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) close(w http.ResponseWriter, r *http.Request, sess *Session) {
	if err := s.svc.DeskClose(r.Context(), sess.Name, r.PathValue("code")); err != nil {
		s.deskError(w, err)
		return
	}
	s.logAction(sess.Name, "close", pathCode(r))
	s.events.notify()
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// note adds an internal note: kept as long as the ticket, erased with the user, never sent.
func (s *Server) note(w http.ResponseWriter, r *http.Request, sess *Session) {
	text, ok := readText(w, r)
	if !ok {
		return
	}
	t, err := s.svc.Lookup(r.Context(), r.PathValue("code"))
	if err != nil {
		s.deskError(w, err)
		return
	}
	m := Message{Code: t.Code, From: sess.Name, Text: text, At: s.cfg.Now()}
	if err := s.st.AddNote(r.Context(), t.User, m, s.cfg.TicketTTL); err != nil {
		s.deskError(w, err)
		return
	}
	s.audit(r.Context(), sess.Name, "note", t.Code)
	s.events.notify()
	writeJSON(w, http.StatusOK, m)
}

// CannedMessage is a content message staff may send, with its English text's first line.
type CannedMessage struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func (s *Server) cannedList(w http.ResponseWriter, _ *http.Request, _ *Session) {
	out := []CannedMessage{}
	for _, id := range s.svc.CannedIDs() {
		title, _, _ := strings.Cut(strings.TrimSpace(s.cfg.Language.Text("en", id, "")), "\n")
		if r := []rune(title); len(r) > 80 {
			title = string(r[:79]) + "…"
		}
		out = append(out, CannedMessage{ID: id, Title: title})
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

// DaySheet is reception's list of a day's planned visits.
type DaySheet struct {
	Day    string       `json:"day"`
	Visits []TicketView `json:"visits"`
	// Interpreters counts the visits that want an interpreter, by language.
	Interpreters map[string]int `json:"interpreters"`
}

func (s *Server) visits(w http.ResponseWriter, r *http.Request, sess *Session) {
	day := r.URL.Query().Get("day")
	if day == "" {
		day = s.cfg.Now().In(s.cfg.Location).Format(bot.DayLayout)
	}
	if _, err := time.Parse(bot.DayLayout, day); err != nil {
		writeError(w, http.StatusBadRequest, "bad_day", "day is YYYY-MM-DD")
		return
	}
	list, err := s.svc.DayVisits(r.Context(), day)
	if err != nil {
		s.deskError(w, err)
		return
	}
	sheet := DaySheet{Day: day, Visits: []TicketView{}, Interpreters: map[string]int{}}
	for _, t := range list {
		sheet.Visits = append(sheet.Visits, view(t))
		if t.Interp {
			sheet.Interpreters[t.Lang]++
		}
	}
	s.audit(r.Context(), sess.Name, "day_sheet", "")
	writeJSON(w, http.StatusOK, sheet)
}

// Look-ups of codes that match no ticket are limited per account: guessing codes is refused.
const (
	maxFailedLookups = 30
	lookupWindow     = 10 * time.Minute
)

func (s *Server) lookup(w http.ResponseWriter, r *http.Request, sess *Session) {
	ctx := r.Context()
	key := "l:" + s.digest("lookup", sess.Name)
	if n, err := s.st.Failures(ctx, key); err == nil && n >= maxFailedLookups {
		s.audit(ctx, sess.Name, "code_limited", "")
		writeError(w, http.StatusTooManyRequests, "limited", "too many unknown codes; wait a few minutes")
		return
	}
	t, err := s.svc.Lookup(ctx, r.PathValue("code"))
	if errors.Is(err, handoff.ErrNoTicket) {
		_, _ = s.st.Fail(ctx, key, lookupWindow)
		s.audit(ctx, sess.Name, "code_unknown", "") // not what was typed: it need not be a code
	}
	if err != nil {
		s.deskError(w, err)
		return
	}
	s.audit(ctx, sess.Name, "code", t.Code)
	writeJSON(w, http.StatusOK, view(t))
}

func (s *Server) visitOutcome(outcome string) handler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		t, err := s.svc.DeskVisit(r.Context(), sess.Name, r.PathValue("code"), outcome)
		if err != nil {
			s.deskError(w, err)
			return
		}
		s.logAction(sess.Name, "visit:"+outcome, t.Code)
		writeJSON(w, http.StatusOK, view(t))
	}
}

// maxStatsDays bounds a statistics request.
const maxStatsDays = 400

// StatsDay is one day's counters.
type StatsDay struct {
	Day    string           `json:"day"`
	Counts map[string]int64 `json:"counts"`
}

// stats answers the counters of the days from..to (default the last 28 days), as JSON or, with
// format=csv, as CSV rows day,counter,count.
func (s *Server) stats(w http.ResponseWriter, r *http.Request, sess *Session) {
	q := r.URL.Query()
	today := s.cfg.Now().In(s.cfg.Location)
	to, from := today, today.AddDate(0, 0, -27)
	var err error
	if v := q.Get("to"); v != "" {
		if to, err = time.ParseInLocation(bot.DayLayout, v, s.cfg.Location); err != nil {
			writeError(w, http.StatusBadRequest, "bad_day", "to is YYYY-MM-DD")
			return
		}
	}
	if v := q.Get("from"); v != "" {
		if from, err = time.ParseInLocation(bot.DayLayout, v, s.cfg.Location); err != nil {
			writeError(w, http.StatusBadRequest, "bad_day", "from is YYYY-MM-DD")
			return
		}
	}
	from = time.Date(from.Year(), from.Month(), from.Day(), 12, 0, 0, 0, s.cfg.Location)
	to = time.Date(to.Year(), to.Month(), to.Day(), 12, 0, 0, 0, s.cfg.Location)
	if to.Before(from) || to.Sub(from) > maxStatsDays*24*time.Hour {
		writeError(w, http.StatusBadRequest, "bad_range", "from is before to, at most 400 days apart")
		return
	}
	var days []StatsDay
	totals := map[string]int64{}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		day := d.Format(bot.DayLayout)
		c, err := s.st.Counts(r.Context(), day)
		if err != nil {
			s.deskError(w, err)
			return
		}
		days = append(days, StatsDay{Day: day, Counts: c})
		for k, n := range c {
			totals[k] += n
		}
	}
	s.audit(r.Context(), sess.Name, "stats", "")
	if q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="returnbot-stats-`+from.Format(bot.DayLayout)+`-`+to.Format(bot.DayLayout)+`.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"day", "counter", "count"})
		for _, d := range days {
			keys := make([]string, 0, len(d.Counts))
			for k := range d.Counts {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				_ = cw.Write([]string{d.Day, k, strconv.FormatInt(d.Counts[k], 10)})
			}
		}
		cw.Flush()
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from.Format(bot.DayLayout), "to": to.Format(bot.DayLayout),
		"days": days, "totals": totals})
}
