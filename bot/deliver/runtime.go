package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot/handoff"
)

// Outcome is what became of one try, or of an item.
type Outcome uint8

const (
	// Sent: the platform took the message.
	Sent Outcome = iota
	// Retry: a transient failure (5xx, network, timeout, 429); try again later.
	Retry
	// Drop: the platform refused the message for good (400 bad request): drop it.
	Drop
	// Blocked: the user blocked the bot (Telegram's 403): drop it.
	Blocked
	// Expired: the item waited longer than Policy.MaxAge (only given to Channel.Done).
	Expired
	// Unreadable: the item could not be opened (another secret) (only given to Channel.Done).
	Unreadable
)

// String names the outcome for logs.
func (o Outcome) String() string {
	return [...]string{"sent", "retry", "refused", "blocked", "expired", "unreadable"}[o]
}

// Result is the outcome of one try. After is the platform's retry-after (0: none).
type Result struct {
	Outcome Outcome
	After   time.Duration
	Err     error
}

// Channel sends parked items of one platform.
type Channel interface {
	// Send makes one try of body (as the channel parked it) for user.
	Send(ctx context.Context, user string, body []byte) Result
	// Done is told when an item leaves the queue, sent or dropped (Drop, Blocked, Expired,
	// Unreadable), to count it, log drops (without content) and move its own state on.
	Done(user string, body []byte, o Outcome, err error)
}

// Policy is how long and how often parked items are tried. Zero fields take the defaults.
type Policy struct {
	// First is the wait after the first parked try fails, doubling up to Max (1s, 5min).
	First, Max time.Duration
	// MaxRetryAfter caps the platform's retry-after (5min).
	MaxRetryAfter time.Duration
	// MaxAge is how long after it was parked an item is given up on (24h).
	MaxAge time.Duration
	// Poll is how often an idle runtime looks for due users (1s).
	Poll time.Duration
	// Lease is how long a claimed user stays with one replica without news (2min); it must
	// be well above one send's timeout and pacing.
	Lease time.Duration
	// Workers bounds the users sent to at once (16).
	Workers int
	// Probe is how often, while users wait on a backoff longer than that, the one due soonest
	// is tried early (15s): when it goes through, all are tried (Hasten), so replies trail a
	// platform's recovery by about Probe rather than by up to Max.
	Probe time.Duration
}

func (p *Policy) defaults() {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&p.First, time.Second)
	set(&p.Max, 5*time.Minute)
	set(&p.MaxRetryAfter, 5*time.Minute)
	set(&p.MaxAge, 24*time.Hour)
	set(&p.Poll, time.Second)
	set(&p.Lease, 2*time.Minute)
	set(&p.Probe, 15*time.Second)
	if p.Workers <= 0 {
		p.Workers = 16
	}
}

// Runtime delivers one channel's parked items. Park may be called before Run and after it ends
// (the items wait in the queue for the next run, here or on another replica).
type Runtime struct {
	q     Queue
	ch    Channel
	seal  *handoff.Sealer
	p     Policy
	log   *slog.Logger
	kick  chan struct{}
	errMu sync.Mutex
	errAt time.Time

	// waiting holds the users this runtime left on a backoff, with the time they are due, so
	// that Hasten can bring them forward once the platform answers again.
	waitMu   sync.Mutex
	waiting  map[string]time.Time
	hastened time.Time
	probed   time.Time
}

// item is what is sealed into the queue.
type sealedItem struct {
	Body     []byte    `json:"b"`
	Since    time.Time `json:"s"`
	Attempts int       `json:"a"`
	// NotBefore is when the platform said to try again (retry-after), for an item parked on it.
	NotBefore time.Time `json:"n,omitzero"`
}

// New returns a runtime over q for ch; secret keys the sealing. log gets pseudonyms and counts
// only.
func New(q Queue, ch Channel, secret []byte, p Policy, log *slog.Logger) (*Runtime, error) {
	if q == nil || ch == nil {
		return nil, errors.New("deliver: no queue or channel")
	}
	s, err := handoff.NewSealer(secret)
	if err != nil {
		return nil, err
	}
	p.defaults()
	if log == nil {
		log = slog.Default()
	}
	return &Runtime{q: q, ch: ch, seal: s, p: p, log: log, kick: make(chan struct{}, 1), waiting: map[string]time.Time{}}, nil
}

