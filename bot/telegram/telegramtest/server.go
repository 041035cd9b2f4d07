// Package telegramtest is a fake Telegram Bot API server for tests. It speaks the real wire format
// (form-encoded, multipart or JSON requests; {"ok":true,"result":...} answers and the Bot API's
// error objects), keeps getUpdates queues with Telegram's offset semantics, delivers updates to a
// webhook the way Telegram does (secret header included, a method in the response run), records
// every call with its time, and can be told to fail: 429 with retry_after, 5xx, 403 for a
// blocked chat, or slow answers.
package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Token is the bot token the server accepts.
const Token = "123456:TEST-token_for-the-fake-server"

// BotUsername is the username getMe reports.
const BotUsername = "returnbot_test_bot"

// Call is one Bot API request the server received.
type Call struct {
	// Method is the Bot API method ("sendMessage", ...).
	Method string
	// Params are the request parameters as strings, whatever the encoding.
	Params map[string]string
	// Time is when the request arrived.
	Time time.Time
	// Status is the HTTP status the server answered.
	Status int
	// Inline: the call came in a webhook's response (Server.PostTo), not as a request.
	Inline bool
	// MessageID is the message_id the server gave a message it sent (0 for other calls), for
	// updates that reply to it.
	MessageID int64
	// Files are the files uploaded with a multipart call, by field name (files.go).
	Files map[string]File
}

// ChatID is the chat_id parameter as a number (0 when absent).
func (c Call) ChatID() int64 {
	id, _ := strconv.ParseInt(c.Params["chat_id"], 10, 64)
	return id
}

// Keyboard is the callback data of the inline keyboard's buttons, row by row flattened.
func (c Call) Keyboard() []Button {
	var m struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if c.Params["reply_markup"] == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(c.Params["reply_markup"]), &m); err != nil {
		return nil
	}
	var out []Button
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			out = append(out, Button{Text: b.Text, Data: b.CallbackData})
		}
	}
	return out
}

// Button is an inline keyboard button as sent.
type Button struct {
	Text, Data string
}

// Fault is a failure the server answers instead of the normal result.
type Fault struct {
	// Code is the HTTP status and error_code (429, 500, 403, ...).
	Code int
	// RetryAfter is parameters.retry_after for 429.
	RetryAfter int
	// Description is the error text; a default per code when empty.
	Description string
	// Delay holds the answer back (to test timeouts and shutdown bounds).
	Delay time.Duration
	// HTML answers with a non-JSON body, as a proxy in front of the API might.
	HTML bool
}

// Server is the fake Bot API.
type Server struct {
	*httptest.Server
	t testing.TB

	mu      sync.Mutex
	calls   []Call
	queue   []json.RawMessage // unconfirmed updates, in update_id order
	nextID  int64
	wake    chan struct{}
	webhook map[string]string
	faults  []rule
	blocked map[int64]bool
	msgID   int64
	notify  chan struct{}
	// noConfirm: offsets select what is answered but confirm nothing, as if the process had
	// crashed before its next getUpdates reached Telegram.
	noConfirm bool
	// profiles are the bot's command menus and descriptions by language_code (profile.go).
	profiles map[string]Profile
	// files are the files the server holds, by file_id (files.go).
	files map[string]File
}

type rule struct {
	method string
	chat   int64 // 0: any
	left   int   // remaining times; <0 forever
	fault  Fault
}

// NewServer starts a fake Bot API server, closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{t: t, nextID: 1000, wake: make(chan struct{}), blocked: map[int64]bool{}, notify: make(chan struct{}, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Endpoint is the TELEGRAM_API_ENDPOINT for this server.
func (s *Server) Endpoint() string { return s.URL + "/bot%s/%s" }

