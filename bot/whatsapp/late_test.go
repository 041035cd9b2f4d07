package whatsapp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// lateStore is the in-process store whose first write is applied but reported in doubt
// (bot.UnsureError), as when Redis froze with the write sent and ran it on waking. The spool's
// own tries cannot settle it (the store answers them as down still); the bot's resolver can,
// once open is closed.
type lateStore struct {
	*inmem.Store
	open chan struct{}
	once sync.Once
}

func (s *lateStore) UpdateOnce(ctx context.Context, user, channel, update string, fn func(*bot.Session) error) error {
	first := false
	s.once.Do(func() { first = true })
	err := s.Store.UpdateOnce(ctx, user, channel, update, fn)
	if !first || err != nil {
		return err
	}
	return &bot.UnsureError{Err: errors.New("i/o timeout"), Applied: func(ctx context.Context) (bool, error) {
		// The resolver settles with a bound of seconds; the spool's try has the message's
		// minutes.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) > time.Minute {
			return false, errors.New("store down")
		}
		<-s.open
		return true, nil
	}}
}

// A message whose write was in doubt and turned out applied, settled by the resolver while the
// spool still tries it and the user's next message waits behind it: its replies go out before
// the next message's. They were queued behind it (bot.LateFunc after the spool's try had ended,
// or behind the queued message), so the user read the answer to their second message first.
func TestLateRepliesBeforeNextMessage(t *testing.T) {
	store := &lateStore{Store: inmem.New(time.Hour), open: make(chan struct{})}
	e := setup(t, func(c *whatsapp.Config) { c.Bot = bot.New(testPack(t).Engine, store, nil) })
	ref := setup(t, nil)
	ref.deliver(t, textMsg("/start"))
	ref.deliver(t, textMsg("/language"))
	want := ref.g.take()

	if code := e.post(textMsg("/start")); code != http.StatusServiceUnavailable {
		t.Fatalf("write in doubt: %d, want 503", code)
	}
	if code := e.post(textMsg("/language")); code != http.StatusServiceUnavailable {
		t.Fatalf("behind a held message: %d, want 503", code)
	}
	close(store.open)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	got := e.g.take()
	if len(got) == 0 || fmt.Sprint(path(got[0].Body, "text", "body")) == fmt.Sprint(path(want[0].Body, "text", "body")) {
		t.Fatalf("first send %+v, want the outage notice", got)
	}
	got = got[1:]
	if len(got) != len(want) {
		t.Fatalf("%d sends after the notice, want %d", len(got), len(want))
	}
	for i := range got {
		if fmt.Sprint(got[i].Body["interactive"], got[i].Body["text"]) != fmt.Sprint(want[i].Body["interactive"], want[i].Body["text"]) {
			t.Fatalf("send %d: %+v, want %+v", i, got[i].Body, want[i].Body)
		}
	}
}
