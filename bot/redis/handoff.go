package redis

// Handoff data (tickets, claims, queue, routes, reminders, audit trail) next to the sessions.
//
// Keys (Prefix "rb:"; every key carries a TTL):
//
//	rb:t:<code>        a ticket, JSON (handoff.Ticket), for the ticket TTL
//	rb:h:<code>        the staff holding a ticket (Claim), for the claim TTL
//	rb:{<user>}:t      the code of the user's latest ticket
//	rb:{<user>}:ts     a set of all the user's ticket codes, so EraseUser finds them all
//	rb:{<user>}:r      the user's sealed route (handoff.Sealer)
//	rb:{<user>}:rem    the user's reminder marker: the due time in Unix milliseconds
//	rb:{<user>}:ps     a set of the staff chat messages posted about the user's tickets, for EraseUser
//	rb:p:<ref>         the code of the ticket a staff chat message (ref) was posted about
//	rb:q               the queue: open and taken ticket codes scored by creation time
//	rb:vd:<day>        the day sheet's index: codes of visit tickets planned for the day (open,
//	                   taken or closed) scored by creation time, kept as long as its longest ticket
//	rb:rem             due reminders: user pseudonyms scored by due time
//	rb:codes           the visit code counter (INCR), kept CounterTTL after the last code
//	rb:audit           the audit trail, newest first, capped at handoff.AuditCap entries
//
// A multi-key command or script only ever touches keys of one slot: the user's keys share the
// user's hash tag, and the global keys (rb:q, rb:rem, rb:t:<code>, ...) are written by separate
// commands, so the same code runs on a single server and on a Redis Cluster.
//
// A visit's ticket and its day's index are in different slots, so no transaction can hold both
// on a cluster. SaveTicket writes the index first and the ticket after it, and DayVisits reads
// every indexed ticket back and keeps only those whose day is still that day: a save that
// fails halfway leaves at most an index entry that shows nothing, never a visit missing from
// its day's sheet.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot/handoff"
)

// Handoff key names and per-user suffixes.
const (
	handoffTicketSuffix  = "t"
	handoffTicketsSuffix = "ts"
	handoffRouteSuffix   = "r"
	handoffRemindSuffix  = "rem"
	handoffPostsSuffix   = "ps"
)

// CounterTTL keeps the visit code counter after the last code was handed out. Codes are derived
// from the counter, so it must outlive every ticket by far.
const CounterTTL = 400 * 24 * time.Hour

// ReminderGrace keeps a reminder (marker and set) this long past its due time, for replicas that
// were down when it fell due.
const ReminderGrace = handoff.DefaultTicketTTL

// zaddScript adds a member to a sorted set and makes sure the set lives at least ARGV[3] ms: the
// TTL is raised, never lowered, so an early write cannot cut short a later member. One key. It
// runs inside pipelines, so it is sent with EVAL (EVALSHA cannot fall back there); it is short.
var zaddScript = goredis.NewScript(`redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local t = redis.call('PTTL', KEYS[1])
if t < 0 or t < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`)

// claimScript makes ARGV[1] the holder of a ticket (KEYS[1]) for ARGV[2] ms unless someone holds
// it, and returns the holder after the call. One key, so it is atomic on a cluster too.
var claimScript = goredis.NewScript(`local h = redis.call('GET', KEYS[1])
if h then return h end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`)

// Handoff is the Redis handoff.Store. Get it from Store.HandoffStore, which also makes Erase
// remove the user's handoff data.
type Handoff struct {
	s *Store
	c goredis.UniversalClient
}

// HandoffStore returns the store's handoff.Store and, on the first call, registers its per-user
// keys and EraseUser with Erase, so that "forget me" removes tickets, routes and reminders too.
func (s *Store) HandoffStore() handoff.Store {
	s.handoffOnce.Do(func() {
		s.handoff = &Handoff{s: s, c: s.c}
		s.AddUserKeys(handoffTicketSuffix, handoffTicketsSuffix, handoffRouteSuffix, handoffRemindSuffix, handoffPostsSuffix)
		s.OnErase(s.handoff.EraseUser)
	})
	return s.handoff
}