// Durable reports whether parked items outlive the process.
func (r *Runtime) Durable() bool {
	d, ok := r.q.(Durable)
	return ok && d.Durable()
}

// Policy is the runtime's policy with defaults filled in.
func (r *Runtime) Policy() Policy { return r.p }

// aad binds a sealed item to its user and keeps it apart from other sealed data (routes).
func aad(user string) string { return "deliver:" + user }

// Park appends body to user's queue, to be sent after what waits there already. since is when
// the first try failed and attempts how many were made, so the backoff and MaxAge go on from
// there.
func (r *Runtime) Park(ctx context.Context, user string, body []byte, since time.Time, attempts int) error {
	return r.ParkAfter(ctx, user, body, since, attempts, 0)
}

// ParkAfter is Park for a message the platform asked to wait after with (a retry-after): it is
// not tried before that wait, capped at Policy.MaxRetryAfter, is over.
func (r *Runtime) ParkAfter(ctx context.Context, user string, body []byte, since time.Time, attempts int, after time.Duration) error {
	it := sealedItem{Body: body, Since: since, Attempts: attempts}
	if after > 0 {
		it.NotBefore = time.Now().Add(min(after, r.p.MaxRetryAfter))
	}
	raw, err := json.Marshal(it)
	if err != nil {
		return err
	}
	if err := r.q.Push(ctx, user, r.seal.Seal(aad(user), raw), r.p.MaxAge+time.Hour); err != nil {
		return err
	}
	select {
	case r.kick <- struct{}{}:
	default:
	}
	return nil
}

// Pending reports whether items wait for user (one being sent included): a reply for user must
// then be parked behind them, not sent.
func (r *Runtime) Pending(ctx context.Context, user string) (bool, error) {
	n, err := r.q.Len(ctx, user)
	return n > 0, err
}

// Run delivers due users' items until ctx ends, then waits for the sends in flight (a send cut
// off by ctx is kept, due at once for the next run).
func (r *Runtime) Run(ctx context.Context) {
	sem := make(chan struct{}, r.p.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		user, err := r.q.Claim(ctx, time.Now(), r.p.Lease)
		if err != nil && ctx.Err() == nil {
			r.warn("deliver: queue unavailable; parked replies wait", err)
		}
		if err != nil || user == "" {
			<-sem
			r.probe()
			t := time.NewTimer(r.p.Poll)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-r.kick:
				t.Stop()
			case <-t.C:
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.work(ctx, user)
		}()
	}
}

// warn logs a queue error at most once a minute.
func (r *Runtime) warn(msg string, err error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if time.Since(r.errAt) > time.Minute {
		r.errAt = time.Now()
		r.log.Warn(msg, "err", err)
	}
}

