package bot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/storetest"
)

// While the store fails, each user gets the outage notice once, however often the platform
// delivers the message again; a store that answers for a moment and fails again is the same
// outage. The message is acted on when the store takes it.
func TestOutageNoticeOncePerUser(t *testing.T) {
	store := &storetest.Outage{Store: inmem.New(time.Hour)}
	b := bot.New(testPack(t).Engine, store, nil)
	ctx := context.Background()
	ev := func(user, update string) bot.Event {
		e := text("/start")
		e.Channel, e.User, e.Lang, e.Update = "web", user, "en", update
		return e
	}
	store.Down.Store(true)
	for i, c := range []struct {
		user    string
		notices int
	}{{"a", 1}, {"a", 0}, {"b", 1}, {"a", 0}, {"b", 0}} {
		replies, err := b.Handle(ctx, ev(c.user, "u-"+c.user))
		if err == nil {
			t.Fatalf("delivery %d: no error while the store fails", i)
		}
		if len(replies) != c.notices {
			t.Fatalf("delivery %d (user %s): %d replies, want %d", i, c.user, len(replies), c.notices)
		}
	}
	// A flap: one write goes through, then the store fails again.
	store.Down.Store(false)
	if _, err := b.Handle(ctx, ev("c", "u-c")); err != nil {
		t.Fatal(err)
	}
	store.Down.Store(true)
	if replies, _ := b.Handle(ctx, ev("a", "u-a2")); len(replies) != 0 {
		t.Fatalf("same outage after a flap: %+v, want no second notice", replies)
	}
	store.Down.Store(false)
	replies, err := b.Handle(ctx, ev("a", "u-a"))
	if err != nil || len(replies) == 0 {
		t.Fatalf("redelivery after the outage: %v %+v, want the answer", err, replies)
	}
	if _, err := b.Handle(ctx, ev("a", "u-a")); !errors.Is(err, bot.ErrDuplicate) {
		t.Fatalf("second redelivery: %v, want a duplicate", err)
	}
}
