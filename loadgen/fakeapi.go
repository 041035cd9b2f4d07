package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Token is the bot token FakeAPI accepts; any other gets 401, as from Telegram.
const Token = "123456:LOADGEN-fake-bot-api-token"

// botUser is the bot as getMe and sent messages describe it.
const botUser = `{"id":111111111,"is_bot":true,"first_name":"Returnbot","username":"returnbot_loadgen_bot"}`

// FakeAPI is a Bot API server on loopback for load runs: it answers getMe, setWebhook,
// deleteWebhook, sendMessage, sendVenue, answerCallbackQuery and editMessageReplyMarkup the way
// Telegram does ({"ok":true,"result":...}, the Bot API's error objects for requests Telegram would
// refuse), counts calls and keeps, per chat, the last keyboard sent. Unlike telegramtest it keeps
// no call log, so it stays fast and small over a long run.
type FakeAPI struct {
	srv *http.Server
	ln  net.Listener

	msgID atomic.Int64

	mu      sync.RWMutex
	chats   map[int64]*Chat
	webhook chan struct{} // closed and replaced at each setWebhook
	hookURL string
	secret  string

	counts apiCounters
}

type apiCounters struct {
	messages, callbacks, rejected, other, inResponse atomic.Int64
}

// APICounts are the calls FakeAPI answered, by kind.
type APICounts struct {
	// Messages counts sendMessage and sendVenue calls answered ok.
	Messages int64 `json:"messages"`
	// Callbacks counts answerCallbackQuery calls answered ok.
	Callbacks int64 `json:"callback_answers"`
	// Rejected counts calls answered with an error (bad token, empty text, bad keyboard, ...).
	Rejected int64 `json:"rejected"`
	// Other counts other calls answered ok (getMe, setWebhook, ...).
	Other int64 `json:"other"`
	// InResponse counts the calls above that came in webhook responses (Respond), not as
	// requests of the bot's.
	InResponse int64 `json:"in_webhook_responses"`
}

func (c APICounts) sub(d APICounts) APICounts {
	return APICounts{c.Messages - d.Messages, c.Callbacks - d.Callbacks, c.Rejected - d.Rejected, c.Other - d.Other, c.InResponse - d.InResponse}
}

// Chat is what FakeAPI keeps for one private chat: the last message that carried a keyboard.
type Chat struct {
	mu       sync.Mutex
	msgs     int64 // messages received
	kbSeq    int64 // messages with a keyboard received
	keyboard []Button
	kbMsgID  int64
	kbText   string
	kbMarkup string
	wake     chan struct{} // closed and replaced at each keyboard
}

