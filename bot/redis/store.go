// Package redis is the Redis Store: sessions, update dedupe and rate limits shared by every replica
// of the bot, on a single Redis server or a Redis Cluster.
//
// Keys (Prefix defaults to "rb:"; every key carries a TTL):
//
//	rb:{<user>}:s          the session: Session.MarshalBinary followed by a 4-byte write stamp
//	rb:{<user>}:turn       the turn log (deliver.Turns): last turn whose replies went out
//	rb:{<user>}:upd        digests of the user's handled updates (UpdateOnce), sorted set by
//	                       time: the latest MaxUpdatesKept (a few more between trims), TTL
//	                       bot.DedupeTTL after the last; kept by Erase, so a replayed update stays
//	                       a duplicate. Also the fences "<digest>:<score>": session writes in
//	                       doubt found not applied, which must never be (almost never there)
//	rb:{<user>}:wa         when the user last wrote on WhatsApp, in Unix ms (Window), for the
//	                       24-hour service window; TTL the window plus a margin
//	rb:{<user>}:<suffix>   other per-user keys (AddUserKeys); the hash tag keeps them in one slot
//	rb:seen:<ch>:<digest>  update dedupe, SET NX EX bot.DedupeTTL
//	rb:ready, rb:ready:{n} the readiness probe's write (Ready), one per cluster master; TTL 30 s
//	rb:rl:<key>            rate limits (Reserve; ReserveAll's under rb:rl:{paced}:<key>)
//
// <user> is the pseudonymous bot.UserKey, never a platform id.
package redis

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = "rb:"

// DefaultMaxAttempts bounds how often Update runs its compare-and-set before giving up with
// bot.ErrConflict. One user's messages rarely overlap (Telegram delivers a chat's updates one at a
// time), so the bound is only reached under a pile-up on one session.
const DefaultMaxAttempts = 32

// SessionSuffix names the session key of a user: <prefix>{<user>}:s.
const SessionSuffix = "s"

// UpdatesSuffix names the user's set of handled platform updates (UpdateOnce):
// <prefix>{<user>}:upd, digests of update ids scored by when they were handled (writeScore).
const UpdatesSuffix = "upd"

// trimEvery is how often (one session write in so many, at random) the update set is cut back
// to MaxUpdatesKept: a command on every write only to count the set would cost more than the
// few members it keeps longer.
const trimEvery = 16

// writeSeq tells apart writes of one millisecond (writeScore); it starts at random so that
// replicas' writes of one millisecond differ too, but for 1 in 1000.
var writeSeq = func() *atomic.Uint32 {
	var n atomic.Uint32
	n.Store(rand.Uint32())
	return &n
}()

// writeScore is a session write's score in the update set: its time in ms, times 1000, plus a
// counter. It orders the set by time and names the write: the score tells a write that went
// through (appliedScript), or this very write sent again (casScript), from another write of the
// same update. Two deliveries of one update at once (a platform's duplicate) in the same
// millisecond thus get two scores, always in one process. 1e3 times today's ms is 2^50.7,
// exact in the double a score is until the year 2255.
func writeScore(now time.Time) int64 {
	return now.UnixMilli()*1000 + int64(writeSeq.Add(1)%1000)
}

// MaxUpdatesKept bounds a user's set of handled updates: a platform redelivers only its latest
// undelivered updates, and a flood must not grow the set without end.
const MaxUpdatesKept = 512

// stampLen is the size of the random write stamp at the end of a stored session. Four bytes make
// a wrong match (a concurrent write that drew the same stamp) a 1 in 4 billion event per conflict,
// and conflicts are themselves rare; eight would push a typical session into Redis's next
// allocation class (MEMORY USAGE 296 instead of 264 bytes after the eligibility flow).
const stampLen = 4