// work sends a claimed user's items, oldest first, until the queue is empty or a try fails.
func (r *Runtime) work(ctx context.Context, user string) {
	// Queue writes outlive ctx: a send cut off by shutdown must still be put back.
	qctx := context.WithoutCancel(ctx)
	op := func() (context.Context, context.CancelFunc) { return context.WithTimeout(qctx, 5*time.Second) }
	for {
		c, cancel := op()
		head, err := r.q.Head(c, user)
		cancel()
		if err != nil {
			r.warn("deliver: queue unavailable; parked replies wait", err)
			return // the lease runs out and the user is due again
		}
		if head == nil {
			c, cancel := op()
			if err := r.q.Release(c, user); err != nil {
				r.warn("deliver: queue unavailable; parked replies wait", err)
			}
			cancel()
			return
		}
		raw, err := r.seal.Open(aad(user), head)
		var it sealedItem
		if err == nil {
			err = json.Unmarshal(raw, &it)
		}
		if err != nil {
			r.ch.Done(user, nil, Unreadable, err)
			if !r.pop(op, user, head) {
				return
			}
			continue
		}
		if time.Since(it.Since) > r.p.MaxAge {
			r.ch.Done(user, it.Body, Expired, nil)
			if !r.pop(op, user, head) {
				return
			}
			continue
		}
		if ctx.Err() != nil {
			r.schedule(op, user, time.Now()) // stopping: leave it due for whoever runs next
			return
		}
		if time.Until(it.NotBefore) > 0 {
			r.schedule(op, user, it.NotBefore) // the platform asked to wait
			return
		}
		r.schedule(op, user, time.Now().Add(r.p.Lease)) // renew the lease for this send
		res := r.ch.Send(ctx, user, it.Body)
		if res.Outcome == Sent {
			r.Hasten()
		}
		if res.Outcome != Retry {
			r.ch.Done(user, it.Body, res.Outcome, res.Err)
			if !r.pop(op, user, head) {
				return
			}
			continue
		}
		it.Attempts++
		wait := r.backoff(it.Attempts)
		if res.After > 0 {
			wait = min(res.After, r.p.MaxRetryAfter)
		}
		if ctx.Err() != nil {
			wait = 0 // cut off by shutdown, not a failure of the platform
		}
		next, _ := json.Marshal(it)
		c, cancel = op()
		err = r.q.Replace(c, user, head, r.seal.Seal(aad(user), next))
		cancel()
		if err != nil {
			r.warn("deliver: queue unavailable; parked replies wait", err)
		}
		at := time.Now().Add(wait)
		r.schedule(op, user, at)
		if res.After <= 0 && wait > 0 {
			r.waitMu.Lock()
			r.waiting[user] = at
			r.waitMu.Unlock()
		}
		return
	}
}

// probe brings the waiting user due soonest forward, at most once per Policy.Probe, when their
// backoff has longer than that to run.
func (r *Runtime) probe() {
	now := time.Now()
	r.waitMu.Lock()
	if now.Sub(r.probed) < r.p.Probe {
		r.waitMu.Unlock()
		return
	}
	r.probed = now
	user, at := "", time.Time{}
	for u, t := range r.waiting {
		if user == "" || t.Before(at) {
			user, at = u, t
		}
	}
	if user == "" || at.Sub(now) <= r.p.Probe {
		r.waitMu.Unlock()
		return
	}
	delete(r.waiting, user) // a failed try puts the user back with the next backoff
	r.waitMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.q.Hasten(ctx, user, at, now); err != nil {
		r.warn("deliver: queue unavailable; parked replies wait", err)
	}
}

// Hasten tells the runtime that the platform answers again (a send just went through): users
// it left waiting on a backoff are tried now rather than when the backoff runs out, which after
// a long outage can be minutes. A user claimed since (by any replica) is left alone; one told
// to wait by the platform (retry-after) is not in the list. It acts at most once a second and
// costs nothing while nobody waits.
func (r *Runtime) Hasten() {
	r.waitMu.Lock()
	if len(r.waiting) == 0 || time.Since(r.hastened) < time.Second {
		r.waitMu.Unlock()
		return
	}
	r.hastened = time.Now()
	users := r.waiting
	r.waiting = map[string]time.Time{}
	r.waitMu.Unlock()
	go func() {
		now := time.Now()
		for user, at := range users {
			if !at.After(now) {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := r.q.Hasten(ctx, user, at, now)
			cancel()
			if err != nil {
				r.warn("deliver: queue unavailable; parked replies wait", err)
				return
			}
		}
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}()
}

func (r *Runtime) pop(op func() (context.Context, context.CancelFunc), user string, head []byte) bool {
	c, cancel := op()
	defer cancel()
	if _, err := r.q.Pop(c, user, head); err != nil {
		r.warn("deliver: queue unavailable; parked replies wait", err)
		return false
	}
	return true
}

func (r *Runtime) schedule(op func() (context.Context, context.CancelFunc), user string, at time.Time) {
	c, cancel := op()
	defer cancel()
	if err := r.q.Schedule(c, user, at); err != nil {
		r.warn("deliver: queue unavailable; parked replies wait", err)
	}
}

// backoff is the wait after try n of a parked item: doubling from First, capped at Max, with
// jitter so that replicas and users do not retry in step.
func (r *Runtime) backoff(n int) time.Duration {
	d := r.p.First
	for i := 1; i < n && d < r.p.Max; i++ {
		d *= 2
	}
	d = min(d, r.p.Max)
	return d/2 + rand.N(d/2+1)
}
