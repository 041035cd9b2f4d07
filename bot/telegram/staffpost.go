package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"

	"github.com/returnbot/returnbot/bot/deliver"
)

// staffPoster delivers the staff chat's posts (bot/handoff's cards, relayed user messages and
// answers to staff commands), paced and retried like the users' messages but apart from their
// queues, for two reasons:
//   - a staff reply reaches a user only when it replies to a message posted about that user's
//     ticket, matched by message id: the poster reads each message's id from Telegram's answer
//     and hands it to the post's Posted;
//   - posts about different tickets take turns (one lane per ticket, answers to staff in a lane
//     of their own), so a user who writes fifty messages to a counsellor holds up another
//     user's card by at most one post, not fifty.
type staffPoster struct {
	c      *Adapter
	ctx    context.Context // ends when the drain bound is over
	cancel context.CancelFunc

	mu     sync.Mutex
	lanes  map[string][]bot.StaffPost // by ticket code; "" for answers to staff
	turns  []string                   // lanes with posts waiting, in turn order
	closed bool
	wake   chan struct{}
	done   chan struct{}
	api    *api
	// cards holds the message id of each ticket's card this process posted, for the media
	// about the ticket to reply to; only the run goroutine uses it.
	cards cardIDs
}

func newStaffPoster(c *Adapter) *staffPoster {
	p := &staffPoster{c: c, lanes: map[string][]bot.StaffPost{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

// start delivers through a, from now on.
func (p *staffPoster) start(a *api) {
	p.mu.Lock()
	p.api = a
	p.mu.Unlock()
	go p.run()
}

// post queues a post in its ticket's lane.
func (p *staffPoster) post(sp bot.StaffPost) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.c.stats.undeliverable.Add(1)
		p.c.cfg.Metrics.Reply(Channel, "failed")
		p.c.log.Warn("telegram: staff post undeliverable", "reason", "stopped")
		return
	}
	if len(p.lanes[sp.Ticket]) == 0 {
		p.turns = append(p.turns, sp.Ticket)
	}
	p.lanes[sp.Ticket] = append(p.lanes[sp.Ticket], sp)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// next takes the first post of the lane whose turn it is; the lane goes to the back of the
// turns if it has more. ok is false when nothing waits.
func (p *staffPoster) next() (sp bot.StaffPost, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.turns) == 0 {
		return sp, false
	}
	lane := p.turns[0]
	p.turns = p.turns[1:]
	q := p.lanes[lane]
	sp, q[0] = q[0], bot.StaffPost{}
	if q = q[1:]; len(q) > 0 {
		p.lanes[lane] = q
		p.turns = append(p.turns, lane)
	} else {
		delete(p.lanes, lane)
	}
	return sp, true
}

// run delivers posts one at a time until drain closes the poster and the lanes are empty.
func (p *staffPoster) run() {
	defer close(p.done)
	for {
		sp, ok := p.next()
		if !ok {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-p.wake:
			case <-p.ctx.Done():
			}
			continue
		}
		if sp.Medium != nil {
			p.deliverMedium(sp)
			continue
		}
		for _, m := range render(p.c.cfg.StaffChatID, []bot.Reply{{Text: sp.Text, Buttons: sp.Buttons}}) {
			id, ok := p.deliver(m)
			if ok && sp.Card && sp.Ticket != "" {
				p.cards.keep(sp.Ticket, id)
			}
			p.posted(sp, id, ok)
		}
	}
}

// posted hands a delivered message's reference to the post's Posted.
func (p *staffPoster) posted(sp bot.StaffPost, id int64, ok bool) {
	if ok && sp.Posted != nil && id != 0 {
		sp.Posted(strconv.FormatInt(p.c.cfg.StaffChatID, 10) + ":" + strconv.FormatInt(id, 10))
	}
}

// staffPostMaxAge is how long a staff post is retried while the Bot API fails (5xx, network
// errors, 429) before it is given up on. Staff posts stay in memory (each carries the link to
// its ticket, which a restart could not restore); the poster works through them in order, so an
// outage holds them all and they follow each other once it is over.
const staffPostMaxAge = 24 * time.Hour

