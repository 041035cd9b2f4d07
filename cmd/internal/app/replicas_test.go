package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/redis/redistest"
	"github.com/returnbot/returnbot/internal/syncbuf"
)

var replicasFull = flag.Bool("replicas.full", false,
	"run the replicas tests at full size (500 users, 10,000 updates) instead of the CI size")

// A failing run prints its seed; -replicas.seed runs the same scripts and driver choices again
// (the interleaving of the replicas still depends on timing).
var replicasSeed = flag.Uint64("replicas.seed", 0, "seed of the replicas tests' scripts and driver (0: from the clock)")

// replicaSize is how much a replicas run drives.
type replicaSize struct {
	users, updatesPerUser int
}

func replicasSize(ci replicaSize) replicaSize {
	if *replicasFull {
		return replicaSize{users: 500, updatesPerUser: 20}
	}
	return ci
}

const replicaSecret = "a41f9c7e2b6d08531e9fc4a7d2b86e03"

// replicaChannel is what a replicas run needs of one channel: the replicas' settings, the
// webhook deliveries in the platform's wire format, and what its fake platform API received.
// The driver, the processes and the replay that checks the replies are the same for every
// channel.
type replicaChannel interface {
	// name is the channel's name in sessions' keys (bot.UserKey).
	name() string
	// env is the settings of a replica listening at addr, and its webhook's URL.
	env(addr string) (hook string, env []string)
	// started waits until n replicas take the channel's webhooks.
	started(t *testing.T, n int)
	// userID is the platform's id of the i-th synthetic user, who writes in lang.
	userID(i int, lang string) string
	// message and press are the webhook bodies of a typed text and of a button press.
	message(id int64, u *simUser, text string) []byte
	press(id int64, u *simUser, data string) []byte
	// authorize adds what proves a webhook delivery comes from the platform.
	authorize(req *http.Request, body []byte)
	// accepted is told the body of a webhook's 200 answer.
	accepted(answer []byte)
	// event is the event the channel makes of up, for the replay.
	event(u *simUser, up *simUpdate) bot.Event
	// rendered is what the platform receives for replies to u; sent what its fake API received
	// for u, in the order it arrived; calls how many calls it received in all.
	rendered(u *simUser, replies []bot.Reply) []sentMsg
	sent(u *simUser) []sentMsg
	calls() int
	// check is what else the channel promises once the run is verified.
	check(r *replicaRun)
}

// replicaRun is one run: the processes, the fake API, the scripts and what the driver did.
type replicaRun struct {
	t      *testing.T
	ch     replicaChannel
	faults bool
	redis  *redistest.Instance
	hooks  []string
	procs  []*replica
	pack   *flow.Pack
	users  []*simUser
	total  int

	posted, duplicates, refused atomic.Int64
	retried                     atomic.Int64 // deliveries answered other than 200, delivered again
	took                        time.Duration
	seed                        uint64        // of the scripts and the driver's choices
	pace                        time.Duration // pause between a user's steps in a faults run
}

// replica is one `returnbot serve` process.
type replica struct {
	stop   func() // SIGTERM, then wait for exit 0
	stderr *syncbuf.Buffer
}

// simUser is one synthetic user: a platform id, a language and a script of steps; a step is one
// update or a burst of updates sent at once.
type simUser struct {
	id    string // the platform's: a chat id, a wa_id
	lang  string
	steps [][]*simUpdate
	dups  atomic.Int64 // redelivered updates
}

// simUpdate is one webhook delivery and the event the bot makes of it.
type simUpdate struct {
	id          int64
	body        []byte
	text        string       // KindText
	data        string       // KindChoice
	redelivered atomic.Bool  // the driver posted it a second time
	posted      atomic.Int64 // when it was first posted, in Unix ns
}