// Push queues an update for getUpdates. Its update_id is replaced by the next id in sequence (as
// Telegram's are increasing), which is returned.
func (s *Server) Push(update []byte) int64 {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(update, &m); err != nil {
		s.t.Fatalf("telegramtest: Push: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	m["update_id"] = json.RawMessage(strconv.FormatInt(s.nextID, 10))
	raw, _ := json.Marshal(m)
	s.queue = append(s.queue, raw)
	close(s.wake)
	s.wake = make(chan struct{})
	return s.nextID
}

// LoseConfirmations makes getUpdates offsets confirm nothing (while on), as if each poller
// crashed right after handling a batch: a restarted poller gets those updates again.
func (s *Server) LoseConfirmations(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noConfirm = on
}

// Pending is the number of updates not yet confirmed by an offset.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Webhook returns the parameters of the last setWebhook, nil when none is set.
func (s *Server) Webhook() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

// Deliver posts an update to the webhook set with setWebhook, with its secret token as Telegram
// sends it, runs a method the webhook answers with (see PostTo) and returns the HTTP status.
func (s *Server) Deliver(update []byte) int {
	wh := s.Webhook()
	if wh == nil {
		s.t.Fatal("telegramtest: Deliver without a webhook")
	}
	return s.PostTo(wh["url"], wh["secret_token"], update)
}

// PostTo posts an update to a webhook URL with the given secret header and, as Telegram does,
// runs the Bot API method a 200 response carries (Respond).
func (s *Server) PostTo(url, secret string, update []byte) int {
	code, body := post(s.t, url, secret, update)
	if code == http.StatusOK {
		s.Respond(body)
	}
	return code
}

// Respond runs the Bot API method a webhook's response carries ({"method": ..., parameters}), as
// Telegram does: it is recorded as a call with Inline set, faults included, and its result goes
// nowhere. A response without a method is nothing to run.
func (s *Server) Respond(body []byte) {
	var p map[string]json.RawMessage
	if len(body) == 0 || json.Unmarshal(body, &p) != nil {
		return
	}
	var method string
	if json.Unmarshal(p["method"], &method) != nil || method == "" {
		return
	}
	params := map[string]string{}
	for k, v := range p {
		if k == "method" {
			continue
		}
		var str string
		if json.Unmarshal(v, &str) == nil {
			params[k] = str
		} else {
			params[k] = string(v)
		}
	}
	call := Call{Method: method, Params: params, Time: time.Now(), Inline: true}
	call.Status = s.answer(context.Background(), httptest.NewRecorder(), Token, method, params, nil, &call)
	s.record(call)
}

// Post sends body to a webhook URL with the given secret header (none when secret is "") and
// returns the status; a method in the response is not run (see Server.PostTo).
func Post(t testing.TB, url, secret string, body []byte) int {
	code, _ := post(t, url, secret, body)
	return code
}

func post(t testing.TB, url, secret string, body []byte) (int, []byte) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, got
}

// Fail makes the next n calls of method (to chat, or any chat when chat is 0) answer f; n < 0
// means until Clear.
func (s *Server) Fail(method string, chat int64, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, rule{method: method, chat: chat, left: n, fault: f})
}

// Clear removes all faults.
func (s *Server) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Block makes every send to chat answer 403, as for a user who blocked the bot.
func (s *Server) Block(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chat] = true
}

// Unblock lifts Block.
func (s *Server) Unblock(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, chat)
}

// Calls returns the calls received so far, of the given methods (all when none is given).
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Sent returns the successful sends (sendMessage, sendVenue and sendVoice) to one chat, in order.
func (s *Server) Sent(chat int64) []Call {
	var out []Call
	for _, c := range s.Calls("sendMessage", "sendVenue", "sendVoice") {
		if c.ChatID() == chat && c.Status == http.StatusOK {
			out = append(out, c)
		}
	}
	return out
}

// WaitFor waits until cond holds for the calls received, or fails the test after timeout.
func (s *Server) WaitFor(timeout time.Duration, what string, cond func(calls []Call) bool) []Call {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		calls := s.Calls()
		if cond(calls) {
			return calls
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("telegramtest: timed out waiting for %s; calls: %s", what, Summary(calls))
		}
		select {
		case <-s.notify:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Summary lists calls briefly, for failure messages.
func Summary(calls []Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "\n  %s %d chat=%s text=%.40q", c.Method, c.Status, c.Params["chat_id"], c.Params["text"])
	}
	return b.String()
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// serve answers /bot<token>/<method>.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.serveFile(w, r, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		writeErr(w, Fault{Code: 404, Description: "Not Found"})
		return
	}
	params, err := parseParams(r)
	call := Call{Method: method, Params: params, Time: time.Now(), Files: uploaded(r)}
	status := s.answer(r.Context(), w, token, method, params, err, &call)
	call.Status = status
	s.record(call)
}

