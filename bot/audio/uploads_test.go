package audio_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/audio/audiotest"
)

// TestMemoryIDsContract: the in-process store meets the IDStore contract (bot/redis runs the
// same on a real server).
func TestMemoryIDsContract(t *testing.T) {
	audiotest.RunIDStore(t, func(t *testing.T) (audio.IDStore, audio.IDStore) {
		m := &audio.MemoryIDs{}
		return m, m
	})
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestUploads: a clip is uploaded once; its id is then found in memory, and by another
// replica in the shared store; after the TTL (the platform's limit less a margin) it is
// uploaded again; a replica that copied the id late lets it go at the same moment; Forget
// makes the next send upload; a failed upload keeps nothing.
func TestUploads(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	shared := &audio.MemoryIDs{Now: clk.now}
	clip := &audio.Clip{Lang: "fa", ID: "main.say", Hash: "00112233445566778899aabbccddeeff"}
	var uploads atomic.Int32
	upload := func(context.Context) (string, error) {
		return fmt.Sprintf("media-%d", uploads.Add(1)), nil
	}
	const ttl = 25 * 24 * time.Hour
	a := audio.NewUploads("wa", ttl, shared, clk.now)
	b := audio.NewUploads("wa", ttl, shared, clk.now)

	id, fresh, err := a.ID(ctx, clip, upload)
	if err != nil || !fresh || id != "media-1" {
		t.Fatalf("first: %q %v %v", id, fresh, err)
	}
	if id, fresh, _ := a.ID(ctx, clip, upload); fresh || id != "media-1" {
		t.Errorf("second on the same replica: %q fresh %v", id, fresh)
	}
	clk.add(24 * 24 * time.Hour)
	if id, fresh, _ := b.ID(ctx, clip, upload); fresh || id != "media-1" {
		t.Errorf("other replica, day 24: %q fresh %v", id, fresh)
	}
	clk.add(24*time.Hour + time.Second) // day 25: both copies expire together
	for name, u := range map[string]*audio.Uploads{"a": a, "b": b} {
		if _, fresh, _ := u.ID(ctx, clip, upload); !fresh {
			t.Errorf("%s after the TTL: not uploaded again", name)
		}
		clk.add(ttl + time.Second)
	}
	if n := uploads.Load(); n != 3 {
		t.Errorf("%d uploads, want 3", n)
	}
	before := uploads.Load()
	a.Forget(ctx, clip)
	if _, fresh, _ := a.ID(ctx, clip, upload); !fresh || uploads.Load() != before+1 {
		t.Error("Forget did not lead to an upload")
	}
	// Platforms keep their own ids: the same clip on Telegram is another upload.
	tg := audio.NewUploads("tg", ttl, shared, clk.now)
	if _, fresh, _ := tg.ID(ctx, clip, upload); !fresh {
		t.Error("Telegram reused WhatsApp's id")
	}
	broken := errors.New("graph: 500")
	other := &audio.Clip{Hash: "ffeeddccbbaa99887766554433221100"}
	if _, _, err := a.ID(ctx, other, func(context.Context) (string, error) { return "", broken }); !errors.Is(err, broken) {
		t.Errorf("failed upload: %v", err)
	}
	if _, fresh, _ := a.ID(ctx, other, upload); !fresh {
		t.Error("a failed upload left an id behind")
	}
}

// TestUploadsOnce: replicas' worth of concurrent sends of one new clip upload it once.
func TestUploadsOnce(t *testing.T) {
	u := audio.NewUploads("tg", time.Hour, nil, nil)
	clip := &audio.Clip{Hash: "0123456789abcdef0123456789abcdef"}
	var n atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = u.ID(context.Background(), clip, func(context.Context) (string, error) {
				n.Add(1)
				time.Sleep(time.Millisecond)
				return "file", nil
			})
		}()
	}
	wg.Wait()
	if n.Load() != 1 {
		t.Errorf("%d uploads, want 1", n.Load())
	}
}
