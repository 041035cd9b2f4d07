package loadgen

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// floorTTL is how long the floor's keys live: every key has a TTL, and these are only load.
const floorTTL = time.Hour

// floorKeyboard keeps users walking: they press one of these, the floor answers with them again.
const floorKeyboard = `{"inline_keyboard":[[{"text":"One","callback_data":"one"}],[{"text":"Two","callback_data":"two"}]]}`

// Floor is the least a webhook bot does for an update: check the secret, parse the update, read
// and write the chat's state in Redis (one GET, one SET with a TTL) and answer with one
// sendMessage, before answering the webhook. It is the yardstick for the real bot.
type Floor struct {
	rdb      goredis.UniversalClient
	endpoint string
	secret   string
	http     *http.Client
	sent     atomic.Int64
	failed   atomic.Int64
}

// NewFloor returns the floor handler; endpoint is the Bot API URL format (token, then method),
// secret the webhook secret token it expects.
func NewFloor(rdb goredis.UniversalClient, endpoint, secret string) *Floor {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = 64 // as the Telegram channel's client
	return &Floor{
		rdb: rdb, secret: secret, http: &http.Client{Transport: tr, Timeout: 15 * time.Second},
		endpoint: fmt.Sprintf(endpoint, Token, "sendMessage"),
	}
}

// floorUpdate is the part of an update the floor reads.
type floorUpdate struct {
	UpdateID int64 `json:"update_id"`
	Message  *struct {
		Chat struct {
			ID int64 `json:"id"`
		} `json:"chat"`
		Text string `json:"text"`
	} `json:"message"`
	CallbackQuery *struct {
		Message *struct {
			Chat struct {
				ID int64 `json:"id"`
			} `json:"chat"`
		} `json:"message"`
		Data string `json:"data"`
	} `json:"callback_query"`
}

// ServeHTTP handles one update.
func (f *Floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token")), []byte(f.secret)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	var u floorUpdate
	if err := json.Unmarshal(body, &u); err != nil {
		http.Error(w, "malformed update", http.StatusBadRequest)
		return
	}
	var chat int64
	var said string
	switch {
	case u.Message != nil:
		chat, said = u.Message.Chat.ID, u.Message.Text
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil:
		chat, said = u.CallbackQuery.Message.Chat.ID, u.CallbackQuery.Data
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	key := "loadgen:floor:" + strconv.FormatInt(chat, 10)
	prev, err := f.rdb.Get(ctx, key).Result()
	if err != nil && !errors.Is(err, goredis.Nil) {
		http.Error(w, "store unavailable", http.StatusInternalServerError)
		return
	}
	state := strconv.Itoa(len(prev)%1000) + ":" + said
	if err := f.rdb.Set(ctx, key, state, floorTTL).Err(); err != nil {
		http.Error(w, "store unavailable", http.StatusInternalServerError)
		return
	}
	if err := f.send(ctx, chat); err != nil {
		f.failed.Add(1)
	} else {
		f.sent.Add(1)
	}
	w.WriteHeader(http.StatusOK)
}

// send posts one sendMessage with the floor's keyboard.
func (f *Floor) send(ctx context.Context, chat int64) error {
	form := url.Values{
		"chat_id":      {strconv.FormatInt(chat, 10)},
		"text":         {"Floor"},
		"reply_markup": {floorKeyboard},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var ans struct {
		OK bool `json:"ok"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return err
	}
	if !ans.OK {
		return fmt.Errorf("sendMessage answered %d", resp.StatusCode)
	}
	return nil
}

// Drain reports the floor's sends; it sends nothing after the webhook answered, so there is
// nothing to wait for. It fits Target.Drain.
func (f *Floor) Drain(context.Context) (sent, undeliverable int64, err error) {
	return f.sent.Load(), f.failed.Load(), nil
}
