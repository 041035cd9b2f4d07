package telegram_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/storetest"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// TestPollingRestart: a second poller continues after the last handled update and handles
// nothing twice.
func TestPollingRestart(t *testing.T) {
	srv := telegramtest.NewServer(t)
	store := inmem.New(0)
	h1 := startWith(t, polling, srv, store)
	// deleteWebhook before polling: getUpdates is refused while a webhook is set.
	if c := srv.Calls(); len(c) < 2 || c[1].Method != "deleteWebhook" {
		t.Errorf("calls:%s", telegramtest.Summary(c))
	}
	for i, txt := range []string{"/start", "/menu", "/menu"} {
		h1.turn(int64(100+i), msg(0, int64(100+i), "en", txt))
	}
	sentBefore := len(srv.Calls("sendMessage"))
	if err := h1.stop(); err != nil {
		t.Fatal(err)
	}
	if n := srv.Pending(); n != 0 {
		t.Fatalf("%d updates not confirmed at stop", n)
	}

	h2 := startWith(t, polling, srv, store)
	got := h2.turn(200, msg(0, 200, "en", "/start"))
	if len(got) == 0 {
		t.Fatal("second poller did not answer a new update")
	}
	if s := h2.ad.Stats(); s.Received != 1 || s.Duplicates != 0 {
		t.Errorf("second poller stats %+v: want exactly the one new update", s)
	}
	if n := len(srv.Calls("sendMessage")) - sentBefore - len(got) - 1; n != 0 { // - the marker
		t.Errorf("%d extra messages after the restart", n)
	}
	// Offsets were increasing and never went back.
	var last int64
	for _, c := range srv.Calls("getUpdates") {
		if o := c.ChatID(); o != 0 {
			t.Fatal("getUpdates with a chat_id?")
		}
		if off := atoi(c.Params["offset"]); off != 0 {
			if off < last {
				t.Errorf("offset went back from %d to %d", last, off)
			}
			last = off
		}
	}
}

// TestPollingCrashRedelivery: when the last batch could not be confirmed (a crash, or the Bot
// API failing at that moment), the next poller gets it again and the store's dedupe drops it.
func TestPollingCrashRedelivery(t *testing.T) {
	srv := telegramtest.NewServer(t)
	store := inmem.New(0)
	srv.LoseConfirmations(true)
	h1 := startWith(t, polling, srv, store)
	h1.srv.Push(msg(0, 300, "en", "/start"))
	h1.srv.Push(msg(0, 301, "en", "/start"))
	h1.waitSent(300, 1)
	h1.waitSent(301, 1)
	if err := h1.stop(); err != nil {
		t.Fatal(err)
	}
	if n := srv.Pending(); n != 2 {
		t.Fatalf("%d pending, want the 2 unconfirmed", n)
	}
	srv.LoseConfirmations(false)
	h2 := startWith(t, polling, srv, store)
	h2.settle(300)
	h2.settle(301)
	waitPending(t, srv)
	// Only the two markers are sent: the redelivered updates are dropped as duplicates.
	waitStats(t, h2, func(s statsT) bool { return s.Duplicates == 2 && s.Sent == 2 && s.Received == 2 })
}

// TestPollingBadUpdate: an update with unexpected field types is skipped, the offset moves past
// it, and the next update is handled.
func TestPollingBadUpdate(t *testing.T) {
	h := start(t, polling)
	h.srv.Push([]byte(`{"update_id": 1, "message": {"chat": "not an object", "text": 5}}`))
	got := h.turn(55, msg(0, 55, "en", "/start"))
	if len(got) == 0 {
		t.Fatal("update after a bad one not answered")
	}
	if s := h.ad.Stats(); s.Malformed != 1 || s.Received != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestPollingTransientErrors: getUpdates failing (5xx, 429, an HTML error page) is retried.
func TestPollingTransientErrors(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.Fail("getUpdates", 0, 1, telegramtest.Fault{Code: 500})
	srv.Fail("getUpdates", 0, 1, telegramtest.Fault{Code: 502, HTML: true})
	srv.Fail("getUpdates", 0, 1, telegramtest.Fault{Code: 429, RetryAfter: 1})
	h := startWith(t, polling, srv, nil)
	if got := h.turn(56, msg(0, 56, "en", "/start")); len(got) == 0 {
		t.Fatal("no answer after getUpdates errors")
	}
	polls := srv.Calls("getUpdates")
	if len(polls) < 4 || polls[2].Status != 429 {
		t.Fatalf("getUpdates calls:%s", telegramtest.Summary(polls))
	}
	if d := polls[3].Time.Sub(polls[2].Time); d < time.Second {
		t.Errorf("getUpdates retried %v after a 429 with retry_after 1", d)
	}
	if strings.Contains(h.logs.String(), telegramtest.Token) {
		t.Error("the token reached the log")
	}
}

func waitPending(t *testing.T, srv *telegramtest.Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("updates never confirmed")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func atoi(s string) int64 {
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// TestPollingStoreOutage: updates polled while the store fails are not confirmed; the poller asks
// for them again, backing off, and once the store is back handles each once, in order. The user
// is told of the outage once.
func TestPollingStoreOutage(t *testing.T) {
	srv := telegramtest.NewServer(t)
	store := &storetest.Outage{Store: inmem.New(0)}
	h := startWith(t, polling, srv, store)
	const chat = 310
	h.turn(chat, msg(0, chat, "en", "/start"))
	before := len(h.sent(chat))

	ref := start(t, polling)
	for _, txt := range []string{"/start", "where is the office", "/menu"} {
		ref.turn(chat, msg(0, chat, "en", txt))
	}
	want := texts(ref.sent(chat)[before:])

	store.Down.Store(true)
	srv.Push(msg(0, chat, "en", "where is the office"))
	srv.Push(msg(0, chat, "en", "/menu"))
	time.Sleep(300 * time.Millisecond)
	if n := srv.Pending(); n != 2 {
		t.Fatalf("%d updates pending while the store is down, want both unconfirmed", n)
	}
	notice := text(t, "en", bot.MsgUnavailable)
	if got := texts(h.sent(chat)[before:]); !slices.Equal(got, []string{notice}) {
		t.Fatalf("while the store is down the chat got %q, want the outage notice once", got)
	}
	if polls := len(srv.Calls("getUpdates")); polls > 20 {
		t.Errorf("%d getUpdates calls in 300 ms of outage: the poller does not back off", polls)
	}
	store.Down.Store(false)
	waitPending(t, srv)
	got := texts(h.waitSent(chat, before+1+len(want))[before+1:])
	if !slices.Equal(got, want) {
		t.Fatalf("after the outage:\n got %q\nwant %q", got, want)
	}
	h.settle(chat)
	if n := len(h.sent(chat)); n != before+1+len(want) {
		t.Errorf("%d messages, want %d: an update was handled twice", n, before+1+len(want))
	}
}
