package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot/internal/jsonerr"

	"github.com/returnbot/returnbot/bot/deliver"
)

// ServeHTTP is the webhook: it checks the secret token (401), the size (413) and the JSON (400),
// then handles the update and answers 200. When the store fails for a user's message it answers
// 503 with Retry-After (RetryAfter), and Telegram delivers the update again until the store is
// back, for up to a day: the message is acted on then, once (the update id is recorded with the
// session), and the user is told of the outage once meanwhile. Anything else that goes wrong
// inside the bot still gets a 200: a redelivery could not help. While the channel starts or
// stops it answers 503 too.
func (c *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(SecretHeader)
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.cfg.WebhookSecret)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.ContentLength > MaxWebhookBody {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, release, err := readBody(w, r)
	defer release()
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	u, err := decode(body)
	if errors.Is(err, errSyntax) {
		c.malformed()
		// The length only: the body may hold a message.
		c.log.Warn("telegram: webhook body is not JSON", "bytes", len(body))
		http.Error(w, "malformed update", http.StatusBadRequest)
		return
	}
	if err != nil {
		// Valid JSON with fields of unexpected types: answering 400 would only bring it back.
		c.malformed()
		c.log.Warn("telegram: webhook update not readable; skipped", "err", jsonerr.Describe(err))
		w.WriteHeader(http.StatusOK)
		return
	}
	if !c.enter() {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	defer c.inflight.Done()
	// Finish the update even if Telegram hangs up: it was taken, and dedupe would drop a retry.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), c.cfg.HandleTimeout)
	defer cancel()
	id, retry := c.handle(ctx, body, u, true)
	if retry {
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
		http.Error(w, "store unavailable; deliver again", http.StatusServiceUnavailable)
		return
	}
	if id != "" {
		answerInResponse(w, id)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// answerInResponse answers a callback query in the webhook's response, which Telegram runs as a
// Bot API call ("making requests when getting updates"). Its result is not reported, which for
// a callback answer only means the spinner may spin on: nothing the user reads is sent this way.
func answerInResponse(w http.ResponseWriter, callbackID string) {
	body, _ := json.Marshal(struct {
		Method          string `json:"method"`
		CallbackQueryID string `json:"callback_query_id"`
	}{"answerCallbackQuery", callbackID})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// readBody reads the request body up to MaxWebhookBody, into a pooled buffer when the length is
// given (Telegram gives it; net/http holds the body to it). Larger bodies were refused before.
// release hands the buffer back: nothing may hold on to the body after it (decode copies what
// it keeps).
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), err error) {
	rd := http.MaxBytesReader(w, r.Body, MaxWebhookBody)
	if r.ContentLength <= 0 {
		body, err = io.ReadAll(rd)
		return body, func() {}, err
	}
	p := bodies.Get().(*[]byte)
	if int64(cap(*p)) < r.ContentLength {
		*p = make([]byte, r.ContentLength)
	}
	buf := (*p)[:r.ContentLength]
	if _, err := io.ReadFull(rd, buf); err != nil {
		bodies.Put(p)
		return nil, func() {}, err
	}
	return buf, func() {
		if cap(*p) <= 64<<10 { // an odd large body is not kept for good
			bodies.Put(p)
		}
	}, nil
}

// bodies are webhook body buffers, reused across requests.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// enter registers a webhook request as in flight; false while not ready or stopping.
func (c *Adapter) enter() bool {
	select {
	case <-c.ready:
	default:
		return false
	}
	c.intake.RLock()
	defer c.intake.RUnlock()
	if c.stopping {
		return false
	}
	c.inflight.Add(1)
	return true
}

// stopIntake refuses new updates and waits up to bound for those in flight.
func (c *Adapter) stopIntake(bound time.Duration) {
	c.intake.Lock()
	c.stopping = true
	c.intake.Unlock()
	done := make(chan struct{})
	go func() { c.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(bound):
		c.log.Warn("telegram: updates still in flight at shutdown")
	}
}

// runWebhook sets the webhook, then waits for ctx and stops the intake.
func (c *Adapter) runWebhook(ctx context.Context, a *api) error {
	p := tgbotapi.Params{
		"url":             c.cfg.WebhookURL,
		"secret_token":    c.cfg.WebhookSecret,
		"max_connections": "40",
	}
	if err := p.AddInterface("allowed_updates", AllowedUpdates); err != nil {
		return err
	}
	// Take updates from now on: after a restart Telegram has the webhook already and delivers
	// while setWebhook is on its way.
	close(c.ready)
	if err := c.callRetry(ctx, "setWebhook", p); err != nil {
		c.stopIntake(c.cfg.DrainTimeout)
		return err
	}
	c.log.Info("telegram: webhook set", "path", c.hookPath)
	<-ctx.Done()
	c.stopIntake(c.cfg.DrainTimeout)
	return nil
}

// callRetry makes a setup call until it succeeds, Telegram refuses it (an error: retrying
// cannot help) or ctx ends (nil: we are stopping anyway).
func (c *Adapter) callRetry(ctx context.Context, method string, p tgbotapi.Params) error {
	wait := c.cfg.Backoff
	for {
		cctx, cancel := context.WithTimeout(ctx, c.cfg.SendTimeout)
		_, err := c.api.Load().raw(cctx, method, p)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		out, ra := classify(ctx, err)
		switch out {
		case permanent, blocked:
			return errors.New("telegram: " + method + " refused: " + strconv.Itoa(errCode(err)) + " " + err.Error())
		case throttled:
			wait = ra
		}
		c.log.Warn("telegram: "+method+" failed; retrying", "err", err, "in", wait)
		if !deliver.Sleep(ctx, wait) {
			return nil
		}
		wait = min(wait*2, c.cfg.MaxBackoff)
	}
}