// casScript is the write half of Update: it stores ARGV[2] with a TTL of ARGV[3] ms only if the
// session still ends in the stamp the caller read (ARGV[1]; "" for no session). On a conflict it
// returns the current value, so the retry needs no second GET.
//
// The stamp is random per write rather than a version counter. A counter starts again after
// Erase, so a writer that read version n before the erase could overwrite a new session that had
// reached n again; and two writers that start from the same version write equal values, so a write
// that go-redis re-sent after a lost reply could not be told from a rival's. With random stamps the
// conflict reply of a re-sent write is our own value, and Update takes it as success instead of
// running fn twice.
//
// For UpdateOnce, ARGV[4] is the update's digest, recorded in the user's update set KEYS[2]
// (a sorted set scored by ARGV[5], the write's writeScore) in the same write: an update found there
// returns 0 and writes nothing, unless it is this very write sent again (go-redis re-sends a
// pipeline whose answer timed out): then it returns 1, applied. That is so when the session is
// our value, or when the update carries our score, as appliedScript tells a write: the user's
// next update (a burst, on another replica) may have been written on top of ours in between,
// and taking ours for a duplicate would drop its replies while its turn is taken.
// The set lives ARGV[7] ms after the last write; when ARGV[8] is "1" it is cut back to the
// latest ARGV[6] updates (one write in trimEvery).
//
// The same ZMSCORE looks for a fence of this write, "<digest>:<score>" (appliedScript): a write
// in doubt found not applied must never be, while any other write of the update may go ahead.
// Fences almost never exist, and looking for one in the same command costs next to nothing.
//
// Six commands in all: EVALSHA, GET, ZMSCORE, SET, ZADD, PEXPIRE (and ZREMRANGEBYRANK when
// trimming).
const casScript = `local cur = redis.call('GET', KEYS[1]) or ''
local upd = ARGV[4] or ''
if upd ~= '' then
  local sc = redis.call('ZMSCORE', KEYS[2], upd, upd .. ':' .. ARGV[5])
  if sc[1] then
    if cur == ARGV[2] or tonumber(sc[1]) == tonumber(ARGV[5]) then return 1 end
    return 0
  end
  if sc[2] then return 0 end
end
if string.sub(cur, -4) ~= ARGV[1] then return cur end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if upd ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[5], upd)
  if ARGV[8] == '1' then
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -1 - tonumber(ARGV[6]))
  end
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
return 1`

// casSHA is computed once so every Update sends EVALSHA with a 40-byte digest, not the script.
var casSHA = func() string {
	h := sha1.Sum([]byte(casScript))
	return hex.EncodeToString(h[:])
}()

// Options configure a Store; the zero value is usable.
type Options struct {
	// TTL is how long an idle session is kept (bot.DefaultSessionTTL if 0). Every update of a
	// session sets the TTL again.
	TTL time.Duration
	// Prefix starts every key (DefaultPrefix if ""). It must not contain '{' or '}': the user's
	// hash tag must be the first braces in the key.
	Prefix string
	// MaxAttempts bounds the compare-and-set attempts of one Update (DefaultMaxAttempts if 0).
	MaxAttempts int
}

// Store is the Redis bot.Store and bot.Limiter. It is safe for concurrent use, and any number of
// Stores (in any number of processes) may share one Redis.
type Store struct {
	c           goredis.UniversalClient
	batch       *batcher      // the hot path's commands: sessions, turn log, pacing
	cache       *sessionCache // the sessions this process wrote last (see UpdateOnce)
	prefix      string
	ttlArg      any // the session TTL in milliseconds, boxed once instead of per Update
	maxAttempts int

	userKeys atomic.Pointer[[]string] // suffixes Erase deletes besides SessionSuffix

	regMu      sync.Mutex // serialises AddUserKeys and OnErase
	eraseHooks atomic.Pointer[[]EraseHook]

	handoffOnce sync.Once
	handoff     *Handoff // see HandoffStore
}

// EraseHook is run by Erase before the user's keys are deleted, for data that lives outside the
// user's hash tag (a ticket indexed by its code, say) and must go too.
type EraseHook func(ctx context.Context, user string) error

