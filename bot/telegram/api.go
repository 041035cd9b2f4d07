package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// api is the Bot API as the channel uses it: go-telegram-bot-api for the wire format, with a
// context per call (the library has none) and errors that never carry the token.
type api struct {
	bot      *tgbotapi.BotAPI
	http     *http.Client
	token    string
	endpoint string // the library's format: token, then method
}

// connect checks the token with getMe through tgbotapi.NewBotAPIWithClient.
func connect(ctx context.Context, token, endpoint string, hc *http.Client) (*api, error) {
	b, err := tgbotapi.NewBotAPIWithClient(token, endpoint, ctxDoer{ctx: ctx, c: hc})
	if err != nil {
		return nil, scrub(err, token)
	}
	return &api{bot: b, http: hc, token: token, endpoint: endpoint}, nil
}

// with returns a copy of the library's client whose HTTP calls carry ctx. BotAPI holds no locks,
// so a shallow copy per call is safe and cheap.
func (a *api) with(ctx context.Context) *tgbotapi.BotAPI {
	b := *a.bot
	b.Debug = false // Debug would log request parameters, i.e. message texts and chat ids.
	b.Client = ctxDoer{ctx: ctx, c: a.http}
	return &b
}

// request sends one method built by the library. Methods that return true (answerCallbackQuery,
// setWebhook, ...) must go through here: the library's Send would try to decode a Message.
func (a *api) request(ctx context.Context, c tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	if method, body, ok := jsonCall(c); ok {
		resp, err := a.post(ctx, method, body)
		return resp, scrub(err, a.token)
	}
	resp, err := a.with(ctx).Request(c)
	return resp, scrub(err, a.token)
}

// jsonCall encodes the calls the sender makes for every answer, sendMessage and sendVenue as
// render builds them, as a JSON body (encoding/json): texts travel as UTF-8, where the
// library's form encoding triples every byte of Arabic, Cyrillic or Ethiopic script. A config
// with any field render does not set goes through the library instead (ok false).
func jsonCall(c tgbotapi.Chattable) (method string, body []byte, ok bool) {
	var v any
	switch m := c.(type) {
	case tgbotapi.MessageConfig:
		if m.Text == "" || m.ParseMode != "" || len(m.Entities) > 0 || m.DisableWebPagePreview {
			return "", nil, false
		}
		kb, ok := keyboardOf(m.BaseChat)
		if !ok {
			return "", nil, false
		}
		v, method = jsonMessage{ChatID: m.ChatID, ReplyMarkup: kb, Text: m.Text}, "sendMessage"
	case tgbotapi.VoiceConfig:
		return voiceCall(m)
	case tgbotapi.VenueConfig:
		if m.FoursquareID != "" || m.FoursquareType != "" || m.GooglePlaceID != "" || m.GooglePlaceType != "" {
			return "", nil, false
		}
		kb, ok := keyboardOf(m.BaseChat)
		if !ok {
			return "", nil, false
		}
		v, method = jsonVenue{ChatID: m.ChatID, ReplyMarkup: kb, Latitude: m.Latitude, Longitude: m.Longitude,
			Title: m.Title, Address: m.Address}, "sendVenue"
	default:
		return "", nil, false
	}
	body, err := json.Marshal(v)
	if err != nil {
		return "", nil, false
	}
	return method, body, true
}

// jsonMessage and jsonVenue are the fields of sendMessage and sendVenue that render sets.
type (
	jsonMessage struct {
		ChatID      int64                          `json:"chat_id"`
		ReplyMarkup *tgbotapi.InlineKeyboardMarkup `json:"reply_markup,omitempty"`
		Text        string                         `json:"text"`
	}
	jsonVenue struct {
		ChatID      int64                          `json:"chat_id"`
		ReplyMarkup *tgbotapi.InlineKeyboardMarkup `json:"reply_markup,omitempty"`
		Latitude    float64                        `json:"latitude"`
		Longitude   float64                        `json:"longitude"`
		Title       string                         `json:"title"`
		Address     string                         `json:"address"`
	}
)

// keyboardOf checks that a message sets only what render sets (a chat id and an inline keyboard
// of callback buttons) and returns the keyboard, nil for none.
func keyboardOf(c tgbotapi.BaseChat) (*tgbotapi.InlineKeyboardMarkup, bool) {
	if c.ChatID == 0 || c.ChannelUsername != "" || c.ReplyToMessageID != 0 || c.DisableNotification || c.AllowSendingWithoutReply {
		return nil, false
	}
	var kb *tgbotapi.InlineKeyboardMarkup
	switch m := c.ReplyMarkup.(type) {
	case nil:
		return nil, true
	case tgbotapi.InlineKeyboardMarkup:
		kb = &m
	case *tgbotapi.InlineKeyboardMarkup:
		if m == nil {
			return nil, true
		}
		kb = m
	default:
		return nil, false
	}
	for _, row := range kb.InlineKeyboard {
		for _, btn := range row {
			if btn.CallbackData == nil || btn.URL != nil || btn.LoginURL != nil || btn.SwitchInlineQuery != nil ||
				btn.SwitchInlineQueryCurrentChat != nil || btn.CallbackGame != nil || btn.Pay {
				return nil, false
			}
		}
	}
	return kb, true
}

