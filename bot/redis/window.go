package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// WindowSuffix names the key that holds when a WhatsApp user last wrote:
// <prefix>{<user>}:wa, the time in Unix milliseconds. It lives in the user's hash tag and goes
// with Erase.
const WindowSuffix = "wa"

// windowTouchScript stores ARGV[1] (a time in Unix ms) in KEYS[1] with a TTL of ARGV[2] ms unless
// the key already holds a later time, and returns 1 when it wrote. Replicas receive one user's
// messages in any order (Meta retries, parallel webhooks), and a replica that handles an older
// message last must not close a window a newer one opened. An older time leaves the TTL alone:
// the newer write set it, counted from a later moment.
var windowTouchScript = goredis.NewScript(`local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`)

// Window records when each user last wrote, for WhatsApp's 24-hour customer service window
// (it implements whatsapp.Window without importing the adapter). Every replica sees the same
// record, so a replica that did not receive a user's last message still knows the window is
// open. Get it from Store.Window.
type Window struct {
	s   *Store
	ttl int64 // ms
}

// Window returns the shared window record and registers its key with Erase, so that "forget me"
// deletes it. ttl is how long a record is kept after it is written; give the service window plus
// a margin (the time is the message's, a little before the write, and clocks differ), so a
// record never expires while its window is open. Calling it again is harmless.
func (s *Store) Window(ttl time.Duration) *Window {
	s.AddUserKeys(WindowSuffix)
	return &Window{s: s, ttl: ms(ttl)}
}

// Touch records that user wrote at t, unless a later time is recorded already. One round trip.
func (w *Window) Touch(ctx context.Context, user string, t time.Time) error {
	if err := checkUser(user); err != nil {
		return err
	}
	keys := []string{w.s.UserKey(user, WindowSuffix)}
	if err := windowTouchScript.Run(ctx, w.s.c, keys, t.UnixMilli(), w.ttl).Err(); err != nil {
		return fmt.Errorf("redis: recording the service window: %w", err)
	}
	return nil
}

// Last returns when user last wrote; ok is false when nothing is recorded (never, erased, or
// longer ago than the TTL).
func (w *Window) Last(ctx context.Context, user string) (time.Time, bool, error) {
	if err := checkUser(user); err != nil {
		return time.Time{}, false, err
	}
	v, err := w.s.c.Get(ctx, w.s.UserKey(user, WindowSuffix)).Result()
	if errors.Is(err, goredis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("redis: reading the service window: %w", err)
	}
	msec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("redis: service window holds %d bytes that are not a time", len(v))
	}
	return time.UnixMilli(msec), true, nil
}

// Erase forgets user's record; Store.Erase deletes it too, with the user's other keys.
func (w *Window) Erase(ctx context.Context, user string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	if err := w.s.c.Del(ctx, w.s.UserKey(user, WindowSuffix)).Err(); err != nil {
		return fmt.Errorf("redis: erasing the service window: %w", err)
	}
	return nil
}