func (s *Server) record(call Call) {
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *Server) answer(ctx context.Context, w http.ResponseWriter, token, method string, p map[string]string, perr error, call *Call) int {
	if token != Token {
		return writeErr(w, Fault{Code: 401, Description: "Unauthorized"})
	}
	if perr != nil {
		return writeErr(w, Fault{Code: 400, Description: "Bad Request: " + perr.Error()})
	}
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	if f, ok := s.fault(method, chat); ok {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-ctx.Done():
				return 499
			}
		}
		if f.Code != 0 {
			return writeErr(w, f)
		}
	}
	if status, ok := s.profile(w, method, p); ok {
		return status
	}
	switch method {
	case "getMe":
		return writeOK(w, map[string]any{"id": 111111111, "is_bot": true, "first_name": "Returnbot test", "username": BotUsername,
			"can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false})
	case "setWebhook":
		if p["url"] == "" {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: bad webhook: URL must be provided"})
		}
		s.mu.Lock()
		s.webhook = p
		s.mu.Unlock()
		return writeTrue(w, "Webhook was set")
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook = nil
		s.mu.Unlock()
		return writeTrue(w, "Webhook was deleted")
	case "getUpdates":
		return s.getUpdates(ctx, w, p)
	case "sendMessage", "sendVenue":
		return s.send(w, method, chat, p, call)
	case "sendVoice":
		return s.sendVoice(w, chat, p, call)
	case "answerCallbackQuery":
		if p["callback_query_id"] == "" {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: query is too old and response timeout expired or query ID is invalid"})
		}
		return writeTrue(w, "")
	case "editMessageReplyMarkup":
		return writeTrue(w, "")
	case "copyMessage":
		return s.copyMessage(w, p, call)
	case "getFile":
		return s.getFile(w, p)
	case "sendAudio", "sendPhoto", "sendVideo", "sendDocument", "sendSticker":
		return s.sendFile(w, method, chat, p, call)
	}
	return writeErr(w, Fault{Code: 404, Description: "Not Found"})
}

func (s *Server) fault(method string, chat int64) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if (method == "sendMessage" || method == "sendVenue") && s.blocked[chat] {
		return Fault{Code: 403, Description: "Forbidden: bot was blocked by the user"}, true
	}
	for i := range s.faults {
		r := &s.faults[i]
		if r.method != method || (r.chat != 0 && r.chat != chat) || r.left == 0 {
			continue
		}
		if r.left > 0 {
			r.left--
		}
		return r.fault, true
	}
	return Fault{}, false
}

