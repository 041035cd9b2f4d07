package redis

// The staff workspace's records (bot/staff) next to the sessions.
//
// Keys (Prefix "rb:"; every key carries a TTL):
//
//	rb:sa:<name>       a staff account, JSON (staff.Account), staff.AccountTTL after its last
//	                   change or sign-in
//	rb:sa              the account names, a sorted set scored by each account's expiry (Unix
//	                   ms); expired names are dropped when the list is read
//	rb:ss:<digest>     a signed-in session, JSON (staff.Session), for the idle timeout (never past
//	                   the absolute one); <digest> is the SHA-256 of the cookie, never the cookie
//	rb:sf:<key>        failed sign-ins under a name or an address digest, for the lockout window
//	rb:{<user>}:dm     the conversation relayed on the user's tickets (list of JSON
//	                   staff.Message), for the ticket TTL; at most staff.MaxMessagesPerUser
//	rb:{<user>}:dn     internal notes on the user's tickets, likewise
//	rb:st:<day>        the day's anonymous counters (hash), staff.StatsTTL after the last count
//	rb:setup:<digest>  the one-time setup link's token digest, for an hour

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot/staff"
)

const (
	staffMessagesSuffix = "dm"
	staffNotesSuffix    = "dn"
)

// failScript counts a failure (KEYS[1]) and starts its window (ARGV[1] ms) at the first one.
var failScript = goredis.NewScript(`local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// Staff is the Redis staff.Store. Get it from Store.StaffStore, which also makes Erase remove
// what the workspace keeps of a user.
type Staff struct {
	s *Store
	c goredis.UniversalClient
}

// StaffStore returns the staff workspace's store and registers its per-user keys with Erase.
func (s *Store) StaffStore() *Staff {
	s.AddUserKeys(staffMessagesSuffix, staffNotesSuffix)
	return &Staff{s: s, c: s.c}
}

func (st *Staff) accountKey(name string) string { return st.s.Key("sa:" + name) }

// PutAccount implements staff.Store.
func (st *Staff) PutAccount(ctx context.Context, a staff.Account, ttl time.Duration) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	pipe := st.c.Pipeline()
	pipe.Set(ctx, st.accountKey(a.Name), b, ttl)
	zaddScript.Eval(ctx, pipe, []string{st.s.Key("sa")}, time.Now().Add(ttl).UnixMilli(), a.Name, ms(ttl))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: saving a staff account: %w", err)
	}
	return nil
}

// Account implements staff.Store.
func (st *Staff) Account(ctx context.Context, name string) (*staff.Account, error) {
	var a staff.Account
	ok, err := st.getJSON(ctx, st.accountKey(name), &a)
	if !ok || err != nil {
		return nil, err
	}
	return &a, nil
}

func (st *Staff) getJSON(ctx context.Context, key string, v any) (bool, error) {
	b, err := st.c.Get(ctx, key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("redis: %w", err)
	}
	return true, json.Unmarshal(b, v)
}

// Accounts implements staff.Store.
func (st *Staff) Accounts(ctx context.Context) ([]staff.Account, error) {
	set := st.s.Key("sa")
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	if err := st.c.ZRemRangeByScore(ctx, set, "-inf", now).Err(); err != nil {
		return nil, fmt.Errorf("redis: staff accounts: %w", err)
	}
	names, err := st.c.ZRange(ctx, set, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: staff accounts: %w", err)
	}
	pipe := st.c.Pipeline()
	gets := make([]*goredis.StringCmd, len(names))
	for i, n := range names {
		gets[i] = pipe.Get(ctx, st.accountKey(n))
	}
	if len(names) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
			return nil, fmt.Errorf("redis: staff accounts: %w", err)
		}
	}
	out := []staff.Account{}
	for _, g := range gets {
		b, err := g.Bytes()
		if err != nil {
			continue // removed meanwhile
		}
		var a staff.Account
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteAccount implements staff.Store.
func (st *Staff) DeleteAccount(ctx context.Context, name string) (bool, error) {
	n, err := st.c.Del(ctx, st.accountKey(name)).Result()
	if err != nil {
		return false, fmt.Errorf("redis: deleting a staff account: %w", err)
	}
	if err := st.c.ZRem(ctx, st.s.Key("sa"), name).Err(); err != nil {
		return false, fmt.Errorf("redis: deleting a staff account: %w", err)
	}
	return n == 1, nil
}

// PutSession implements staff.Store.
func (st *Staff) PutSession(ctx context.Context, key string, sess staff.Session, ttl time.Duration) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	if err := st.c.Set(ctx, st.s.Key("ss:"+key), b, ttl).Err(); err != nil {
		return fmt.Errorf("redis: saving a staff session: %w", err)
	}
	return nil
}

// Session implements staff.Store.
func (st *Staff) Session(ctx context.Context, key string) (*staff.Session, error) {
	var sess staff.Session
	ok, err := st.getJSON(ctx, st.s.Key("ss:"+key), &sess)
	if !ok || err != nil {
		return nil, err
	}
	return &sess, nil
}

// DeleteSession implements staff.Store.
func (st *Staff) DeleteSession(ctx context.Context, key string) error {
	return st.c.Del(ctx, st.s.Key("ss:"+key)).Err()
}

// Fail implements staff.Store.
func (st *Staff) Fail(ctx context.Context, key string, window time.Duration) (int, error) {
	n, err := failScript.Run(ctx, st.c, []string{st.s.Key("sf:" + key)}, ms(window)).Int()
	if err != nil {
		return 0, fmt.Errorf("redis: counting a failed sign-in: %w", err)
	}
	return n, nil
}

// Failures implements staff.Store.
func (st *Staff) Failures(ctx context.Context, key string) (int, error) {
	n, err := st.c.Get(ctx, st.s.Key("sf:"+key)).Int()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	return n, err
}

// ClearFailures implements staff.Store.
func (st *Staff) ClearFailures(ctx context.Context, key string) error {
	return st.c.Del(ctx, st.s.Key("sf:"+key)).Err()
}

func (st *Staff) appendTo(ctx context.Context, key string, m staff.Message, ttl time.Duration) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	pipe := st.c.TxPipeline() // one key: a transaction on a cluster too
	pipe.RPush(ctx, key, b)
	pipe.LTrim(ctx, key, -staff.MaxMessagesPerUser, -1)
	pipe.PExpire(ctx, key, ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: saving a workspace message: %w", err)
	}
	return nil
}

func (st *Staff) onTicket(ctx context.Context, key, code string) ([]staff.Message, error) {
	raw, err := st.c.LRange(ctx, key, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: reading workspace messages: %w", err)
	}
	var out []staff.Message
	for _, r := range raw {
		var m staff.Message
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			return nil, err
		}
		if m.Code == code {
			out = append(out, m)
		}
	}
	return out, nil
}

// AddMessage implements staff.Store.
func (st *Staff) AddMessage(ctx context.Context, user string, m staff.Message, ttl time.Duration) error {
	if err := checkUser(user); err != nil {
		return err
	}
	return st.appendTo(ctx, st.s.UserKey(user, staffMessagesSuffix), m, ttl)
}

// Messages implements staff.Store.
func (st *Staff) Messages(ctx context.Context, user, code string) ([]staff.Message, error) {
	return st.onTicket(ctx, st.s.UserKey(user, staffMessagesSuffix), code)
}

// AddNote implements staff.Store.
func (st *Staff) AddNote(ctx context.Context, user string, m staff.Message, ttl time.Duration) error {
	if err := checkUser(user); err != nil {
		return err
	}
	return st.appendTo(ctx, st.s.UserKey(user, staffNotesSuffix), m, ttl)
}

// Notes implements staff.Store.
func (st *Staff) Notes(ctx context.Context, user, code string) ([]staff.Message, error) {
	return st.onTicket(ctx, st.s.UserKey(user, staffNotesSuffix), code)
}

// EraseUser implements staff.Store: both keys share the user's hash tag, so one DEL.
func (st *Staff) EraseUser(ctx context.Context, user string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	return st.c.Del(ctx, st.s.UserKey(user, staffMessagesSuffix), st.s.UserKey(user, staffNotesSuffix)).Err()
}

// AddCounts implements staff.Store.
func (st *Staff) AddCounts(ctx context.Context, day string, counts map[string]int64, ttl time.Duration) error {
	if len(counts) == 0 {
		return nil
	}
	key := st.s.Key("st:" + day)
	pipe := st.c.TxPipeline()
	for k, n := range counts {
		pipe.HIncrBy(ctx, key, k, n)
	}
	pipe.PExpire(ctx, key, ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: adding statistics: %w", err)
	}
	return nil
}

// Counts implements staff.Store.
func (st *Staff) Counts(ctx context.Context, day string) (map[string]int64, error) {
	raw, err := st.c.HGetAll(ctx, st.s.Key("st:"+day)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: reading statistics: %w", err)
	}
	out := make(map[string]int64, len(raw))
	for k, v := range raw {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, nil
}

// PutSetup implements staff.Store.
func (st *Staff) PutSetup(ctx context.Context, digest string, ttl time.Duration) error {
	return st.c.Set(ctx, st.s.Key("setup:"+digest), "1", ttl).Err()
}

// TakeSetup implements staff.Store.
func (st *Staff) TakeSetup(ctx context.Context, digest string) (bool, error) {
	n, err := st.c.Del(ctx, st.s.Key("setup:"+digest)).Result()
	return n == 1, err
}

var _ staff.Store = (*Staff)(nil)
