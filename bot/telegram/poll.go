package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot/internal/jsonerr"

	"github.com/returnbot/returnbot/bot/deliver"
)

// runPolling receives updates with getUpdates until ctx ends.
//
// Offsets: Telegram keeps every update until getUpdates is called with an offset above its
// update_id. The poller asks for offset = last handled + 1 only after the whole previous batch
// was handled (the bot has run and the replies are queued), so an update is never confirmed
// unhandled; on stop it confirms the last batch with one more short call. An update handled but
// not confirmed (a crash between the two) comes back after a restart and is dropped by the
// update_id dedupe in the store. When the store fails for an update, the offset stops at it and
// the poller asks again after a pause (up to MaxStoreBackoff), until the store takes it.
func (c *Adapter) runPolling(ctx context.Context, a *api) error {
	// getUpdates answers 409 while a webhook is set.
	if err := c.callRetry(ctx, "deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"}); err != nil {
		return err
	}
	close(c.ready)
	c.log.Info("telegram: long polling")
	allowed, _ := json.Marshal(AllowedUpdates)
	var offset int64
	wait := c.cfg.Backoff
	var storeWait time.Duration
	for ctx.Err() == nil {
		p := tgbotapi.Params{
			"timeout":         strconv.Itoa(int(c.cfg.PollTimeout.Seconds())),
			"limit":           "100",
			"allowed_updates": string(allowed),
		}
		if offset > 0 {
			p["offset"] = strconv.FormatInt(offset, 10)
		}
		pctx, cancel := context.WithTimeout(ctx, c.cfg.PollTimeout+c.cfg.SendTimeout)
		resp, err := a.raw(pctx, "getUpdates", p)
		cancel()
		if err == nil {
			var raws []json.RawMessage
			if err = json.Unmarshal(resp.Result, &raws); err == nil {
				wait = c.cfg.Backoff
				last, ok, failed := c.handleBatch(raws)
				if failed >= 0 {
					// The store failed for an update: confirm only what is before it and ask
					// for it again (with those after it, which dedupe drops) after a pause.
					offset = max(offset, failed)
					storeWait = min(max(storeWait*2, c.cfg.Backoff), MaxStoreBackoff)
					c.log.Debug("telegram: store unavailable; asking for the updates again", "in", storeWait)
					if !deliver.Sleep(ctx, storeWait) {
						break
					}
					continue
				}
				storeWait = 0
				if ok && last >= offset {
					offset = last + 1
				}
				continue
			}
		}
		if ctx.Err() != nil {
			break
		}
		switch code := errCode(err); {
		case code == 401 || code == 404:
			return errors.New("telegram: the Bot API rejected the token (getUpdates: " + strconv.Itoa(code) + "); check TELEGRAM_TOKEN")
		case code == 409:
			c.log.Warn("telegram: getUpdates conflict: another process polls with this token, or a webhook is set", "err", err)
		default:
			if out, ra := classify(ctx, err); out == throttled {
				wait = ra
			}
			c.log.Warn("telegram: getUpdates failed; retrying", "err", err, "in", wait)
		}
		if !deliver.Sleep(ctx, wait) {
			break
		}
		wait = min(wait*2, c.cfg.MaxBackoff)
	}
	if offset > 0 {
		// Confirm the last batch so that a restart does not get it again.
		// Short: this is spent from the stop budget, and dedupe covers a failure.
		cctx, cancel := context.WithTimeout(context.Background(), min(c.cfg.SendTimeout, 2*time.Second))
		defer cancel()
		_, err := a.raw(cctx, "getUpdates", tgbotapi.Params{"offset": strconv.FormatInt(offset, 10), "limit": "1", "timeout": "0"})
		if err != nil {
			c.log.Warn("telegram: could not confirm the last updates; dedupe will drop them after a restart", "err", err)
		}
	}
	return nil
}

// handleBatch handles one getUpdates batch: the updates of one chat in order, different chats in
// parallel (up to PollConcurrency). It returns the highest update_id in the batch, and the lowest
// of the updates the store failed for (-1: none). A chat's updates after one that failed are not
// handled: they come again with it, in order.
func (c *Adapter) handleBatch(raws []json.RawMessage) (last int64, ok bool, failed int64) {
	type entry struct {
		raw []byte
		u   *update
	}
	last, failed = -1, -1
	var (
		order []int64
		solo  int64
		mu    sync.Mutex
	)
	groups := map[int64][]entry{}
	for _, raw := range raws {
		var id struct {
			UpdateID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &id); err != nil {
			// Without an update_id the offset cannot move past it; the batch's others can.
			c.malformed()
			c.log.Warn("telegram: polled update without a readable update_id; skipped")
			continue
		}
		last = max(last, id.UpdateID)
		u, err := decode(raw)
		if err != nil {
			c.malformed()
			c.log.Warn("telegram: polled update not readable; skipped", "update_id", id.UpdateID, "err", jsonerr.Describe(err))
			continue
		}
		key := chatOf(u)
		if key == 0 {
			// No chat: a group of its own. Negative keys are chats too, so count down from
			// below any real id.
			solo++
			key = minChat - solo
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], entry{raw, u})
	}
	sem := make(chan struct{}, c.cfg.PollConcurrency)
	var wg sync.WaitGroup
	for _, key := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func(es []entry) {
			defer func() { <-sem; wg.Done() }()
			for _, e := range es {
				ctx, cancel := context.WithTimeout(context.Background(), c.cfg.HandleTimeout)
				_, retry := c.handle(ctx, e.raw, e.u, false)
				cancel()
				if retry {
					mu.Lock()
					if failed < 0 || e.u.UpdateID < failed {
						failed = e.u.UpdateID
					}
					mu.Unlock()
					return
				}
			}
		}(groups[key])
	}
	wg.Wait()
	return last, last >= 0, failed
}

// minChat is below every chat id Telegram hands out (they fit in 52 bits).
const minChat = -1 << 60

// chatOf is the chat an update belongs to, 0 when none.
func chatOf(u *update) int64 {
	for _, m := range []*message{u.Message, u.EditedMessage, u.ChannelPost, u.EditedChannelPost} {
		if m != nil {
			return m.Chat.ID
		}
	}
	if q := u.CallbackQuery; q != nil {
		if q.Message != nil {
			return q.Message.Chat.ID
		}
		return 0
	}
	if m := u.MyChatMember; m != nil {
		return m.Chat.ID
	}
	return 0
}