// Button is an inline keyboard button as the bot sent it.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// StartFakeAPI listens on a free loopback port and serves until Close.
func StartFakeAPI() (*FakeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &FakeAPI{ln: ln, chats: map[int64]*Chat{}, webhook: make(chan struct{})}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// Endpoint is the Bot API URL format (token, then method) for TELEGRAM_API_ENDPOINT.
func (f *FakeAPI) Endpoint() string { return "http://" + f.ln.Addr().String() + "/bot%s/%s" }

// Close stops the server.
func (f *FakeAPI) Close() error { return f.srv.Close() }

// Counts returns the calls answered so far.
func (f *FakeAPI) Counts() APICounts {
	c := &f.counts
	return APICounts{c.messages.Load(), c.callbacks.Load(), c.rejected.Load(), c.other.Load(), c.inResponse.Load()}
}

// Respond runs the Bot API method a webhook's response carries ({"method": ..., parameters}), as
// Telegram does; its result goes nowhere. A response without one is nothing to run.
func (f *FakeAPI) Respond(body []byte) {
	if len(body) == 0 || body[0] != '{' {
		return
	}
	// A callback answer, by far the most common, is counted as ServeHTTP would, without the
	// detour through a request.
	ans, err := jsonParams(body)
	if err != nil {
		return
	}
	method := ans.Get("method")
	if method == "answerCallbackQuery" && ans.Get("callback_query_id") != "" {
		f.counts.inResponse.Add(1)
		f.counts.callbacks.Add(1)
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return
	}
	if method == "" || strings.ContainsAny(method, "/?#") {
		return
	}
	delete(m, "method")
	p, _ := json.Marshal(m)
	r, err := http.NewRequest(http.MethodPost, "/bot"+Token+"/"+method, bytes.NewReader(p))
	if err != nil {
		return
	}
	r.Header.Set("Content-Type", "application/json")
	f.counts.inResponse.Add(1)
	f.ServeHTTP(discard{h: http.Header{}}, r)
}

// discard is a ResponseWriter for Respond: Telegram reports nothing back.
type discard struct{ h http.Header }

func (d discard) Header() http.Header       { return d.h }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// Webhook waits until the webhook is set to url (a bot started after an earlier one sets its own)
// and returns its secret_token, as Telegram would use them to deliver updates.
func (f *FakeAPI) Webhook(ctx context.Context, url string) (secret string, err error) {
	for {
		f.mu.RLock()
		got, secret, wake := f.hookURL, f.secret, f.webhook
		f.mu.RUnlock()
		if got == url {
			return secret, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return "", errors.New("loadgen: the bot did not call setWebhook: " + ctx.Err().Error())
		}
	}
}

// Chat returns the state of a chat, creating it if needed.
func (f *FakeAPI) Chat(id int64) *Chat {
	f.mu.RLock()
	c := f.chats[id]
	f.mu.RUnlock()
	if c != nil {
		return c
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c = f.chats[id]; c == nil {
		c = &Chat{wake: make(chan struct{})}
		f.chats[id] = c
	}
	return c
}

// Keyboard returns the last keyboard sent to the chat, the id and text of its message and the
// number of keyboards sent so far.
func (c *Chat) Keyboard() (buttons []Button, msgID int64, text, markup string, seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keyboard, c.kbMsgID, c.kbText, c.kbMarkup, c.kbSeq
}

// Messages is the number of messages the chat received.
func (c *Chat) Messages() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs
}

// WaitKeyboard waits until more than seq keyboards were sent to the chat or d has passed, and
// reports whether one came.
func (c *Chat) WaitKeyboard(seq int64, d time.Duration) bool {
	var t *time.Timer
	for {
		c.mu.Lock()
		got, wake := c.kbSeq > seq, c.wake
		c.mu.Unlock()
		if got {
			if t != nil {
				t.Stop()
			}
			return true
		}
		if t == nil {
			t = time.NewTimer(d)
		}
		select {
		case <-wake:
		case <-t.C:
			return false
		}
	}
}

// ServeHTTP answers /bot<token>/<method>.
func (f *FakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		f.fail(w, http.StatusNotFound, "Not Found")
		return
	}
	if token != Token {
		f.fail(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	p, err := params(r)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "Bad Request: "+err.Error())
		return
	}
	switch method {
	case "getMe":
		f.ok(w, botUser)
	case "setWebhook":
		if p.Get("url") == "" {
			f.fail(w, http.StatusBadRequest, "Bad Request: bad webhook: URL must be provided")
			return
		}
		f.mu.Lock()
		f.hookURL, f.secret = p.Get("url"), p.Get("secret_token")
		close(f.webhook)
		f.webhook = make(chan struct{})
		f.mu.Unlock()
		f.ok(w, "true")
	case "deleteWebhook", "editMessageReplyMarkup", "setMyCommands", "setMyDescription", "setMyShortDescription":
		f.ok(w, "true")
	// The bot reads its profile at start-up and sets what differs (bot/telegram profile.go).
	case "getMyCommands":
		f.ok(w, "[]")
	case "getMyDescription":
		f.ok(w, `{"description":""}`)
	case "getMyShortDescription":
		f.ok(w, `{"short_description":""}`)
	case "answerCallbackQuery":
		if p.Get("callback_query_id") == "" {
			f.fail(w, http.StatusBadRequest, "Bad Request: query is too old and response timeout expired or query ID is invalid")
			return
		}
		f.counts.callbacks.Add(1)
		writeResult(w, "true")
	case "sendMessage", "sendVenue":
		f.send(w, method, p)
	default:
		f.fail(w, http.StatusNotFound, "Not Found")
	}
}