func (h *Handoff) ticketKey(code string) string { return h.s.Key("t:" + code) }
func (h *Handoff) holderKey(code string) string { return h.s.Key("h:" + code) }
func (h *Handoff) postKey(ref string) string    { return h.s.Key("p:" + ref) }
func (h *Handoff) queueKey() string             { return h.s.Key("q") }
func (h *Handoff) dayKey(day string) string     { return h.s.Key("vd:" + day) }
func (h *Handoff) remindersKey() string         { return h.s.Key("rem") }
func (h *Handoff) counterKey() string           { return h.s.Key("codes") }
func (h *Handoff) auditKey() string             { return h.s.Key("audit") }

func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

func checkUser(user string) error {
	if user == "" {
		return errNoUser
	}
	return nil
}

// NextCounter implements handoff.Store: INCR, then the counter's TTL is set again.
func (h *Handoff) NextCounter(ctx context.Context) (uint64, error) {
	pipe := h.c.Pipeline()
	incr := pipe.Incr(ctx, h.counterKey())
	pipe.PExpire(ctx, h.counterKey(), CounterTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("redis: visit code counter: %w", err)
	}
	return uint64(incr.Val()), nil
}

// SaveTicket implements handoff.Store. A visit is first added to its day's index; then the
// ticket, the user's index and the queue are separate commands in one pipeline (different
// slots).
func (h *Handoff) SaveTicket(ctx context.Context, t *handoff.Ticket, ttl time.Duration) error {
	if err := checkUser(t.User); err != nil {
		return err
	}
	if t.Code == "" {
		return errors.New("redis: ticket without a code")
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if day := t.VisitDay(); day != "" {
		if err := zaddScript.Run(ctx, h.c, []string{h.dayKey(day)}, t.Created.UnixMilli(), t.Code, ms(ttl)).Err(); err != nil {
			return fmt.Errorf("redis: indexing a visit under its day: %w", err)
		}
	}
	pipe := h.c.Pipeline()
	pipe.Set(ctx, h.ticketKey(t.Code), b, ttl)
	pipe.Set(ctx, h.s.UserKey(t.User, handoffTicketSuffix), t.Code, ttl)
	codes := h.s.UserKey(t.User, handoffTicketsSuffix)
	pipe.SAdd(ctx, codes, t.Code)
	pipe.PExpire(ctx, codes, ttl)
	if t.Status == handoff.StatusClosed {
		pipe.ZRem(ctx, h.queueKey(), t.Code)
	} else {
		zaddScript.Eval(ctx, pipe, []string{h.queueKey()}, t.Created.UnixMilli(), t.Code, ms(ttl))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: saving a ticket: %w", err)
	}
	return nil
}

// Ticket implements handoff.Store.
func (h *Handoff) Ticket(ctx context.Context, code string) (*handoff.Ticket, error) {
	b, err := h.c.Get(ctx, h.ticketKey(code)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redis: reading a ticket: %w", err)
	}
	var t handoff.Ticket
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("redis: reading a ticket: %w", err)
	}
	return &t, nil
}

// UserTicket implements handoff.Store.
func (h *Handoff) UserTicket(ctx context.Context, user string) (string, error) {
	if err := checkUser(user); err != nil {
		return "", err
	}
	code, err := h.c.Get(ctx, h.s.UserKey(user, handoffTicketSuffix)).Result()
	if errors.Is(err, goredis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("redis: reading the user's ticket: %w", err)
	}
	return code, nil
}

// Claim implements handoff.Store with a one-key script, so exactly one of concurrent claims
// sets the holder and every other caller reads it.
func (h *Handoff) Claim(ctx context.Context, code, staff string, ttl time.Duration) (string, bool, error) {
	holder, err := claimScript.Run(ctx, h.c, []string{h.holderKey(code)}, staff, ms(ttl)).Text()
	if err != nil {
		return "", false, fmt.Errorf("redis: claiming a ticket: %w", err)
	}
	return holder, holder == staff, nil
}