// newReplicaRun starts redis-server and three replicas serving ch, and writes the users' scripts
// with the typed questions of questions (by language).
func newReplicaRun(t *testing.T, ch replicaChannel, size replicaSize, faults bool, questions map[string][]string) *replicaRun {
	if testing.Short() && !*replicasFull {
		size.users /= 2
	}
	seed := *replicasSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("replicas: %d users × %d updates, seed %d (again: -replicas.seed=%[3]d)", size.users, size.updatesPerUser, seed)
	rng := rand.New(rand.NewPCG(seed, 42))
	pack, err := LoadContent("", "", bot.DefaultSessionTTL)
	if err != nil {
		t.Fatal(err)
	}
	c := pack.Content
	cal, err := handoff.NewCalendar(c.Offices[c.DefaultOffice])
	if err != nil {
		t.Fatal(err)
	}
	pack.Engine.SetCalendar(cal) // as serve does: the reference must answer the same

	r := &replicaRun{t: t, ch: ch, faults: faults, pack: pack, pace: 250 * time.Millisecond, seed: seed}
	args := []string{}
	if faults {
		// A killed server must keep what it acknowledged, or no order of the updates explains
		// what users saw. With the default appendfsync everysec it may not: while a background
		// fsync is slow, Redis holds back its writes to the file for up to two seconds but still
		// answers, and SIGKILL loses them. On a busy machine half the full-size runs failed so;
		// with "always" none did (docs/operations.md, "Persistence and copies").
		args = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	r.redis = redistest.Start(t, args...)
	r.users = scripts(ch, rng, pack, size, questions)
	for _, u := range r.users {
		for _, s := range u.steps {
			r.total += len(s)
		}
	}
	for range 3 {
		r.startReplica()
	}
	ch.started(t, len(r.procs))
	return r
}

func (r *replicaRun) startReplica() {
	t := r.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	hook, env := r.ch.env(addr)
	env = append(env, "RETURNBOT_ADDR="+addr, "REDIS_URL="+r.redis.URL(), "RETURNBOT_SECRET="+replicaSecret, "RETURNBOT_LOG_LEVEL=info")
	_, cmd, stderr := startServe(t, env...)
	r.hooks = append(r.hooks, hook)
	r.procs = append(r.procs, &replica{stop: func() { stopServe(t, cmd, stderr) }, stderr: stderr})
}

// scripts writes every user's updates: /start, then buttons of any topic (old buttons keep
// working), questions typed in the user's language from the evaluation sets, /menu and /back;
// about one step in six is a burst of two or three updates. The handoff is left out: a visit
// code depends on which replica counted first.
func scripts(ch replicaChannel, rng *rand.Rand, pack *flow.Pack, size replicaSize, questions map[string][]string) []*simUser {
	var buttons []string
	for _, f := range pack.Content.Flows {
		if f.ID == "handoff" {
			continue
		}
		for id, n := range f.Nodes {
			for _, o := range n.Options {
				if !strings.HasPrefix(o.Goto, "handoff") {
					buttons = append(buttons, "o|"+f.ID+"."+id+"|"+o.ID)
				}
			}
		}
	}
	slices.Sort(buttons)
	var langs []string
	for l := range questions {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	var id int64 = 1000
	next := func() int64 { id++; return id }
	users := make([]*simUser, size.users)
	for i := range users {
		u := &simUser{lang: langs[rng.IntN(len(langs))]}
		u.id = ch.userID(i, u.lang)
		text := func(s string) *simUpdate {
			n := next()
			return &simUpdate{id: n, text: s, body: ch.message(n, u, s)}
		}
		press := func(d string) *simUpdate {
			n := next()
			return &simUpdate{id: n, data: d, body: ch.press(n, u, d)}
		}
		one := func() *simUpdate {
			switch p := rng.Float64(); {
			case p < 0.55:
				return press(buttons[rng.IntN(len(buttons))])
			case p < 0.85:
				qs := questions[u.lang]
				return text(qs[rng.IntN(len(qs))])
			case p < 0.95:
				return text("/menu")
			default:
				return text("/back")
			}
		}
		u.steps = append(u.steps, []*simUpdate{text("/start")})
		for n := 1; n < size.updatesPerUser; {
			k := 1
			if rng.IntN(6) == 0 {
				k = min(2+rng.IntN(2), size.updatesPerUser-n)
			}
			var step []*simUpdate
			for range k {
				step = append(step, one())
			}
			u.steps = append(u.steps, step)
			n += k
		}
		users[i] = u
	}
	return users
}

// evalQuestions are the typed messages of the evaluation sets by language, without those meant
// for the handoff or erasure.
func evalQuestions(t *testing.T) map[string][]string {
	files, err := filepath.Glob("../../../flows/testdata/eval/*.tsv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no evaluation sets: %v", err)
	}
	out := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lang := strings.TrimSuffix(filepath.Base(f), ".tsv")
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			topic, text, ok := strings.Cut(sc.Text(), "\t")
			if !ok || strings.HasPrefix(topic, "#") || topic == "handoff.start" || topic == "privacy.erase" {
				continue
			}
			if strings.TrimLeft(strings.TrimSpace(text), "0123456789") == "" {
				continue // a number picks an option of wherever the user is, the handoff's too
			}
			out[lang] = append(out[lang], text)
		}
	}
	return out
}

