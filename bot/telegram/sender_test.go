package telegram_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

func texts(calls []telegramtest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Params["text"])
	}
	return out
}

func numbered(prefix string, n int) []bot.Reply {
	var rs []bot.Reply
	for i := 1; i <= n; i++ {
		// A button each, so that they stay separate messages (render merges plain texts).
		rs = append(rs, bot.Reply{Text: fmt.Sprintf("%s %d", prefix, i), Buttons: []bot.Button{{Label: "OK", Data: "ok"}}})
	}
	return rs
}

// TestSendOrderUnderFaults: with 500s, an HTML 502, timeouts of the connection and 429s in
// between, every chat still gets its messages once each, in order, and 429's retry_after is
// honoured (measured on the fake server's clock).
func TestSendOrderUnderFaults(t *testing.T) {
	const a, b = 501, 502
	h := start(t, webhook, func(c *telegram.Config) { c.MaxAttempts = 4 })
	h.srv.Fail("sendMessage", a, 1, telegramtest.Fault{Code: 500})
	h.srv.Fail("sendMessage", a, 1, telegramtest.Fault{Code: 429, RetryAfter: 1})
	h.srv.Fail("sendMessage", a, 1, telegramtest.Fault{Code: 502, HTML: true})
	h.srv.Fail("sendMessage", b, 1, telegramtest.Fault{Code: 429, RetryAfter: 1})
	h.srv.Fail("sendMessage", b, 1, telegramtest.Fault{Code: 500})
	h.srv.Fail("sendMessage", b, 1, telegramtest.Fault{Code: 500})
	h.srv.Fail("sendMessage", b, 1, telegramtest.Fault{Code: 503})
	h.ad.Send(a, key(a), numbered("a", 6))
	h.ad.Send(b, key(b), numbered("b", 3))
	h.ad.Send(b, key(b), numbered("c", 3))
	gotA, gotB := h.waitSent(a, 6), h.waitSent(b, 6)
	if want := texts(h.sentFrom(numbered("a", 6))); !slices.Equal(texts(gotA), want) {
		t.Errorf("chat a got %q, want %q", texts(gotA), want)
	}
	if want := append(texts(h.sentFrom(numbered("b", 3))), texts(h.sentFrom(numbered("c", 3)))...); !slices.Equal(texts(gotB), want) {
		t.Errorf("chat b got %q, want %q", texts(gotB), want)
	}
	for _, chat := range []int64{a, b} {
		calls := sendsTo(h.srv, chat)
		for i, c := range calls {
			if c.Status == 429 {
				if i+1 >= len(calls) {
					t.Fatalf("chat %d: no retry after the 429", chat)
				}
				if d := calls[i+1].Time.Sub(c.Time); d < time.Second {
					t.Errorf("chat %d: retried %v after a 429 with retry_after 1", chat, d)
				}
			}
		}
	}
	waitStats(t, h, func(s statsT) bool { return s.Sent == 12 })
	if s := h.ad.Stats(); s.Retries != 7 || s.Undeliverable != 0 {
		t.Errorf("stats %+v: want 7 retries, nothing lost", s)
	}
}

// sentFrom is the texts a list of replies becomes (for want lists).
func (h *harness) sentFrom(rs []bot.Reply) []telegramtest.Call {
	var out []telegramtest.Call
	for _, r := range rs {
		out = append(out, telegramtest.Call{Params: map[string]string{"text": r.Text}})
	}
	return out
}

// TestSendQueuesPastTheRetries: a message that keeps failing past MaxAttempts is not given up
// on: it waits in the delivery queue and arrives, before the chat's next message; a refused one
// (400) is not retried, and is counted and logged (pseudonym only), and the chat's next message
// goes out.
func TestSendQueuesPastTheRetries(t *testing.T) {
	const c, d = 601234567, 602345678
	h := start(t, webhook, func(cfg *telegram.Config) { cfg.MaxAttempts = 3 })
	h.srv.Fail("sendMessage", c, 3, telegramtest.Fault{Code: 500})
	h.srv.Fail("sendMessage", d, 1, telegramtest.Fault{Code: 400, Description: "Bad Request: chat not found"})
	ok := []bot.Button{{Label: "OK", Data: "ok"}} // separate messages, not merged
	h.ad.Send(c, key(c), []bot.Reply{{Text: "text-queued-xyz", Buttons: ok}, {Text: "kept"}})
	h.ad.Send(d, key(d), []bot.Reply{{Text: "text-refused-xyz", Buttons: ok}, {Text: "kept"}})
	if got := texts(h.waitSent(c, 2)); !slices.Equal(got, []string{"text-queued-xyz", "kept"}) {
		t.Errorf("chat c got %q", got)
	}
	if got := texts(h.waitSent(d, 1)); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("chat d got %q", got)
	}
	if n := len(sendsTo(h.srv, c)); n != 5 {
		t.Errorf("chat c: %d attempts, want 3 for the failing message, 1 from the queue and 1 for the next", n)
	}
	if n := len(sendsTo(h.srv, d)); n != 2 {
		t.Errorf("chat d: %d attempts, want the refused message tried once", n)
	}
	waitStats(t, h, func(s statsT) bool { return s.Undeliverable == 1 && s.Sent == 3 && s.Queued >= 1 })
	h.stop()
	logs := h.logs.String()
	if !strings.Contains(logs, key(d)) || !strings.Contains(logs, "undeliverable") {
		t.Errorf("the refused message was not logged with the pseudonym:\n%s", logs)
	}
	for _, leak := range []string{"601234567", "602345678", "-xyz"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log carries %q:\n%s", leak, logs)
		}
	}
}