// Unclaim implements handoff.Store.
func (h *Handoff) Unclaim(ctx context.Context, code string) error {
	if err := h.c.Del(ctx, h.holderKey(code)).Err(); err != nil {
		return fmt.Errorf("redis: releasing a ticket: %w", err)
	}
	return nil
}

// Queue implements handoff.Store: the queued codes by creation time, less those whose ticket
// has expired (they are dropped from the queue on the way).
func (h *Handoff) Queue(ctx context.Context) ([]string, error) {
	codes, err := h.c.ZRange(ctx, h.queueKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: reading the queue: %w", err)
	}
	if len(codes) == 0 {
		return nil, nil
	}
	pipe := h.c.Pipeline()
	exists := make([]*goredis.IntCmd, len(codes))
	for i, c := range codes {
		exists[i] = pipe.Exists(ctx, h.ticketKey(c))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("redis: reading the queue: %w", err)
	}
	var out []string
	var gone []any
	for i, c := range codes {
		if exists[i].Val() > 0 {
			out = append(out, c)
		} else {
			gone = append(gone, c)
		}
	}
	if len(gone) > 0 {
		if err := h.c.ZRem(ctx, h.queueKey(), gone...).Err(); err != nil {
			return nil, fmt.Errorf("redis: pruning the queue: %w", err)
		}
	}
	return out, nil
}

// DayVisits implements handoff.Store: the day's index, each ticket read back. Codes whose ticket
// is gone are dropped from the index on the way (codes are never reused); a ticket moved to
// another day is only skipped, since it may be moving back, and leaves with the index's TTL.
func (h *Handoff) DayVisits(ctx context.Context, day string) ([]*handoff.Ticket, error) {
	key := h.dayKey(day)
	codes, err := h.c.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: reading the day's visits: %w", err)
	}
	if len(codes) == 0 {
		return nil, nil
	}
	pipe := h.c.Pipeline()
	gets := make([]*goredis.StringCmd, len(codes))
	for i, c := range codes {
		gets[i] = pipe.Get(ctx, h.ticketKey(c))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: reading the day's visits: %w", err)
	}
	var out []*handoff.Ticket
	var gone []any
	for i, c := range codes {
		b, err := gets[i].Bytes()
		if errors.Is(err, goredis.Nil) {
			gone = append(gone, c)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("redis: reading the day's visits: %w", err)
		}
		var t handoff.Ticket
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("redis: reading the day's visits: %w", err)
		}
		if t.VisitDay() == day {
			out = append(out, &t)
		}
	}
	if len(gone) > 0 {
		if err := h.c.ZRem(ctx, key, gone...).Err(); err != nil {
			return nil, fmt.Errorf("redis: pruning the day's visits: %w", err)
		}
	}
	return out, nil
}

// SetRoute implements handoff.Store.
func (h *Handoff) SetRoute(ctx context.Context, user string, sealed []byte, ttl time.Duration) error {
	if err := checkUser(user); err != nil {
		return err
	}
	if err := h.c.Set(ctx, h.s.UserKey(user, handoffRouteSuffix), sealed, ttl).Err(); err != nil {
		return fmt.Errorf("redis: storing a route: %w", err)
	}
	return nil
}

// Route implements handoff.Store.
func (h *Handoff) Route(ctx context.Context, user string) ([]byte, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	b, err := h.c.Get(ctx, h.s.UserKey(user, handoffRouteSuffix)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redis: reading a route: %w", err)
	}
	return b, nil
}

// Remind implements handoff.Store: the user's marker and the due set are kept ReminderGrace
// past the due time.
func (h *Handoff) Remind(ctx context.Context, user string, at time.Time) error {
	if err := checkUser(user); err != nil {
		return err
	}
	ttl := max(time.Until(at), 0) + ReminderGrace
	pipe := h.c.Pipeline()
	pipe.Set(ctx, h.s.UserKey(user, handoffRemindSuffix), strconv.FormatInt(at.UnixMilli(), 10), ttl)
	zaddScript.Eval(ctx, pipe, []string{h.remindersKey()}, at.UnixMilli(), user, ms(ttl))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: scheduling a reminder: %w", err)
	}
	return nil
}