// New returns a store on client, which may be a *goredis.Client or a *goredis.ClusterClient (see
// NewClient and NewClusterClient for clients with suitable timeouts). Close closes the client.
func New(client goredis.UniversalClient, opt Options) (*Store, error) {
	if opt.TTL <= 0 {
		opt.TTL = bot.DefaultSessionTTL
	}
	if opt.TTL < time.Millisecond {
		return nil, fmt.Errorf("redis: session TTL %v is shorter than a millisecond", opt.TTL)
	}
	if opt.Prefix == "" {
		opt.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(opt.Prefix, "{}") {
		return nil, fmt.Errorf("redis: key prefix %q contains a brace, which would break the hash tags", opt.Prefix)
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = DefaultMaxAttempts
	}
	s := &Store{
		c:           client,
		batch:       newBatcher(client),
		cache:       newSessionCache(sessionCacheMax),
		prefix:      opt.Prefix,
		ttlArg:      strconv.FormatInt(opt.TTL.Milliseconds(), 10),
		maxAttempts: opt.MaxAttempts,
	}
	// Not UpdatesSuffix: see Erase.
	s.userKeys.Store(&[]string{TurnSuffix})
	s.eraseHooks.Store(new([]EraseHook))
	return s, nil
}

// Client returns the store's client, for packages that keep their own data in the same Redis.
func (s *Store) Client() goredis.UniversalClient { return s.c }

// Key returns prefix+name, for keys that belong to no user (a ticket by code, a queue).
func (s *Store) Key(name string) string { return s.prefix + name }

// UserKey returns the key <prefix>{<user>}:<suffix>. All keys of one user share the hash tag
// {<user>}, so they live in one cluster slot and one DEL (or one script) reaches all of them.
// Register the suffix with AddUserKeys so that Erase deletes the key.
func (s *Store) UserKey(user, suffix string) string {
	return s.prefix + "{" + user + "}:" + suffix
}

// AddUserKeys registers per-user key suffixes that Erase deletes along with the session, so that
// "forget me" keeps covering everything a later package stores about a user. Erase deletes a
// fixed list of keys in one command; it never scans the keyspace.
func (s *Store) AddUserKeys(suffixes ...string) {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	old := *s.userKeys.Load()
	next := append([]string(nil), old...)
	for _, sfx := range suffixes {
		if sfx == "" || sfx == SessionSuffix || contains(next, sfx) {
			continue
		}
		next = append(next, sfx)
	}
	s.userKeys.Store(&next)
}

// OnErase registers a hook that Erase runs before deleting the user's keys. When a hook fails,
// Erase stops and returns its error, so a retried "forget me" runs every hook again.
func (s *Store) OnErase(h EraseHook) {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	next := append(append([]EraseHook(nil), *s.eraseHooks.Load()...), h)
	s.eraseHooks.Store(&next)
}

// Ping checks that Redis answers: on a cluster, every master.
func (s *Store) Ping(ctx context.Context) error {
	if cc, ok := s.c.(*goredis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			return c.Ping(ctx).Err()
		})
	}
	return s.c.Ping(ctx).Err()
}

// Close closes the client.
func (s *Store) Close() error {
	s.batch.close()
	return s.c.Close()
}

var errNoUser = errors.New("redis: empty user key")

// Update implements bot.Store with optimistic concurrency: GET the session (with the turn log,
// for Session.Delivered), run fn, then one EVALSHA that writes the result (and the TTL) only if
// nobody wrote in between. That is two round trips when there is no conflict, and one when this
// process wrote the session last (sessionCache: the script's check covers a cached value as it
// covers a read one, and Session.Delivered is then left 0; when fn gives up on a cached session,
// Update reads the stored one and, if it differs, runs fn on that). A first conflict costs one more (the
// script returns the value that won, so fn runs again at once); after that Update waits and
// reads the session again.
func (s *Store) Update(ctx context.Context, user string, fn func(*bot.Session) error) error {
	return s.UpdateOnce(ctx, user, "", "", fn)
}

