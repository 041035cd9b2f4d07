package whatsapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// TestOtherPhoneNumberCounted: deliveries for another phone_number_id (a wrong
// WHATSAPP_PHONE_NUMBER_ID) reach nobody, are counted as other_number and are logged once per
// OtherNumberLogEvery, without the id, the sender or the text.
func TestOtherPhoneNumberCounted(t *testing.T) {
	var m counted
	e := setup(t, withMetrics(&m))
	const other = "9988776655443"
	for range 3 {
		body := bytes.ReplaceAll(textMsg("SECRET-TEXT hello"), []byte(phoneID), []byte(other))
		if code := e.deliver(t, body); code != 200 {
			t.Fatalf("delivery answered %d", code)
		}
	}
	if got := m.take()["update whatsapp other_number"]; got != 3 {
		t.Errorf("other_number counted %d times, want 3", got)
	}
	if s := e.g.take(); len(s) != 0 || e.a.Stats().Received != 0 {
		t.Fatalf("a delivery for another number reached the bot: %d sends, stats %+v", len(s), e.a.Stats())
	}
	lines := func() int { return strings.Count(e.logs.String(), "another phone number id") }
	if n := lines(); n != 1 {
		t.Fatalf("%d log lines for 3 deliveries within a minute, want 1:\n%s", n, e.logs.String())
	}
	e.clock.add(whatsapp.OtherNumberLogEvery + time.Second)
	e.deliver(t, bytes.ReplaceAll(textMsg("hello"), []byte(phoneID), []byte(other)))
	if n := lines(); n != 2 || !strings.Contains(e.logs.String(), `"deliveries_ignored":3`) {
		t.Fatalf("after the interval: %d lines, want 2, the second counting the 3 since the first:\n%s", n, e.logs.String())
	}
	for _, leak := range []string{other, sender, "SECRET-TEXT"} {
		if strings.Contains(e.logs.String(), leak) {
			t.Errorf("the log carries %q:\n%s", leak, e.logs.String())
		}
	}
	// Our own number still gets through.
	if e.deliver(t, textMsg("hello")); e.a.Stats().Received != 1 {
		t.Fatalf("our own number's message was not handled: %+v", e.a.Stats())
	}
}

// TestMessageTimeClamped: a message's timestamp is believed within MaxMessageAge of receipt; one
// in the future or older is replaced by the time of receipt, so a forged or mis-clocked payload
// cannot date the user's service window (or the bot's sense of "now") where it likes.
func TestMessageTimeClamped(t *testing.T) {
	for _, c := range []struct {
		name   string
		offset time.Duration // of the message's timestamp from the receipt time
		clamp  bool
	}{
		{"a minute ago", -time.Minute, false},
		{"six days ago", -6 * 24 * time.Hour, false},
		{"thirty days ago", -30 * 24 * time.Hour, true},
		{"in a year", 365 * 24 * time.Hour, true},
		{"in an hour", time.Hour, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := whatsapp.NewMemoryWindow()
			e := setup(t, func(cfg *whatsapp.Config) { cfg.Window = w })
			now := e.clock.now()
			sent := now.Add(c.offset).Truncate(time.Second)
			e.deliver(t, textAt("hello", sent))
			got, ok, _ := w.Last(context.Background(), bot.UserKey([]byte("pseudonym-secret"), whatsapp.Channel, sender))
			want := sent
			if c.clamp {
				want = now
			}
			if !ok || !got.Equal(want) {
				t.Errorf("message sent %v from receipt: recorded at %v, want %v", c.offset, got, want)
			}
		})
	}
}

// textAt is a delivery of one text message from sender, timestamped at.
func textAt(text string, at time.Time) []byte {
	msgSeq++
	m := map[string]any{"from": sender, "id": fmt.Sprintf("wamid.at%d", msgSeq), "timestamp": strconv.FormatInt(at.Unix(), 10),
		"type": "text", "text": map[string]any{"body": text}}
	p := map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "1", "changes": []any{
		map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
			"metadata": map[string]any{"phone_number_id": phoneID}, "messages": []any{m}}}}}}}
	b, _ := json.Marshal(p)
	return b
}
