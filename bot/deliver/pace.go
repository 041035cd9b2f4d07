package deliver

import (
	"context"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Rate is a token bucket: PerSecond refill with room for Burst messages at once.
type Rate struct {
	PerSecond float64
	Burst     int
}

// ChainLimiter is a bot.Limiter that takes one token of several buckets in one call (bot/redis:
// one round trip instead of one per bucket). The pacer uses it for a message's chat and global
// buckets when the limiter has it.
type ChainLimiter interface {
	bot.Limiter
	// ReserveAll takes a token of every bucket, in order, each at the time the buckets before it
	// let the message go, and returns how long to wait before sending. Past the limiter's horizon
	// it takes no token and returns how far away the message's turn is: ask again after waiting.
	ReserveAll(ctx context.Context, buckets ...bot.Bucket) (time.Duration, error)
}

// Leaser is a bot.Limiter that hands out several tokens of one bucket in one call (bot/redis:
// one script for a whole block of messages). When the limiter is one, the pacer leases the
// channel's global tokens in blocks and keeps each chat's bucket in this process: a chat's
// turns go out one after the other across replicas already (Turns), so only the global bucket
// needs the shared store on every message, and a block of it costs one round trip.
type Leaser interface {
	bot.Limiter
	// Lease takes n tokens of b and returns when the first may go, from now (negative: that
	// long ago): token i (from 0) may go i intervals (1/b.PerSecond) after the first, and not
	// before now. Past the limiter's horizon it takes none (taken 0) and first is how far away
	// the tokens are: ask again after waiting.
	Lease(ctx context.Context, b bot.Bucket, n int) (first time.Duration, taken int, err error)
}

// pacer paces one channel's messages: a bucket per chat ("<prefix>:chat:<pseudonym>") and one
// for the whole channel ("<prefix>:global"), drawn from the shared limiter (bot/redis, so that
// replicas share the platform's limits) or, when it fails or none is set, from one in this
// process. With a Leaser the global tokens come in blocks (lease) and the chats' buckets are
// this process's.
type pacer struct {
	prefix       string
	chat, global Rate
	lim          bot.Limiter
	chain        ChainLimiter // lim, when it takes several buckets in one call
	leaser       Leaser       // lim, when it hands out blocks of tokens
	lease        lease        // the global tokens leased and not yet used (leaser)
	local        *localLimiter
	log          func(msg string, args ...any)

	errMu sync.Mutex
	errAt time.Time
}

func newPacer(prefix string, lim bot.Limiter, chat, global Rate, log func(string, ...any)) *pacer {
	p := &pacer{prefix: prefix, chat: chat, global: global, lim: lim, local: newLocalLimiter(nil), log: log}
	if p.lim == nil {
		p.lim = p.local
	}
	p.chain, _ = p.lim.(ChainLimiter)
	p.leaser, _ = p.lim.(Leaser)
	return p
}

// pace waits for a token of the chat's bucket and then of the global one. It reports false when
// ctx ends meanwhile.
func (p *pacer) pace(ctx context.Context, user string) bool {
	chat := bot.Bucket{Key: p.prefix + ":chat:" + user, PerSecond: p.chat.PerSecond, Burst: p.chat.Burst}
	global := bot.Bucket{Key: p.prefix + ":global", PerSecond: p.global.PerSecond, Burst: p.global.Burst}
	if p.leaser != nil {
		d, _ := p.local.Reserve(ctx, chat.Key, chat.PerSecond, chat.Burst)
		return Sleep(ctx, d) && p.leased(ctx, global)
	}
	if p.chain != nil {
		return p.wait(ctx, chat, global)
	}
	return p.wait(ctx, chat) && p.wait(ctx, global)
}

// farWait is the wait from which the pacer asks the limiter again after waiting.
const farWait = 50 * time.Second

// wait takes a token of every bucket (one call when the limiter takes them together) and sleeps
// until the message may go.
func (p *pacer) wait(ctx context.Context, buckets ...bot.Bucket) bool {
	for {
		d := p.reserve(ctx, buckets)
		if !Sleep(ctx, d) {
			return false
		}
		// A wait this long may come from a limiter that took no token (bot/redis past its
		// horizon, during a flood): ask again rather than send on its word.
		if d < farWait {
			return true
		}
	}
}

func (p *pacer) reserve(ctx context.Context, buckets []bot.Bucket) time.Duration {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	var d time.Duration
	var err error
	if len(buckets) > 1 {
		d, err = p.chain.ReserveAll(rctx, buckets...) // pace asks for several only of a chain
	} else {
		b := buckets[0]
		d, err = p.lim.Reserve(rctx, b.Key, b.PerSecond, b.Burst)
	}
	cancel()
	if err != nil {
		p.failed(err)
		d = 0
		for _, b := range buckets {
			w, _ := p.local.Reserve(ctx, b.Key, b.PerSecond, b.Burst)
			d = max(d, w)
		}
	}
	return d
}

// failed logs, once a minute at most, that the shared limiter is down: the pacer then paces
// within this process rather than not at all.
func (p *pacer) failed(err error) {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	if time.Since(p.errAt) > time.Minute {
		p.errAt = time.Now()
		p.log("rate limiter unavailable; pacing in this process only", "err", err)
	}
}

// localLimiter is the in-process token bucket the pacer falls back to when no bot.Limiter is
// configured or the shared one fails. It implements bot.Limiter.
type localLimiter struct {
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	rate   float64
	burst  float64
}

// maxLocalBuckets is the number of buckets from which the full ones are swept out.
const maxLocalBuckets = 4096

func newLocalLimiter(now func() time.Time) *localLimiter {
	if now == nil {
		now = time.Now
	}
	return &localLimiter{now: now, buckets: map[string]*bucket{}}
}

// Reserve implements bot.Limiter: tokens may go negative, and the debt is the wait.
func (l *localLimiter) Reserve(_ context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	if burst < 1 {
		burst = 1
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxLocalBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: float64(burst), last: now}
		l.buckets[key] = b
	}
	b.rate, b.burst = perSecond, float64(burst)
	b.refill(now)
	b.tokens--
	if b.tokens >= 0 {
		return 0, nil
	}
	return time.Duration(-b.tokens / perSecond * float64(time.Second)), nil
}

func (b *bucket) refill(now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens += el.Seconds() * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
}

// sweep forgets full buckets: they behave exactly like new ones.
func (l *localLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		b.refill(now)
		if b.tokens >= b.burst {
			delete(l.buckets, k)
		}
	}
}

// Sleep waits d or until ctx ends; it reports whether the whole wait passed. Channels use it
// for their own waits (polling back-off, webhook retries) so every wait stops on shutdown alike.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
