package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Config is the shape of the load.
type Config struct {
	// Users is the number of synthetic users, each in its own chat (default 500).
	Users int
	// Rate is updates per second in open loop; 0 runs closed loop: every user sends its next
	// update as soon as it may, for the most the target can take.
	Rate float64
	// Duration is the measured time (default 10s).
	Duration time.Duration
	// Warmup runs before the measured time and is left out of throughput and latency.
	Warmup time.Duration
	// Conns bounds concurrent webhook requests, as Telegram's max_connections does (default 40,
	// what the bot asks for in setWebhook).
	Conns int
	// ReplyWait bounds how long a user waits for the bot's reply (a message with buttons)
	// before it acts again (default 1s). The wait is not part of the webhook latency.
	ReplyWait time.Duration
	// Seed makes the users' choices repeatable (0: random).
	Seed uint64
	// Redis, when set, is asked for INFO commandstats and INFO cpu before and after the run.
	Redis goredis.UniversalClient
}

func (c *Config) defaults() {
	if c.Users <= 0 {
		c.Users = 500
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Conns <= 0 {
		c.Conns = 40
	}
	if c.ReplyWait <= 0 {
		c.ReplyWait = time.Second
	}
	if c.Seed == 0 {
		c.Seed = rand.Uint64()
	}
}

// Target is a webhook to drive.
type Target struct {
	// Name labels the target's row ("returnbot", "floor").
	Name string
	// URL and Secret are the webhook and its secret token (X-Telegram-Bot-Api-Secret-Token).
	URL, Secret string
	// Drain, called once the load has ended, lets the target finish sending and returns how
	// many Bot API calls it made successfully and how many it gave up on. nil: not checked.
	Drain func(ctx context.Context) (sent, undeliverable int64, err error)
	// Calls, when set, counts the requests the target's Redis clients sent (see CountCalls).
	Calls func() int64
}

// Run drives t with the load cfg describes, replies going to api, and returns the measurements.
// It returns an error only when it cannot run at all; failed updates are counted in the result.
func Run(ctx context.Context, cfg Config, api *FakeAPI, t Target) (*Result, error) {
	cfg.defaults()
	if cfg.Rate < 0 {
		return nil, errors.New("loadgen: negative rate")
	}
	before, err := snapshot(ctx, cfg.Redis)
	if err != nil {
		return nil, err
	}
	apiBefore := api.Counts()
	var callsBefore int64
	if t.Calls != nil {
		callsBefore = t.Calls()
	}
	cpuBefore := processCPU()

	tr := &http.Transport{
		Proxy:               nil, // loopback only, whatever HTTP_PROXY says
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        cfg.Conns,
		MaxIdleConnsPerHost: cfg.Conns,
		MaxConnsPerHost:     cfg.Conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	// Chat ids differ per run so that sessions and dedupe keys of earlier runs against the same
	// Redis do not shape this one; update ids increase across runs as Telegram's do.
	base := 1_000_000_000 + rand.Int64N(5_000_000_000)
	var updateIDs atomic.Int64
	updateIDs.Store(time.Now().UnixMicro())
	users := make([]*user, cfg.Users)
	for i := range users {
		users[i] = newUser(base+int64(i), i, api, cfg.Seed, &updateIDs)
	}

	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	var slots chan time.Time
	var missed atomic.Int64
	if cfg.Rate > 0 {
		slots = make(chan time.Time, 1<<16)
		go dispatch(ctx, slots, start, end, cfg.Rate, &missed)
	}

	stats := make([]userStats, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := driver{u: u, st: &stats[i], client: client, t: t, api: api, replyWait: cfg.ReplyWait, from: measureFrom, end: end}
			if slots == nil {
				d.closedLoop(ctx)
			} else {
				d.openLoop(ctx, slots, &missed)
			}
		}()
	}
	wg.Wait()
	loadEnd := time.Now()

	res := &Result{Name: t.Name, Users: cfg.Users, Rate: cfg.Rate, Seconds: cfg.Duration.Seconds()}
	res.collect(stats)
	res.Missed = missed.Load()
	res.UpdatesPerSec = float64(res.Updates) / cfg.Duration.Seconds()

	if t.Drain != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		sent, undeliverable, err := t.Drain(dctx)
		cancel()
		if err != nil {
			res.Problems = append(res.Problems, "drain: "+err.Error())
		}
		res.Delivery = &Delivery{Sent: sent, Undeliverable: undeliverable}
	}
	res.API = api.Counts().sub(apiBefore)
	if d := res.Delivery; d != nil {
		// What the bot sent itself: calls in webhook responses are Telegram's doing.
		d.Received = res.API.Messages + res.API.Callbacks - res.API.InResponse
		d.Mismatch = d.Received - d.Sent
	}
	res.wall, res.cpu = loadEnd.Sub(start), processCPU()-cpuBefore
	res.RepliesPerSec = float64(res.API.Messages) / res.wall.Seconds()
	res.CPUPerUpdate = perUpdate(res.cpu, res.AllUpdates)
	if cfg.Redis != nil {
		after, err := snapshot(ctx, cfg.Redis)
		if err != nil {
			return nil, err
		}
		res.Redis = after.since(before, res.AllUpdates)
		if t.Calls != nil {
			res.Redis.Calls = t.Calls() - callsBefore
			res.Redis.perUpdate(res.AllUpdates)
		}
	}
	return res, nil
}