// CancelReminder implements handoff.Store.
func (h *Handoff) CancelReminder(ctx context.Context, user string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	pipe := h.c.Pipeline()
	pipe.ZRem(ctx, h.remindersKey(), user)
	pipe.Del(ctx, h.s.UserKey(user, handoffRemindSuffix))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: cancelling a reminder: %w", err)
	}
	return nil
}

// DueReminders implements handoff.Store, earliest first.
func (h *Handoff) DueReminders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	users, err := h.c.ZRangeByScore(ctx, h.remindersKey(), &goredis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: reading due reminders: %w", err)
	}
	return users, nil
}

// ClaimReminder implements handoff.Store: ZREM removes the member for exactly one caller.
func (h *Handoff) ClaimReminder(ctx context.Context, user string) (bool, error) {
	if err := checkUser(user); err != nil {
		return false, err
	}
	n, err := h.c.ZRem(ctx, h.remindersKey(), user).Result()
	if err != nil {
		return false, fmt.Errorf("redis: claiming a reminder: %w", err)
	}
	if n == 1 {
		if err := h.c.Del(ctx, h.s.UserKey(user, handoffRemindSuffix)).Err(); err != nil {
			return true, fmt.Errorf("redis: clearing a reminder: %w", err)
		}
	}
	return n == 1, nil
}

// AddAudit implements handoff.Store: LPUSH, LTRIM to handoff.AuditCap, and the TTL set again.
func (h *Handoff) AddAudit(ctx context.Context, a handoff.Audit, ttl time.Duration) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	pipe := h.c.Pipeline()
	pipe.LPush(ctx, h.auditKey(), b)
	pipe.LTrim(ctx, h.auditKey(), 0, handoff.AuditCap-1)
	pipe.PExpire(ctx, h.auditKey(), ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: writing the audit trail: %w", err)
	}
	return nil
}