// drive sends every user's script at once (one goroutine per user), each update to the next
// replica in turn; fault is called as the run progresses (0..1), from one goroutine at a time.
func (r *replicaRun) drive(fault func(progress float64, once map[string]bool)) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	var rr atomic.Uint64
	var sent atomic.Int64
	rng := rand.New(rand.NewPCG(r.seed, 7))
	var rngMu sync.Mutex
	chance := func(p float64) bool { rngMu.Lock(); defer rngMu.Unlock(); return rng.Float64() < p }
	var faultMu sync.Mutex
	once := map[string]bool{}
	post := func(body []byte) {
		hook := r.hooks[rr.Add(1)%uint64(len(r.hooks))]
		for attempt := 0; ; attempt++ {
			req, _ := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			r.ch.authorize(req, body)
			resp, err := client.Do(req)
			if err == nil {
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					r.ch.accepted(answer)
					return
				}
			}
			// Telegram and Meta deliver again after an error or a non-2xx answer, for a day or more.
			if attempt == 1200 {
				r.refused.Add(1)
				return
			}
			r.retried.Add(1)
			time.Sleep(100 * time.Millisecond)
		}
	}
	deliver := func(u *simUser, up *simUpdate) {
		up.posted.Store(time.Now().UnixNano())
		post(up.body)
		r.posted.Add(1)
		if chance(0.05) {
			post(up.body) // redelivered, to another replica
			up.redelivered.Store(true)
			r.duplicates.Add(1)
			u.dups.Add(1)
		}
		n := sent.Add(1)
		if fault != nil && faultMu.TryLock() {
			fault(float64(n)/float64(r.total), once)
			faultMu.Unlock()
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, u := range r.users {
		wg.Go(func() {
			for _, step := range u.steps {
				if fault != nil {
					// Users pause between steps, so that the run outlasts the outage: most updates
					// meet a working store, some the outage, some the restart.
					time.Sleep(r.pace)
				}
				if len(step) == 1 {
					deliver(u, step[0])
					continue
				}
				var burst sync.WaitGroup
				for _, up := range step {
					burst.Go(func() { deliver(u, up) })
				}
				burst.Wait()
			}
		})
	}
	wg.Wait()
	r.took = time.Since(start)
	// Replies go out after the webhook answered: wait until nothing more arrives.
	last, stable := -1, 0
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && stable < 20; {
		n := r.ch.calls()
		if n == last {
			stable++
		} else {
			stable, last = 0, n
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends every replica with SIGTERM; each must drain and exit 0.
func (r *replicaRun) stop() {
	for _, p := range r.procs {
		p.stop()
	}
	for i, p := range r.procs {
		if s := p.stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "DATA RACE") {
			r.t.Errorf("replica %d:\n%s", i, s)
		}
	}
	// The replicas' warnings explain a mismatch found later (they carry no personal data).
	r.t.Cleanup(func() {
		if !r.t.Failed() {
			return
		}
		for i, p := range r.procs {
			count := map[string]int{}
			for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
				var l struct{ Msg, Reason string }
				if json.Unmarshal([]byte(line), &l) == nil {
					count[strings.TrimSpace(l.Msg+" "+l.Reason)]++
				}
			}
			r.t.Logf("replica %d: log lines by message: %v", i, count)
		}
	})
}

// sentMsg is one message as the fake API received it: its kind (the Bot API's method, the Cloud
// API's type) and its text (a venue's or location's name).
type sentMsg struct{ method, text string }

// verify replays every user's script on the engine in one process and compares replies and the
// stored session. A burst may have been taken in any order: the replay tries each order and keeps
// the one the replies show. Every update must have been acted on exactly once, in its place: its
// replies are the next messages, a redelivered copy brings none, and the last session is the one
// in Redis. With faults, users may also have had the outage notice, which goes out without order:
// at most once per replica.
func (r *replicaRun) verify() {
	t := r.t
	client, err := redis.NewClient(r.redis.URL())
	if err != nil {
		t.Fatal(err)
	}
	store, err := redis.New(client, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	outage := map[string]bool{}
	for _, l := range r.pack.Engine.Language().Languages() {
		outage[r.pack.Engine.Language().Text(l, bot.MsgUnavailable, "")] = true
	}
	var expected, got, outages, failedUsers int
	for _, u := range r.users {
		seen := r.ch.sent(u)
		got += len(seen)
		msgs := seen[:0:0]
		n := 0
		for _, m := range seen {
			if outage[m.text] {
				n++
				continue
			}
			msgs = append(msgs, m)
		}
		if n > 0 && !r.faults {
			t.Errorf("user %s got %d outage messages without a fault", u.id, n)
		}
		if n > len(r.procs) {
			t.Errorf("user %s got %d outage notices, want at most one per replica (%d)", u.id, n, len(r.procs))
		}
		outages += n
		var stored bot.Session
		peek := errors.New("peek")
		pk := bot.UserKey([]byte(replicaSecret), r.ch.name(), u.id)
		if err := store.Update(context.Background(), pk,
			func(s *bot.Session) error { stored = *s; return peek }); !errors.Is(err, peek) {
			t.Fatalf("reading a session: %v", err)
		}
		stored.Seen = 0
		rp := replay{r: r, u: u, msgs: msgs, stored: stored, failed: map[string]bool{}}
		if _, ok := rp.walk(bot.Session{}, at{}); !ok {
			failedUsers++
			if failedUsers <= 3 {
				for i, p := range r.procs {
					for _, l := range strings.Split(p.stderr.String(), "\n") {
						if strings.Contains(l, pk) {
							t.Logf("replica %d: %s", i, l)
						}
					}
				}
				t.Errorf("user %s (%s): no order of the updates, each acted on once, gives these replies and the stored session (%d outage notices, %d redelivered)\n%s\nstored: %+v",
					u.id, u.lang, n, u.dups.Load(), rp.explain(), stored)
			}
			continue
		}
		expected += rp.matched
	}
	if failedUsers > 0 {
		t.Errorf("%d of %d users' replies did not match", failedUsers, len(r.users))
	}
	r.ch.check(r)
	if r.refused.Load() > 0 {
		t.Errorf("%d updates were never accepted", r.refused.Load())
	}
	rate := float64(r.posted.Load()+r.duplicates.Load()) / r.took.Seconds()
	t.Logf("replicas: %d updates (+%d redelivered) from %d users in %v (%.0f updates/s through 3 replicas); "+
		"%d messages received by the fake API, %d expected by the replay, %d outage notices; %d users did not match",
		r.posted.Load(), r.duplicates.Load(), len(r.users), r.took.Round(time.Millisecond), rate, got, expected+outages, outages, failedUsers)
}

func sameSession(a, b bot.Session) bool {
	ab, _ := a.MarshalBinary()
	bb, _ := b.MarshalBinary()
	return bytes.Equal(ab, bb)
}

// replay is the search for the order in which one user's updates were taken: the replies they
// produced must be the messages the fake API received, in order, and the last session the one in
// Redis.
type replay struct {
	r       *replicaRun
	u       *simUser
	msgs    []sentMsg
	stored  bot.Session
	matched int
	best    int // furthest message matched, for the explanation
	// failed holds the search states known to lead nowhere.
	failed map[string]bool
}

// at is where the search is: the step, the updates of it already taken (a bit mask) and the next
// message.
type at struct {
	step, done, pos int
}

// walk takes the updates of the current step not yet done, then the later steps. It reports the
// final session when the replies match the messages and the session the stored one.
func (p *replay) walk(s bot.Session, a at) (bot.Session, bool) {
	p.best = max(p.best, a.pos)
	if a.step == len(p.u.steps) {
		s.Seen = 0
		ok := a.pos == len(p.msgs) && sameSession(s, p.stored)
		if ok {
			p.matched = a.pos
		}
		return s, ok
	}
	sb, _ := s.MarshalBinary()
	key := fmt.Sprintf("%+v/%x", a, sb)
	if p.failed[key] {
		return bot.Session{}, false
	}
	step := p.u.steps[a.step]
	for k, up := range step {
		if a.done&(1<<k) != 0 {
			continue
		}
		s2 := p.apply(s, up)
		want := p.r.ch.rendered(p.u, s2.replies)
		if !p.matchAt(a.pos, want) {
			continue
		}
		n := a
		n.done |= 1 << k
		if n.done == 1<<len(step)-1 {
			n.step, n.done = n.step+1, 0
		}
		n.pos = a.pos + len(want)
		if fin, ok := p.walk(s2.sess, n); ok {
			return fin, true
		}
	}
	p.failed[key] = true
	return bot.Session{}, false
}

type applied struct {
	sess    bot.Session
	replies []bot.Reply
}

// apply runs one update on a copy of the session, as Bot.HandleTurn does.
func (p *replay) apply(s bot.Session, up *simUpdate) applied {
	b, _ := s.MarshalBinary()
	var c bot.Session
	_ = c.UnmarshalBinary(b)
	ev := p.r.ch.event(p.u, up)
	ev.User, ev.Time = "replay", time.Now()
	turn := c.Turn
	res := p.r.pack.Engine.Respond(&c, ev)
	c.Turn = turn + 1
	// Bot.Handle hands every reply out through ForDisplay; the replay must too.
	return applied{sess: c, replies: bot.ForDisplay(p.r.pack.Catalog, res.Replies)}
}

func (p *replay) matchAt(pos int, want []sentMsg) bool {
	if pos+len(want) > len(p.msgs) {
		return false
	}
	return slices.Equal(p.msgs[pos:pos+len(want)], want)
}

func (p *replay) explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "matched %d of %d messages (> marks the first mismatch):\n", p.best, len(p.msgs))
	for i, m := range p.msgs {
		mark := " "
		if i == p.best {
			mark = ">"
		}
		fmt.Fprintf(&b, " %s%3d %s %.70q\n", mark, i, m.method, m.text)
	}
	b.WriteString("script:")
	for _, s := range p.u.steps {
		b.WriteString(" [")
		for i, up := range s {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%.30q", up.text+up.data)
		}
		b.WriteString("]")
	}
	return b.String()
}