// dispatch hands out send times at rate from start until end; a time no user was free to take
// before end is counted as missed.
func dispatch(ctx context.Context, slots chan<- time.Time, start, end time.Time, rate float64, missed *atomic.Int64) {
	defer close(slots)
	interval := time.Duration(float64(time.Second) / rate)
	next := start
	for next.Before(end) {
		if d := time.Until(next); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return
			}
		}
		// Hand out every slot that is due now: sleeping per slot would not keep up at 1,000/s.
		now := time.Now()
		for ; !next.After(now) && next.Before(end); next = next.Add(interval) {
			select {
			case slots <- next:
			default:
				missed.Add(1) // every user is busy and the backlog is full
			}
		}
	}
}

// lateGrace is how long after the end an update that was due before it may still be sent (its
// latency counting from when it was due); later, it is counted as missed. It keeps the run bounded
// when the target cannot keep up, without counting the last moment's updates as missed.
const lateGrace = time.Second

// driver runs one user.
type driver struct {
	u         *user
	st        *userStats
	client    *http.Client
	t         Target
	api       *FakeAPI // runs a method the webhook answers with, as Telegram
	replyWait time.Duration
	from, end time.Time
}

// userStats is what one user measured; merged after the run, so no locks while it runs.
type userStats struct {
	latencies []time.Duration // webhook round trips in the measured window
	replies   []time.Duration // from sending to the reply's keyboard, in the window
	all       int64           // updates sent, warm-up included
	errors    int64
	noReply   int64
	lastErr   string
}

func (d *driver) closedLoop(ctx context.Context) {
	for ctx.Err() == nil {
		now := time.Now()
		if !now.Before(d.end) {
			return
		}
		d.one(ctx, now, now)
	}
}

func (d *driver) openLoop(ctx context.Context, slots <-chan time.Time, missed *atomic.Int64) {
	for at := range slots {
		if ctx.Err() != nil {
			return
		}
		now := time.Now()
		if now.Sub(d.end) >= lateGrace {
			missed.Add(1) // due before the end, but no user got to it in time
			continue
		}
		// Latency counts from when the update was due, so time spent waiting for a free user
		// (the target being slow) is not hidden.
		d.one(ctx, at, now)
	}
}

// one sends the user's next update and waits for the reply.
func (d *driver) one(ctx context.Context, due, sent time.Time) {
	body, seq := d.u.next()
	d.st.all++
	err := d.post(ctx, body)
	took := time.Since(due)
	measured := !due.Before(d.from)
	if err != nil {
		d.st.errors++
		d.st.lastErr = err.Error()
		return
	}
	if measured {
		d.st.latencies = append(d.st.latencies, took)
	}
	if d.u.chat.WaitKeyboard(seq, d.replyWait) {
		if measured {
			d.st.replies = append(d.st.replies, time.Since(sent))
		}
	} else {
		d.st.noReply++
	}
}

func (d *driver) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.t.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if d.t.Secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", d.t.Secret)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	if err == nil && d.api != nil {
		d.api.Respond(answer)
	}
	return nil
}

func (r *Result) collect(stats []userStats) {
	var lat, rep []time.Duration
	for i := range stats {
		s := &stats[i]
		lat = append(lat, s.latencies...)
		rep = append(rep, s.replies...)
		r.AllUpdates += s.all
		r.Errors += s.errors
		r.NoReply += s.noReply
		if s.lastErr != "" && r.LastError == "" {
			r.LastError = s.lastErr
		}
	}
	r.Updates = int64(len(lat))
	r.latencies, r.replies = lat, rep
	r.Latency = percentiles(lat)
	r.ReplyLatency = percentiles(rep)
}

// percentiles sorts d and reads the nearest-rank percentiles.
func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	at := func(p float64) Millis {
		i := int(p*float64(len(d))+0.999999) - 1
		return Millis(d[min(max(i, 0), len(d)-1)])
	}
	return Percentiles{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: Millis(d[len(d)-1])}
}

func perUpdate(d time.Duration, n int64) Millis {
	if n <= 0 {
		return 0
	}
	return Millis(d / time.Duration(n))
}
