package audio

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
)

// IDStore keeps the ids platforms give uploaded recordings (a Telegram file_id, a WhatsApp
// media id), shared by replicas: bot/redis implements it, MemoryIDs in one process. Keys name
// a platform and a clip's Hash, never a user; every entry expires.
type IDStore interface {
	// MediaID returns the id stored under key; ok is false when there is none (or it expired).
	MediaID(ctx context.Context, key string) (id string, ok bool, err error)
	// SetMediaID stores id under key for ttl.
	SetMediaID(ctx context.Context, key, id string, ttl time.Duration) error
	// DropMediaID forgets key (the platform refused the id).
	DropMediaID(ctx context.Context, key string) error
}

// MemoryIDs is an IDStore in process memory. Its clock can be set, for tests of expiry.
type MemoryIDs struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
	m  map[string]memoryID
}

type memoryID struct {
	id      string
	expires time.Time
}

// maxMemoryIDs bounds MemoryIDs: one entry per recording and platform, so a library of a few
// hundred recordings never comes near it; a bound is there all the same.
const maxMemoryIDs = 10000

func (m *MemoryIDs) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// MediaID implements IDStore.
func (m *MemoryIDs) MediaID(_ context.Context, key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[key]
	if !ok || !m.now().Before(e.expires) {
		return "", false, nil
	}
	return e.id, true, nil
}

// SetMediaID implements IDStore.
func (m *MemoryIDs) SetMediaID(_ context.Context, key, id string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]memoryID{}
	}
	now := m.now()
	if len(m.m) >= maxMemoryIDs {
		for k, e := range m.m {
			if !now.Before(e.expires) || len(m.m) >= maxMemoryIDs {
				delete(m.m, k)
			}
		}
	}
	m.m[key] = memoryID{id: id, expires: now.Add(ttl)}
	return nil
}

// DropMediaID implements IDStore.
func (m *MemoryIDs) DropMediaID(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, key)
	return nil
}

// Uploads finds a platform's id for a clip: in this process's memory first, then in the shared
// store, and only then by uploading, once per clip at a time. Every id is kept for TTL, which
// the channel sets inside the platform's own limit, so an id is replaced before the platform
// forgets it.
type Uploads struct {
	// Platform prefixes the keys ("tg", "wa").
	Platform string
	// TTL is how long an id is used after its upload.
	TTL time.Duration
	// Shared is the store replicas share; nil keeps ids in this process only.
	Shared IDStore

	local MemoryIDs
	mu    sync.Mutex
	busy  map[string]*sync.Mutex
}

// NewUploads returns Uploads for a platform; now is the clock of the in-process copy (nil:
// time.Now).
func NewUploads(platform string, ttl time.Duration, shared IDStore, now func() time.Time) *Uploads {
	u := &Uploads{Platform: platform, TTL: ttl, Shared: shared, busy: map[string]*sync.Mutex{}}
	u.local.Now = now
	return u
}

// Key is the store key of a clip's id on this platform.
func (u *Uploads) Key(c *Clip) string { return "media:" + u.Platform + ":" + c.Hash }

// ID returns the platform's id for clip, calling upload when none is kept. fresh reports that
// upload ran. A failing shared store is skipped: the clip is uploaded again, which costs an
// upload but loses no message.
func (u *Uploads) ID(ctx context.Context, c *Clip, upload func(context.Context) (string, error)) (id string, fresh bool, err error) {
	key := u.Key(c)
	if id, ok, _ := u.local.MediaID(ctx, key); ok {
		return id, false, nil
	}
	lock := u.lock(key)
	lock.Lock()
	defer lock.Unlock()
	if id, ok, _ := u.local.MediaID(ctx, key); ok {
		return id, false, nil // uploaded while this call waited
	}
	now := u.local.now()
	if u.Shared != nil {
		if v, ok, err := u.Shared.MediaID(ctx, key); err == nil && ok {
			// The shared value carries the upload's expiry, so the copy here expires with it
			// and never outlives the platform's limit.
			if exp, id, ok := decodeShared(v); ok && now.Before(exp) {
				_ = u.local.SetMediaID(ctx, key, id, exp.Sub(now))
				return id, false, nil
			}
		}
	}
	id, err = upload(ctx)
	if err != nil {
		return "", false, err
	}
	if id == "" {
		return "", true, nil // done, but with no id to keep (the upload was the message)
	}
	_ = u.local.SetMediaID(ctx, key, id, u.TTL)
	if u.Shared != nil {
		_ = u.Shared.SetMediaID(ctx, key, encodeShared(now.Add(u.TTL), id), u.TTL)
	}
	return id, true, nil
}

// Forget drops a clip's id everywhere (the platform refused it), so the next ID uploads again.
func (u *Uploads) Forget(ctx context.Context, c *Clip) {
	key := u.Key(c)
	_ = u.local.DropMediaID(ctx, key)
	if u.Shared != nil {
		_ = u.Shared.DropMediaID(ctx, key)
	}
}

// encodeShared is an id as the shared store keeps it: "<expiry in Unix seconds> <id>".
func encodeShared(exp time.Time, id string) string {
	return strconv.FormatInt(exp.Unix(), 10) + " " + id
}

func decodeShared(v string) (time.Time, string, bool) {
	sec, id, ok := strings.Cut(v, " ")
	n, err := strconv.ParseInt(sec, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", false
	}
	return time.Unix(n, 0), id, true
}

func (u *Uploads) lock(key string) *sync.Mutex {
	u.mu.Lock()
	defer u.mu.Unlock()
	l := u.busy[key]
	if l == nil {
		l = new(sync.Mutex)
		u.busy[key] = l
	}
	return l
}