// UpdateOnce implements bot.Store: Update whose write also records the update in the user's
// update set, in the same script, so no extra round trip is made.
func (s *Store) UpdateOnce(ctx context.Context, user, channel, updateID string, fn func(*bot.Session) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if user == "" {
		return errNoUser
	}
	key := s.UserKey(user, SessionSuffix)
	cur, cached := s.cache.get(user)
	var delivered uint64
	if !cached {
		var err error
		if cur, delivered, err = s.read(ctx, key, s.UserKey(user, TurnSuffix)); err != nil {
			return err
		}
	}
	keys := []string{key}
	var once []any
	if updateID != "" {
		keys = append(keys, s.UserKey(user, UpdatesSuffix))
		trim := 0
		if rand.N(trimEvery) == 0 {
			trim = 1
		}
		once = []any{updateDigest(channel, updateID), writeScore(time.Now()), MaxUpdatesKept, bot.DedupeTTL.Milliseconds(), trim}
	}
	for attempt := 1; ; attempt++ {
		var sess bot.Session
		stamp, err := decodeSession(cur, &sess)
		if err != nil {
			return err
		}
		if attempt == 1 {
			// Only with the session it was read with: after a conflict the session that won
			// may belong to turns the log was not read for.
			sess.Delivered = delivered
		}
		if err := fn(&sess); err != nil {
			if cached {
				// fn gave up on the cached session, which is stale if another replica wrote
				// since: what it decided must rest on the stored one.
				cached = false
				fresh, d, rerr := s.read(ctx, key, s.UserKey(user, TurnSuffix))
				if rerr != nil {
					return rerr
				}
				if fresh != cur {
					s.cache.drop(user)
					cur, delivered = fresh, d
					attempt = 0 // a first attempt, on what was read
					continue
				}
			}
			return err
		}
		val, err := sess.MarshalBinary()
		if err != nil {
			return err
		}
		// The stamp goes at the end: MarshalBinary usually leaves capacity for it.
		val = binary.LittleEndian.AppendUint32(val, rand.Uint32())
		res, err := s.cas(ctx, keys, stamp, val, once)
		if err != nil {
			s.cache.drop(user)
			err = fmt.Errorf("redis: writing a session: %w", err)
			if updateID == "" {
				return err
			}
			// The script may have run with its answer lost, or may yet run (a frozen server
			// works off what it received when it wakes): the update's digest, scored with
			// this write's time, tells later.
			return &bot.UnsureError{Err: err, Applied: s.applied(keys[1], once[0].(string), once[1].(int64))}
		}
		switch v := res.(type) {
		case int64:
			if v == 0 {
				return bot.ErrDuplicate
			}
			s.cache.put(user, string(val))
			return nil
		case string:
			if v == string(val) {
				// Our own write, applied by a re-sent EVALSHA whose first reply was lost.
				s.cache.put(user, v)
				return nil
			}
			cur = v
		default:
			return fmt.Errorf("redis: unexpected reply %T from the session script", res)
		}
		if attempt >= s.maxAttempts {
			return bot.ErrConflict
		}
		if attempt == 1 {
			// Usually one other writer, now done: go again at once with the value it wrote.
			continue
		}
		// A pile-up on one session. Waiting spreads the writers out; the value that came back is
		// stale by the time the wait is over, so read it again.
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
		get := goredis.NewStringCmd(ctx, "get", key)
		switch err := s.batch.do(ctx, get); {
		case err == nil:
			cur = get.Val()
		case errors.Is(err, goredis.Nil):
			cur = ""
		default:
			s.cache.drop(user)
			return fmt.Errorf("redis: reading a session: %w", err)
		}
	}
}

// appliedScript settles a write in doubt: 1 when the update set KEYS[1] holds its digest
// (ARGV[1]) with its score (ARGV[2], the write's writeScore): it went through. Else 0, and the
// write is fenced off in the same set (see casScript): a server that received it but has not run
// it yet (from a connection it has still to read) must not apply it after this answer, which
// leaves the update to its redelivery. The fence is scored like the write, so it is kept as long
// as the updates around it; the set lives ARGV[3] ms on.
const appliedScript = `local sc = redis.call('ZSCORE', KEYS[1], ARGV[1])
if sc and tonumber(sc) == tonumber(ARGV[2]) then return 1 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1] .. ':' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 0`

var appliedSHA = func() string {
	h := sha1.Sum([]byte(appliedScript))
	return hex.EncodeToString(h[:])
}()

// applied reports whether the write that recorded update digest with score (its writeScore)
// in the update set went through (appliedScript): a redelivery handled by another write has a
// later score.
func (s *Store) applied(updKey, digest string, score int64) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		v, err := s.batch.eval(ctx, appliedSHA, appliedScript, []string{updKey}, digest, score, bot.DedupeTTL.Milliseconds()).Int64()
		if err != nil {
			return false, fmt.Errorf("redis: settling a write in doubt: %w", err)
		}
		return v == 1, nil
	}
}

// read gets a session and the user's turn log in one round trip (one slot: the user's hash tag).
// An unreadable turn log counts as unknown (0): the channel then asks it again before sending.
func (s *Store) read(ctx context.Context, sessionKey, turnKey string) (string, uint64, error) {
	cmd := goredis.NewSliceCmd(ctx, "mget", sessionKey, turnKey)
	if err := s.batch.do(ctx, cmd); err != nil {
		return "", 0, fmt.Errorf("redis: reading a session: %w", err)
	}
	vals := cmd.Val()
	if len(vals) != 2 {
		return "", 0, fmt.Errorf("redis: reading a session: %d values for 2 keys", len(vals))
	}
	cur, _ := vals[0].(string)
	var delivered uint64
	if t, ok := vals[1].(string); ok {
		delivered, _ = strconv.ParseUint(t, 10, 64)
	}
	return cur, delivered, nil
}

