package inmem_test

import (
	"context"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/outbox"
	"github.com/returnbot/returnbot/bot/outbox/outboxtest"
)

func TestOutboxContract(t *testing.T) {
	outboxtest.Run(t, func(t *testing.T) (outbox.Outbox, outbox.Outbox) {
		o := inmem.NewOutbox()
		return o, o
	})
}

// TestOutboxSeqSurvivesClockStep: a clock set back (another replica's, or NTP) never makes a
// seq smaller than one already handed out, which would hide the message from the page.
func TestOutboxSeqSurvivesClockStep(t *testing.T) {
	o := inmem.NewOutbox()
	now := time.Date(2027, 3, 29, 12, 0, 0, 0, time.UTC)
	o.SetClock(func() time.Time { return now })
	s1, _ := o.Push(context.Background(), "u", []byte("a"), time.Hour)
	now = now.Add(-time.Minute)
	s2, _ := o.Push(context.Background(), "u", []byte("b"), time.Hour)
	if s2 <= s1 {
		t.Fatalf("seq after the clock went back: %d, before %d", s2, s1)
	}
	if o.Len() != 1 {
		t.Fatalf("Len = %d", o.Len())
	}
	if err := o.Erase(context.Background(), "u"); err != nil || o.Len() != 0 {
		t.Fatalf("after Erase Len = %d, %v", o.Len(), err)
	}
}
