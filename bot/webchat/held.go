package webchat

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// A counsellor's medium for a web chat user cannot be pushed to the page, and nothing of a
// medium may be stored (Redis, disk). So it is held here, in this process's memory only, for a
// short time, under a random token bound to the user: the page's next poll brings a message
// naming the token, and the page fetches the bytes once (POST /webchat/api/media with its own
// browser id). A restart, the expiry or the one fetch ends it.

// Limits of the media held for pages.
const (
	// HeldTTL is how long a medium waits for the page to fetch it.
	HeldTTL = 10 * time.Minute
	// MaxHeldCount is the most media held at once, for all users together.
	MaxHeldCount = 64
	// MaxHeldBytes is the most bytes held at once, for all users together.
	MaxHeldBytes = 64 << 20
)

// errHeldFull says the holder has no room: the counsellor is told the medium was not
// delivered, rather than another user's medium being dropped unseen.
var errHeldFull = errors.New("webchat: no room to hold the medium")

type heldMedium struct {
	user    string
	mime    string
	data    []byte
	expires time.Time
}

// heldMedia is the in-memory holder, bounded by count and bytes.
type heldMedia struct {
	now      func() time.Time
	maxCount int
	maxBytes int64

	mu    sync.Mutex
	items map[string]*heldMedium
	bytes int64
}

func newHeldMedia(now func() time.Time, maxCount int, maxBytes int64) *heldMedia {
	return &heldMedia{now: now, maxCount: maxCount, maxBytes: maxBytes, items: map[string]*heldMedium{}}
}

// put holds data for user and returns its token (32 random bytes, base64url).
func (hm *heldMedia) put(user, mime string, data []byte) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	hm.mu.Lock()
	defer hm.mu.Unlock()
	hm.expireLocked()
	if len(hm.items) >= hm.maxCount || hm.bytes+int64(len(data)) > hm.maxBytes {
		return "", errHeldFull
	}
	hm.items[token] = &heldMedium{user: user, mime: mime, data: data, expires: hm.now().Add(HeldTTL)}
	hm.bytes += int64(len(data))
	return token, nil
}

// take hands out the medium under token if it is user's and not expired, and forgets it.
// Anything else (another user's token, an unknown or expired one) is the same "not found".
func (hm *heldMedia) take(user, token string) (mime string, data []byte, ok bool) {
	hm.mu.Lock()
	defer hm.mu.Unlock()
	hm.expireLocked()
	m := hm.items[token]
	if m == nil || m.user != user {
		return "", nil, false
	}
	hm.dropLocked(token, m)
	return m.mime, m.data, true
}

// erase forgets every medium held for user (/forget).
func (hm *heldMedia) erase(user string) {
	hm.mu.Lock()
	defer hm.mu.Unlock()
	for token, m := range hm.items {
		if m.user == user {
			hm.dropLocked(token, m)
		}
	}
}

// size is how many media and bytes are held.
func (hm *heldMedia) size() (int, int64) {
	hm.mu.Lock()
	defer hm.mu.Unlock()
	hm.expireLocked()
	return len(hm.items), hm.bytes
}

func (hm *heldMedia) expireLocked() {
	now := hm.now()
	for token, m := range hm.items {
		if !now.Before(m.expires) {
			hm.dropLocked(token, m)
		}
	}
}

func (hm *heldMedia) dropLocked(token string, m *heldMedium) {
	delete(hm.items, token)
	hm.bytes -= int64(len(m.data))
}