// post makes a call with a JSON body and reads the answer the way the library does: the JSON's
// ok decides, not the HTTP status; a refusal becomes a *tgbotapi.Error with Telegram's code and
// retry_after. The result (the message sent, which the sender does not need) is skipped.
func (a *api) post(ctx context.Context, method string, body []byte) (*tgbotapi.APIResponse, error) {
	return a.postFor(ctx, method, body, false)
}

// requestResult is request with the answer's result kept (the staff chat needs the id of the
// message sent).
func (a *api) requestResult(ctx context.Context, c tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	if method, body, ok := jsonCall(c); ok {
		resp, err := a.postFor(ctx, method, body, true)
		return resp, scrub(err, a.token)
	}
	resp, err := a.with(ctx).Request(c)
	return resp, scrub(err, a.token)
}

// postFor is post, keeping the result when result is set.
func (a *api) postFor(ctx context.Context, method string, body []byte, result bool) (*tgbotapi.APIResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf(a.endpoint, a.token, method), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return a.answer(req, result)
}

// answer makes a prepared call (a JSON body, or a multipart upload) and reads Telegram's answer
// as postFor describes.
func (a *api) answer(req *http.Request, result bool) (*tgbotapi.APIResponse, error) {
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	return decodeAnswer(resp, result)
}

// decodeAnswer reads a Bot API answer (and closes its body), keeping the result when result is
// set.
func decodeAnswer(resp *http.Response, result bool) (*tgbotapi.APIResponse, error) {
	defer resp.Body.Close()
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer bodyBuffers.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, 1<<20)); err != nil {
		return nil, err
	}
	if !result && bytes.HasPrefix(buf.Bytes(), okPrefix) {
		// Telegram's answers open with "ok": success needs no decoding of the message echoed.
		return &tgbotapi.APIResponse{Ok: true}, nil
	}
	var ans struct {
		Ok          bool                         `json:"ok"`
		ErrorCode   int                          `json:"error_code"`
		Description string                       `json:"description"`
		Parameters  *tgbotapi.ResponseParameters `json:"parameters"`
		Result      json.RawMessage              `json:"result"`
	}
	if err := json.Unmarshal(buf.Bytes(), &ans); err != nil {
		return nil, err
	}
	out := &tgbotapi.APIResponse{Ok: ans.Ok, ErrorCode: ans.ErrorCode, Description: ans.Description, Parameters: ans.Parameters}
	if result {
		out.Result = append(json.RawMessage(nil), ans.Result...) // buf goes back to the pool
	}
	if !ans.Ok {
		var params tgbotapi.ResponseParameters
		if ans.Parameters != nil {
			params = *ans.Parameters
		}
		return out, &tgbotapi.Error{Code: ans.ErrorCode, Message: ans.Description, ResponseParameters: params}
	}
	return out, nil
}

// okPrefix opens every successful Bot API answer.
var okPrefix = []byte(`{"ok":true,`)

// bodyBuffers hold Bot API answers while they are read: one per call in flight, reused.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// raw calls a method with hand-made parameters, for what the library cannot express
// (setWebhook's secret_token, getUpdates decoded update by update).
func (a *api) raw(ctx context.Context, method string, p tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	resp, err := a.with(ctx).MakeRequest(method, p)
	return resp, scrub(err, a.token)
}

// ctxDoer attaches a context to the library's context-less requests.
type ctxDoer struct {
	ctx context.Context
	c   *http.Client
}

// Do implements tgbotapi.HTTPClient.
func (d ctxDoer) Do(r *http.Request) (*http.Response, error) { return d.c.Do(r.WithContext(d.ctx)) }

// scrub removes the bot token from an error: net/http errors quote the request URL, and the
// token is part of every Bot API URL.
func scrub(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, token, "<token>"), Err: ue.Err}
	}
	if strings.Contains(err.Error(), token) {
		return &scrubbed{msg: strings.ReplaceAll(err.Error(), token, "<token>"), err: err}
	}
	return err
}

type scrubbed struct {
	msg string
	err error
}

// Error is the message with the token replaced.
func (s *scrubbed) Error() string { return s.msg }

// Unwrap keeps errors.Is working (context errors, timeouts) without exposing the message.
func (s *scrubbed) Unwrap() error { return s.err }

// outcome is what the sender does after a failed call.
type outcome uint8

const (
	// retry after a backoff: network errors, timeouts, 5xx, unreadable answers.
	retry outcome = iota
	// wait the time Telegram asked for (429), then retry.
	throttled
	// blocked: the user blocked the bot or deleted their account (403); stop sending to them.
	blocked
	// permanent: Telegram refused the request (other 4xx); retrying cannot help.
	permanent
	// stopped: our own context ended (shutdown bound reached).
	stopped
)

// classify sorts an error from a Bot API call and, for 429, returns the wait Telegram asked for.
func classify(ctx context.Context, err error) (outcome, time.Duration) {
	if ctx.Err() != nil {
		return stopped, 0
	}
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		switch {
		case te.Code == http.StatusTooManyRequests:
			d := time.Duration(te.RetryAfter) * time.Second
			if d <= 0 {
				d = time.Second
			}
			return throttled, d
		case te.Code == http.StatusForbidden:
			return blocked, 0
		case te.Code >= 500 || te.Code == 0:
			// Code 0: the library's multipart path drops the code; treat as transient.
			return retry, 0
		default:
			return permanent, 0
		}
	}
	return retry, 0
}

// errCode is the Bot API error code of err, or 0 for transport errors.
func errCode(err error) int {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}