// cas runs casScript by digest, loading it with EVAL when the server does not have it yet (after
// a restart, or on a cluster node that has not run it).
func (s *Store) cas(ctx context.Context, keys []string, stamp string, val []byte, once []any) (any, error) {
	args := append([]any{stamp, val, s.ttlArg}, once...)
	return s.batch.eval(ctx, casSHA, casScript, keys, args...).Result()
}

// decodeSession decodes a stored value into sess and returns its stamp; "" is no session.
func decodeSession(v string, sess *bot.Session) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) <= stampLen {
		return "", bot.ErrBadSession
	}
	n := len(v) - stampLen
	if err := sess.UnmarshalString(v[:n]); err != nil {
		return "", err
	}
	return v[n:], nil
}

// backoff waits a random time that grows with each attempt, so writers piled up on one session
// spread out instead of colliding again.
func backoff(ctx context.Context, attempt int) error {
	limit := min(500*time.Microsecond<<min(attempt-2, 10), 50*time.Millisecond)
	t := time.NewTimer(rand.N(limit) + 1)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Erase implements bot.Store: it runs the OnErase hooks, then deletes the session and every key
// registered with AddUserKeys in one DEL (one slot, thanks to the hash tag).
//
// The user's update set (UpdatesSuffix) stays until its TTL (bot.DedupeTTL after the last update)
// ends it: it holds only digests of platform update ids, and it is what makes a captured, validly
// signed delivery replayed after "forget me" a duplicate instead of a new conversation in the
// user's name. It is the one key under the user's pseudonym that outlives Erase.
func (s *Store) Erase(ctx context.Context, user string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if user == "" {
		return errNoUser
	}
	for _, h := range *s.eraseHooks.Load() {
		if err := h(ctx, user); err != nil {
			return err
		}
	}
	sfx := *s.userKeys.Load()
	keys := make([]string, 0, 1+len(sfx))
	keys = append(keys, s.UserKey(user, SessionSuffix))
	for _, x := range sfx {
		keys = append(keys, s.UserKey(user, x))
	}
	args := make([]any, 0, 1+len(keys))
	args = append(args, "del")
	for _, k := range keys {
		args = append(args, k)
	}
	s.cache.drop(user)
	if err := s.batch.do(ctx, goredis.NewIntCmd(ctx, args...)); err != nil {
		return fmt.Errorf("redis: erasing a user: %w", err)
	}
	return nil
}

// Dedupe implements bot.Store with SET NX EX: the first caller creates the key, everyone after it
// within bot.DedupeTTL finds it.
func (s *Store) Dedupe(ctx context.Context, channel, updateID string) (bool, error) {
	// SET NX EX answers OK when it set the key, nil when the key was there.
	cmd := goredis.NewStatusCmd(ctx, "set", s.seenKey(channel, updateID), "", "ex", int64(bot.DedupeTTL/time.Second), "nx")
	err := s.batch.do(ctx, cmd)
	created := err == nil
	if errors.Is(err, goredis.Nil) {
		err = nil
	}
	if err != nil {
		return false, fmt.Errorf("redis: update dedupe: %w", err)
	}
	return !created, nil
}

// seenKey names an update by a digest of its id: WhatsApp message ids (wamid...) encode the
// sender's phone number, which must not become a key name. 128 bits keep collisions out of reach
// for the 48 hours a key lives.
func (s *Store) seenKey(channel, updateID string) string {
	return s.prefix + "seen:" + channel + ":" + digest(updateID)
}

// updateDigest names an update in a user's update set, as seenKey does in a key.
func updateDigest(channel, updateID string) string { return digest(channel + ":" + updateID) }

func digest(id string) string {
	sum := sha256.Sum256([]byte(id))
	var b [22]byte // base64 of 16 bytes, unpadded
	base64.RawURLEncoding.Encode(b[:], sum[:16])
	return string(b[:])
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

var (
	_ bot.Store   = (*Store)(nil)
	_ bot.Limiter = (*Store)(nil)
)