// AuditTrail implements handoff.Store.
func (h *Handoff) AuditTrail(ctx context.Context, n int) ([]handoff.Audit, error) {
	if n <= 0 {
		return nil, nil
	}
	vals, err := h.c.LRange(ctx, h.auditKey(), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: reading the audit trail: %w", err)
	}
	out := make([]handoff.Audit, 0, len(vals))
	for _, v := range vals {
		var a handoff.Audit
		if err := json.Unmarshal([]byte(v), &a); err != nil {
			return nil, fmt.Errorf("redis: reading the audit trail: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// EraseUser implements handoff.Store: every ticket of the user (with its claim, its place in the
// queue and in its day's index), then the user's keys in one DEL, then the reminder. The audit
// trail keeps only codes and staff pseudonyms and is left alone.
func (h *Handoff) EraseUser(ctx context.Context, user string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	pipe := h.c.Pipeline()
	latest := pipe.Get(ctx, h.s.UserKey(user, handoffTicketSuffix))
	all := pipe.SMembers(ctx, h.s.UserKey(user, handoffTicketsSuffix))
	posts := pipe.SMembers(ctx, h.s.UserKey(user, handoffPostsSuffix))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return fmt.Errorf("redis: erasing handoff data: %w", err)
	}
	codes := all.Val()
	if c := latest.Val(); c != "" {
		codes = append(codes, c)
	}
	// The tickets say which days' indexes hold the codes.
	days, err := h.visitDays(ctx, codes)
	if err != nil {
		return err
	}
	pipe = h.c.Pipeline()
	for i, c := range codes {
		if days[i] != "" {
			pipe.ZRem(ctx, h.dayKey(days[i]), c)
		}
		pipe.Del(ctx, h.ticketKey(c))
		pipe.Del(ctx, h.holderKey(c))
		pipe.ZRem(ctx, h.queueKey(), c)
	}
	for _, ref := range posts.Val() {
		pipe.Del(ctx, h.postKey(ref))
	}
	pipe.Del(ctx, h.s.UserKey(user, handoffTicketSuffix), h.s.UserKey(user, handoffTicketsSuffix),
		h.s.UserKey(user, handoffRouteSuffix), h.s.UserKey(user, handoffRemindSuffix), h.s.UserKey(user, handoffPostsSuffix))
	pipe.ZRem(ctx, h.remindersKey(), user)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: erasing handoff data: %w", err)
	}
	return nil
}

// visitDays reads the visit day of each ticket ("" for a ticket that is gone or plans no visit).
func (h *Handoff) visitDays(ctx context.Context, codes []string) ([]string, error) {
	days := make([]string, len(codes))
	if len(codes) == 0 {
		return days, nil
	}
	pipe := h.c.Pipeline()
	gets := make([]*goredis.StringCmd, len(codes))
	for i, c := range codes {
		gets[i] = pipe.Get(ctx, h.ticketKey(c))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: erasing handoff data: %w", err)
	}
	for i := range codes {
		b, err := gets[i].Bytes()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("redis: erasing handoff data: %w", err)
		}
		var t handoff.Ticket
		if json.Unmarshal(b, &t) == nil {
			days[i] = t.VisitDay()
		}
	}
	return days, nil
}

var _ handoff.Store = (*Handoff)(nil)

// The service (cmd/returnbot) finds the handoff store of a session store by this method.
var _ interface{ HandoffStore() handoff.Store } = (*Store)(nil)

// EraseSession deletes the user's session and turn log but nothing the handoff keeps: when a user
// blocks the bot, the conversation is dropped while a planned visit's ticket stays for reception
// (handoff.Service.UserBlocked). Erase, "forget me", deletes everything.
func (s *Store) EraseSession(ctx context.Context, user string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	s.cache.drop(user)
	if err := s.c.Del(ctx, s.UserKey(user, SessionSuffix), s.UserKey(user, TurnSuffix)).Err(); err != nil {
		return fmt.Errorf("redis: erasing a session: %w", err)
	}
	return nil
}

// LinkPost implements handoff.Store: the link by ref, and the ref in the user's set (another
// slot, so two commands in one pipeline).
func (h *Handoff) LinkPost(ctx context.Context, user, code, ref string, ttl time.Duration) error {
	if err := checkUser(user); err != nil {
		return err
	}
	if ref == "" || code == "" {
		return errors.New("redis: a staff chat link needs a message and a code")
	}
	refs := h.s.UserKey(user, handoffPostsSuffix)
	pipe := h.c.Pipeline()
	pipe.Set(ctx, h.postKey(ref), code, ttl)
	pipe.SAdd(ctx, refs, ref)
	raiseKeyTTL(ctx, pipe, refs, ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: linking a staff chat message: %w", err)
	}
	return nil
}

// raiseKeyTTL makes key live at least ttl (raised, never lowered), so an early link cannot cut
// short the set of a later one.
func raiseKeyTTL(ctx context.Context, pipe goredis.Pipeliner, key string, ttl time.Duration) {
	raiseTTL.Eval(ctx, pipe, []string{key}, ms(ttl))
}

// raiseTTL sets KEYS[1]'s TTL to ARGV[1] ms unless it is already longer. One key.
var raiseTTL = goredis.NewScript(`local t = redis.call('PTTL', KEYS[1])
if t < 0 or t < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`)

// PostTicket implements handoff.Store.
func (h *Handoff) PostTicket(ctx context.Context, ref string) (string, error) {
	code, err := h.c.Get(ctx, h.postKey(ref)).Result()
	if errors.Is(err, goredis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("redis: reading a staff chat link: %w", err)
	}
	return code, nil
}

// DeleteRoute implements handoff.Store.
func (h *Handoff) DeleteRoute(ctx context.Context, user string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	if err := h.c.Del(ctx, h.s.UserKey(user, handoffRouteSuffix)).Err(); err != nil {
		return fmt.Errorf("redis: deleting a route: %w", err)
	}
	return nil
}