// deliver sends one message, paced like the users', retried with backoff for up to
// staffPostMaxAge, and returns its message id. Only a refusal (4xx, and 403: the bot is no
// longer in the staff group) or the stop drops it.
func (p *staffPoster) deliver(m tgbotapi.Chattable) (int64, bool) {
	return p.deliverCall(func(ctx context.Context) (*tgbotapi.APIResponse, error) { return p.api.requestResult(ctx, m) })
}

// deliverCall is deliver for any call that answers with a message.
func (p *staffPoster) deliverCall(call func(context.Context) (*tgbotapi.APIResponse, error)) (int64, bool) {
	id, err := p.c.retried(p.ctx, staffQueue, staffPostMaxAge, call)
	if err != nil {
		p.lost(reasonOf(p.ctx, err), err)
		return 0, false
	}
	return id, true
}

// retried makes a Bot API call that answers with a message, paced by the bucket key, retried
// with backoff on network errors, 5xx and 429 for up to maxAge; it returns the message's id. A
// refusal (4xx), a medium over its limit, or ctx's end stop it.
func (c *Adapter) retried(ctx context.Context, key string, maxAge time.Duration, call func(context.Context) (*tgbotapi.APIResponse, error)) (int64, error) {
	attempts := 0
	first := time.Now()
	for {
		if ctx.Err() != nil || !c.send.Pace(key) {
			return 0, errStopped
		}
		cctx, cancel := context.WithTimeout(ctx, c.cfg.SendTimeout)
		resp, err := call(cctx)
		cancel()
		if err == nil {
			c.stats.sent.Add(1)
			c.cfg.Metrics.Reply(Channel, "sent")
			var msg struct {
				MessageID int64 `json:"message_id"`
			}
			if resp != nil {
				_ = json.Unmarshal(resp.Result, &msg)
			}
			return msg.MessageID, nil
		}
		var ur *unreadable
		if errors.Is(err, bot.ErrMediumTooLarge) || errors.As(err, &ur) {
			return 0, err
		}
		out, wait := classify(ctx, err)
		if (out == throttled || out == retry) && time.Since(first) > maxAge {
			return 0, &unreachable{err}
		}
		switch out {
		case throttled:
			c.cfg.Metrics.Reply(Channel, "throttled")
		case retry:
			attempts++
			wait = c.send.Backoff(min(attempts, 16))
		default: // refused, or the bot is no longer in the chat (403), or stopping
			return 0, err
		}
		c.stats.retries.Add(1)
		if !deliver.Sleep(ctx, wait) {
			return 0, errStopped
		}
	}
}

// errStopped ends a call given up on because the channel stops.
var errStopped = errors.New("telegram: stopped")

// unreachable is a call given up on after its retries.
type unreachable struct{ err error }

func (u *unreachable) Error() string { return u.err.Error() }
func (u *unreachable) Unwrap() error { return u.err }

// reasonOf names why a call was given up on, for the log.
func reasonOf(ctx context.Context, err error) string {
	var u *unreachable
	switch {
	case errors.Is(err, errStopped) || ctx.Err() != nil:
		return "stopped"
	case errors.As(err, &u):
		return "unreachable"
	case errors.Is(err, bot.ErrMediumTooLarge):
		return "too_large"
	}
	var ur *unreadable
	if errors.As(err, &ur) {
		return "unreadable"
	}
	return "refused"
}

// lost counts and logs a staff post given up on (without its text: it may quote a user).
func (p *staffPoster) lost(reason string, err error) {
	p.c.stats.undeliverable.Add(1)
	p.c.cfg.Metrics.Reply(Channel, "failed")
	p.c.log.Warn("telegram: staff post undeliverable", "reason", reason, "code", errCode(err), "err", err)
}

// drain stops taking posts and waits up to bound for the waiting ones to go out; what is left
// then is counted as undeliverable.
func (p *staffPoster) drain(bound time.Duration) {
	p.mu.Lock()
	p.closed = true
	started := p.api != nil
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	if !started {
		p.cancel()
		for {
			if _, ok := p.next(); !ok {
				return
			}
			p.lost("stopped", nil)
		}
	}
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.cancel()
		<-p.done
	}
	p.cancel()
}