// recordingLimiter wraps a limiter and records the keys asked for.
type recordingLimiter struct {
	mu   sync.Mutex
	keys map[string]int
	next bot.Limiter
}

func (r *recordingLimiter) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	r.mu.Lock()
	r.keys[key]++
	r.mu.Unlock()
	return r.next.Reserve(ctx, key, perSecond, burst)
}

// recordingChain is a recordingLimiter whose limiter takes several buckets in one call; it
// counts those calls.
type recordingChain struct {
	*recordingLimiter
	chained int
}

func (r *recordingChain) ReserveAll(ctx context.Context, buckets ...bot.Bucket) (time.Duration, error) {
	r.mu.Lock()
	r.chained++
	for _, b := range buckets {
		r.keys[b.Key]++
	}
	r.mu.Unlock()
	return r.next.(deliver.ChainLimiter).ReserveAll(ctx, buckets...)
}

// failingLimiter is a shared limiter that is down.
type failingLimiter struct{}

func (failingLimiter) Reserve(context.Context, string, float64, int) (time.Duration, error) {
	return 0, fmt.Errorf("redis down")
}

// TestPacing: per-chat and global rates hold (measured on the fake server's clock), through the
// limiter under the keys tg:chat:<pseudonym> and tg:global (Redis's: both in one call per
// message), and without a limiter too.
func TestPacing(t *testing.T) {
	for _, tc := range []struct {
		name string
		lim  bot.Limiter
	}{{"local", nil}, {"limiter down", failingLimiter{}}, {"redis", sharedStore(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chatRate := telegram.Rate{PerSecond: 10, Burst: 1}
			globalRate := telegram.Rate{PerSecond: 20, Burst: 1}
			rec := &recordingLimiter{keys: map[string]int{}, next: tc.lim}
			chain := &recordingChain{recordingLimiter: rec}
			h := start(t, webhook, func(c *telegram.Config) {
				c.ChatRate, c.GlobalRate = chatRate, globalRate
				switch tc.lim.(type) {
				case nil:
				case deliver.ChainLimiter:
					c.Limiter = chain
				default:
					c.Limiter = rec
				}
			})
			chats := []int64{701, 702, 703}
			for _, c := range chats {
				h.ad.Send(c, key(c), numbered("m", 4))
			}
			var all []telegramtest.Call
			for _, c := range chats {
				got := h.waitSent(c, 4)
				// 4 messages at 10/s with no burst: at least 3 intervals of 100ms.
				if d := got[3].Time.Sub(got[0].Time); d < 290*time.Millisecond {
					t.Errorf("chat %d: 4 messages in %v", c, d)
				}
				all = append(all, got...)
			}
			slices.SortFunc(all, func(x, y telegramtest.Call) int { return x.Time.Compare(y.Time) })
			// 12 messages at 20/s overall: at least 11 intervals of 50ms.
			if d := all[11].Time.Sub(all[0].Time); d < 540*time.Millisecond {
				t.Errorf("12 messages in %v overall", d)
			}
			if tc.lim != nil {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				if rec.keys["tg:global"] != 12 || rec.keys["tg:chat:"+key(701)] != 4 {
					t.Errorf("limiter keys %v", rec.keys)
				}
				if _, ok := tc.lim.(deliver.ChainLimiter); ok && chain.chained != 12 {
					t.Errorf("%d calls for 12 messages, want one each", chain.chained)
				}
				for k := range rec.keys {
					if strings.Contains(k, "70") && !strings.Contains(k, key(701)) && !strings.Contains(k, key(702)) && !strings.Contains(k, key(703)) {
						t.Errorf("limiter key %q carries a chat id", k)
					}
				}
			}
		})
	}
}