// send checks a message as Telegram would, records it and answers with the Message.
func (f *FakeAPI) send(w http.ResponseWriter, method string, p formValues) {
	chatID, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "Bad Request: chat not found")
		return
	}
	var kb []Button
	markup := p.Get("reply_markup")
	if markup != "" {
		if kb, err = parseKeyboard(markup); err != nil {
			f.fail(w, http.StatusBadRequest, "Bad Request: "+err.Error())
			return
		}
	}
	text := p.Get("text")
	var lat, lon float64
	switch method {
	case "sendMessage":
		if strings.TrimSpace(text) == "" {
			f.fail(w, http.StatusBadRequest, "Bad Request: message text is empty")
			return
		}
		if !utf8.ValidString(text) || utf16Len(text) > 4096 {
			f.fail(w, http.StatusBadRequest, "Bad Request: message is too long")
			return
		}
	case "sendVenue":
		var err1, err2 error
		lat, err1 = strconv.ParseFloat(p.Get("latitude"), 64)
		lon, err2 = strconv.ParseFloat(p.Get("longitude"), 64)
		if err1 != nil || err2 != nil || p.Get("title") == "" || p.Get("address") == "" {
			f.fail(w, http.StatusBadRequest, "Bad Request: venue needs latitude, longitude, title and address")
			return
		}
		text = p.Get("title")
	}
	id := f.msgID.Add(1)
	c := f.Chat(chatID)
	c.mu.Lock()
	c.msgs++
	if kb != nil {
		c.kbSeq++
		c.keyboard, c.kbMsgID, c.kbText, c.kbMarkup = kb, id, text, markup
		close(c.wake)
		c.wake = make(chan struct{})
	}
	c.mu.Unlock()
	f.counts.messages.Add(1)

	// The Message Telegram answers with, written straight into the answer.
	buf := answerBufs.Get().(*[]byte)
	defer answerBufs.Put(buf)
	b := (*buf)[:0]
	b = append(b, `{"ok":true,"result":{"message_id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"from":`+botUser+`,"chat":{"id":`...)
	b = strconv.AppendInt(b, chatID, 10)
	b = append(b, `,"first_name":"Load","type":"private"},"date":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	switch method {
	case "sendMessage":
		b = append(b, `,"text":`...)
		b = appendQuoted(b, text)
	case "sendVenue":
		loc := `{"latitude":` + strconv.FormatFloat(lat, 'f', -1, 64) + `,"longitude":` + strconv.FormatFloat(lon, 'f', -1, 64) + `}`
		b = append(b, `,"location":`+loc+`,"venue":{"location":`+loc+`,"title":`...)
		b = append(appendQuoted(append(appendQuoted(b, p.Get("title")), `,"address":`...), p.Get("address")), '}')
	}
	if markup != "" {
		b = append(append(b, `,"reply_markup":`...), markup...)
	}
	b = append(b, "}}"...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
	*buf = b
}

// answerBufs holds the buffers answers are written in: one per message would be garbage.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// parseKeyboard reads an inline keyboard and checks its buttons as Telegram does.
func parseKeyboard(markup string) ([]Button, error) {
	kb := []Button{}
	var bad error
	r := &jsonReader{b: []byte(markup)}
	r.object(func(key string) {
		if key != "inline_keyboard" {
			r.skip()
			return
		}
		r.array(func() {
			r.array(func() {
				var b Button
				var hasData bool
				r.object(func(key string) {
					switch {
					case key != "text" && key != "callback_data":
						r.skip()
					case r.peek() == 'n':
						r.literal("null")
					case r.peek() != '"':
						r.fail()
					case key == "text":
						b.Text = r.str()
					default:
						b.Data, hasData = r.str(), true
					}
				})
				switch {
				case bad != nil:
				case b.Text == "":
					bad = errors.New("text buttons are unallowed in the inline keyboard")
				case !hasData || len(b.Data) == 0 || len(b.Data) > 64:
					bad = errors.New("BUTTON_DATA_INVALID")
				}
				kb = append(kb, b)
			})
		})
	})
	if r.end() != nil {
		return nil, errors.New("can't parse reply keyboard markup JSON object")
	}
	if bad != nil {
		return nil, bad
	}
	return kb, nil
}

func (f *FakeAPI) ok(w http.ResponseWriter, result string) {
	f.counts.other.Add(1)
	writeResult(w, result)
}

func writeResult(w http.ResponseWriter, result string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true,"result":` + result + `}`))
}

func (f *FakeAPI) fail(w http.ResponseWriter, code int, description string) {
	f.counts.rejected.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(`{"ok":false,"error_code":` + strconv.Itoa(code) + `,"description":` + string(appendQuoted(nil, description)) + `}`))
}

// formValues are request parameters, whatever their encoding.
type formValues map[string]string

// Get returns a parameter ("" when absent).
func (v formValues) Get(k string) string { return v[k] }

// params reads form-encoded or JSON parameters, the encodings bot libraries use.
func params(r *http.Request) (formValues, error) {
	out := formValues{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		body, err := readBody(r)
		if err != nil {
			return nil, err
		}
		return jsonParams(body)
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	for k, v := range r.Form {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out, nil
}

// readBody reads a request body of at most 1 MiB, in one read when its length is known.
func readBody(r *http.Request) ([]byte, error) {
	const limit = 1 << 20
	if n := r.ContentLength; n > 0 && n <= limit {
		b := make([]byte, n)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
}

// jsonParams reads a JSON body into parameters: strings as they are, anything else (numbers,
// objects such as reply_markup) as its JSON text, as Telegram reads them. Only the parameters
// FakeAPI looks at are kept; the rest is checked and skipped.
func jsonParams(body []byte) (formValues, error) {
	out := formValues{}
	r := &jsonReader{b: body}
	r.object(func(key string) {
		switch key {
		case "text", "title", "address", "callback_query_id", "url", "secret_token", "method":
			switch r.peek() {
			case '"':
				out[key] = r.str()
			case 'n':
				r.literal("null")
			default:
				r.skip()
				r.err = errors.New("parameter " + key + " is not a string")
			}
		case "chat_id", "reply_markup", "latitude", "longitude":
			if r.peek() == '"' {
				out[key] = r.str()
				return
			}
			if v := r.skip(); string(v) != "null" {
				out[key] = string(v)
			}
		default:
			r.skip()
		}
	})
	if err := r.end(); err != nil {
		return nil, err
	}
	return out, nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
