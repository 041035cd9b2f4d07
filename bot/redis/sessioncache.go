package redis

import "sync"

// sessionCache keeps the stored value (session and write stamp) of the sessions this process
// wrote or read last, so that the next update of the same user skips the read: the session
// script writes only if the stored value still ends in the stamp the cached one ends in, and on
// a conflict (another replica wrote, the session expired or was erased) it returns the value that
// is there, so a stale entry costs the same single retry a conflict always costs, never a lost
// write. Bounded: past max entries an eighth of them, arbitrary ones, make room.
type sessionCache struct {
	mu  sync.Mutex
	m   map[string]string
	max int
}

// sessionCacheMax bounds the cached sessions (a few hundred bytes each).
const sessionCacheMax = 1 << 14

func newSessionCache(max int) *sessionCache {
	return &sessionCache{m: map[string]string{}, max: max}
}

func (c *sessionCache) get(user string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[user]
	return v, ok
}

func (c *sessionCache) put(user, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[user]; !ok && len(c.m) >= c.max {
		for u := range c.m {
			delete(c.m, u)
			if len(c.m) < c.max*7/8 {
				break
			}
		}
	}
	c.m[user] = v
}

func (c *sessionCache) drop(user string) {
	c.mu.Lock()
	delete(c.m, user)
	c.mu.Unlock()
}