// TestShutdownDrains: stopping finishes the send queue; with a dead API the drain bound holds and
// what is left is counted.
func TestShutdownDrains(t *testing.T) {
	t.Run("drains", func(t *testing.T) {
		t.Parallel()
		h := start(t, webhook)
		h.srv.Fail("sendMessage", 0, -1, telegramtest.Fault{Delay: 30 * time.Millisecond})
		h.ad.Send(801, key(801), numbered("m", 5))
		h.ad.Send(802, key(802), numbered("m", 5))
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
		if len(h.srv.Sent(801)) != 5 || len(h.srv.Sent(802)) != 5 {
			t.Errorf("after stop: %d and %d of 5 sent", len(h.srv.Sent(801)), len(h.srv.Sent(802)))
		}
		if s := h.ad.Stats(); s.Sent != 10 || s.Undeliverable != 0 {
			t.Errorf("stats %+v", s)
		}
		// Sending after the stop is counted, not lost silently.
		h.ad.Send(801, key(801), numbered("late", 1))
		if s := h.ad.Stats(); s.Undeliverable != 1 {
			t.Errorf("late send: stats %+v", s)
		}
	})
	t.Run("bound", func(t *testing.T) {
		t.Parallel()
		h := start(t, webhook, func(c *telegram.Config) { c.DrainTimeout = 300 * time.Millisecond })
		h.srv.Fail("sendMessage", 0, -1, telegramtest.Fault{Delay: time.Hour})
		h.ad.Send(803, key(803), numbered("m", 3))
		h.srv.WaitFor(5*time.Second, "a send", func([]telegramtest.Call) bool { return true })
		time.Sleep(20 * time.Millisecond)
		began := time.Now()
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(began); d > 3*time.Second {
			t.Errorf("stop took %v with a 300ms drain bound", d)
		}
		if s := h.ad.Stats(); s.Undeliverable != 3 {
			t.Errorf("stats %+v: want the 3 messages counted as undeliverable", s)
		}
	})
}

// TestLongTextAndVenue: a text over 4096 UTF-16 units is split with the buttons on the last
// piece; a venue is sent with sendVenue and carries the buttons of an empty reply after it; an
// office without coordinates is sent as text.
func TestLongTextAndVenue(t *testing.T) {
	h := start(t, webhook)
	para := strings.Repeat("Ord og 😀 setninger. ", 60) // 1260 units
	long := strings.Join([]string{para, para, para, para, para}, "\n\n")
	buttons := []bot.Button{{Label: "Menu", Data: "c|menu"}, {Label: "<b>not html</b> & co", Data: "c|back"}}
	h.ad.Send(901, key(901), []bot.Reply{{Text: long, Buttons: buttons}})
	h.settle(901)
	got := h.sent(901)
	want := telegram.Split(long, telegram.MaxTextUnits)
	if len(want) < 2 || !slices.Equal(texts(got), want) {
		t.Fatalf("sent %d pieces, want the %d of Split", len(got), len(want))
	}
	for i, c := range got {
		if n := telegram.UTF16Len(c.Params["text"]); n > telegram.MaxTextUnits {
			t.Errorf("piece %d has %d units", i, n)
		}
		if kb := c.Keyboard(); (len(kb) > 0) != (i == len(got)-1) {
			t.Errorf("piece %d keyboard %v", i, kb)
		}
	}
	if kb := got[len(got)-1].Keyboard(); kb[1].Text != buttons[1].Label || kb[1].Data != "c|back" {
		t.Errorf("keyboard %v", kb)
	}

	v := &bot.Venue{Name: "IOM Oslo", Address: "Storgata 1, 0155 Oslo", Lat: 59.91, Lon: 10.75}
	h.ad.Send(902, key(902), []bot.Reply{{Venue: v}, {Buttons: buttons}})
	h.ad.Send(902, key(902), []bot.Reply{{Venue: &bot.Venue{Name: "Office", Address: "Street 2"}}})
	h.settle(902)
	got = h.sent(902)
	if len(got) != 2 || got[0].Method != "sendVenue" || got[1].Method != "sendMessage" {
		t.Fatalf("venue sends:%s", telegramtest.Summary(got))
	}
	p := got[0].Params
	if p["title"] != v.Name || p["address"] != v.Address || !near(p["latitude"], 59.91) || !near(p["longitude"], 10.75) || len(got[0].Keyboard()) != 2 {
		t.Errorf("sendVenue %v", p)
	}
	if got[1].Params["text"] != "Office\nStreet 2" {
		t.Errorf("venue without coordinates as %q", got[1].Params["text"])
	}
}

func near(s string, want float64) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f > want-1e-9 && f < want+1e-9
}