// getUpdates: an offset confirms every update below it; the answer is the unconfirmed updates
// from the offset on, waiting up to timeout seconds for one to arrive.
func (s *Server) getUpdates(ctx context.Context, w http.ResponseWriter, p map[string]string) int {
	if s.Webhook() != nil {
		return writeErr(w, Fault{Code: 409, Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"})
	}
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	deadline := time.After(time.Duration(timeout) * time.Second)
	// The offset confirms when the request arrives, not when it is answered.
	s.mu.Lock()
	if offset > 0 && !s.noConfirm {
		keep := s.queue[:0]
		for _, u := range s.queue {
			if idOf(u) >= offset {
				keep = append(keep, u)
			}
		}
		s.queue = keep
	}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		var out []json.RawMessage
		for _, u := range s.queue {
			if len(out) < limit && idOf(u) >= offset {
				out = append(out, u)
			}
		}
		wake := s.wake
		s.mu.Unlock()
		if len(out) > 0 || timeout == 0 {
			if out == nil {
				out = []json.RawMessage{}
			}
			return writeOK(w, out)
		}
		select {
		case <-wake:
		case <-deadline:
			timeout = 0
		case <-ctx.Done():
			return 499
		}
	}
}

// idOf is an update's update_id (0 when unreadable).
func idOf(u json.RawMessage) int64 {
	var v struct {
		UpdateID *int64 `json:"update_id"`
	}
	if json.Unmarshal(u, &v) != nil || v.UpdateID == nil {
		return 0
	}
	return *v.UpdateID
}

func (s *Server) send(w http.ResponseWriter, method string, chat int64, p map[string]string, call *Call) int {
	if p["chat_id"] == "" {
		return writeErr(w, Fault{Code: 400, Description: "Bad Request: chat_id is empty"})
	}
	if pm := p["parse_mode"]; pm != "" {
		return writeErr(w, Fault{Code: 400, Description: "Bad Request: the test server expects plain text, got parse_mode " + pm})
	}
	if rm := p["reply_markup"]; rm != "" {
		var m struct {
			InlineKeyboard [][]struct {
				Text         string  `json:"text"`
				CallbackData *string `json:"callback_data"`
			} `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(rm), &m); err != nil {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: can't parse reply keyboard markup JSON object"})
		}
		for _, row := range m.InlineKeyboard {
			for _, b := range row {
				if b.Text == "" {
					return writeErr(w, Fault{Code: 400, Description: "Bad Request: text buttons are unallowed in the inline keyboard"})
				}
				if b.CallbackData == nil || len(*b.CallbackData) == 0 || len(*b.CallbackData) > 64 {
					return writeErr(w, Fault{Code: 400, Description: "Bad Request: BUTTON_DATA_INVALID"})
				}
			}
		}
	}
	res := map[string]any{"chat": map[string]any{"id": chat, "type": "private"}, "date": time.Now().Unix()}
	switch method {
	case "sendMessage":
		text := p["text"]
		if strings.TrimSpace(text) == "" {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: message text is empty"})
		}
		if !utf8.ValidString(text) {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: text must be encoded in UTF-8"})
		}
		if utf16Len(text) > 4096 {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: message is too long"})
		}
		res["text"] = text
	case "sendVenue":
		for _, k := range []string{"latitude", "longitude", "title", "address"} {
			if p[k] == "" {
				return writeErr(w, Fault{Code: 400, Description: "Bad Request: " + k + " is empty"})
			}
		}
		lat, _ := strconv.ParseFloat(p["latitude"], 64)
		lon, _ := strconv.ParseFloat(p["longitude"], 64)
		res["venue"] = map[string]any{"location": map[string]any{"latitude": lat, "longitude": lon}, "title": p["title"], "address": p["address"]}
	}
	s.mu.Lock()
	s.msgID++
	res["message_id"] = s.msgID
	call.MessageID = s.msgID
	s.mu.Unlock()
	return writeOK(w, res)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// parseParams reads form-encoded, multipart or JSON parameters into strings, as the Bot API does.
func parseParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return out, err
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(v)
			}
		}
		return out, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			return out, err
		}
	default:
		if err := r.ParseForm(); err != nil {
			return out, err
		}
	}
	for k, v := range r.Form {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out, nil
}

func writeOK(w http.ResponseWriter, result any) int {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
	return http.StatusOK
}

func writeTrue(w http.ResponseWriter, description string) int {
	w.Header().Set("Content-Type", "application/json")
	m := map[string]any{"ok": true, "result": true}
	if description != "" {
		m["description"] = description
	}
	_ = json.NewEncoder(w).Encode(m)
	return http.StatusOK
}

func writeErr(w http.ResponseWriter, f Fault) int {
	if f.HTML {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.Code)
		fmt.Fprintf(w, "<html><body><h1>%d</h1></body></html>", f.Code)
		return f.Code
	}
	d := f.Description
	if d == "" {
		switch f.Code {
		case 429:
			d = fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter)
		case 403:
			d = "Forbidden: bot was blocked by the user"
		case 500:
			d = "Internal Server Error"
		case 502:
			d = "Bad Gateway"
		default:
			d = http.StatusText(f.Code)
		}
	}
	m := map[string]any{"ok": false, "error_code": f.Code, "description": d}
	if f.RetryAfter > 0 {
		m["parameters"] = map[string]any{"retry_after": f.RetryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Code)
	_ = json.NewEncoder(w).Encode(m)
	return f.Code
}
