package audiotest

import (
	"context"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/audio"
)

// RunIDStore is the contract every audio.IDStore meets: what is set is read back (by another
// client of the same store too), a key can be overwritten and dropped, and an unknown key is
// simply absent. newStores returns two clients of one fresh, empty store.
func RunIDStore(t *testing.T, newStores func(t *testing.T) (a, b audio.IDStore)) {
	ctx := context.Background()
	t.Run("set and read", func(t *testing.T) {
		a, b := newStores(t)
		if _, ok, err := a.MediaID(ctx, "media:tg:00"); ok || err != nil {
			t.Fatalf("empty store: ok %v err %v", ok, err)
		}
		if err := a.SetMediaID(ctx, "media:tg:00", "AwACAgQAAxkBAAIBQ2", time.Hour); err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string]audio.IDStore{"same client": a, "other client": b} {
			if id, ok, err := s.MediaID(ctx, "media:tg:00"); !ok || err != nil || id != "AwACAgQAAxkBAAIBQ2" {
				t.Errorf("%s: %q %v %v", name, id, ok, err)
			}
		}
		if _, ok, _ := b.MediaID(ctx, "media:wa:00"); ok {
			t.Error("a key of another platform is found")
		}
	})
	t.Run("overwrite and drop", func(t *testing.T) {
		a, b := newStores(t)
		_ = a.SetMediaID(ctx, "media:wa:11", "1000000000000001", time.Hour)
		_ = b.SetMediaID(ctx, "media:wa:11", "1000000000000002", time.Hour)
		if id, _, _ := a.MediaID(ctx, "media:wa:11"); id != "1000000000000002" {
			t.Errorf("after overwrite: %q", id)
		}
		if err := b.DropMediaID(ctx, "media:wa:11"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := a.MediaID(ctx, "media:wa:11"); ok {
			t.Error("dropped id still there")
		}
		if err := a.DropMediaID(ctx, "media:wa:nothing"); err != nil {
			t.Errorf("dropping an absent key: %v", err)
		}
	})
}
