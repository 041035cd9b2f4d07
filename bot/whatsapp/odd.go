package whatsapp

import (
	"strconv"
	"sync/atomic"
	"time"
)

// MaxMessageAge is how old a message's own timestamp may be and still be believed: Meta
// redelivers for up to 7 days. An older one, or one in the future, is a wrong clock or a forged
// payload, and the time of receipt is used instead.
const MaxMessageAge = 7 * 24 * time.Hour

// OtherNumberLogEvery is how often at most the adapter logs that deliveries for another
// phone_number_id were ignored: a wrong WHATSAPP_PHONE_NUMBER_ID ignores every message, and one
// line a minute says so without flooding the log.
const OtherNumberLogEvery = time.Minute

// messageTime is when a message was sent by its timestamp (Unix seconds), or received when that
// is missing, in the future or older than MaxMessageAge.
func messageTime(timestamp string, received time.Time) time.Time {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || sec <= 0 {
		return received
	}
	t := time.Unix(sec, 0)
	if t.After(received) || received.Sub(t) > MaxMessageAge {
		return received
	}
	return t
}

// otherNumber counts a change for a phone number id that is not ours, and logs the count now
// and then. Neither the id nor anything of the messages is logged: the count and the hint are
// enough to find a wrong WHATSAPP_PHONE_NUMBER_ID.
func (a *Adapter) otherNumber() {
	a.cfg.Metrics.Update(Channel, "other_number")
	o := &a.odd
	n := o.otherNumberPending.Add(1)
	now, last := a.cfg.Now().UnixNano(), o.otherNumberLogged.Load()
	if last != 0 && now-last < int64(OtherNumberLogEvery) || !o.otherNumberLogged.CompareAndSwap(last, now) {
		return
	}
	o.otherNumberPending.Add(-n)
	a.cfg.Log.Warn("whatsapp: deliveries for another phone number id were ignored; check WHATSAPP_PHONE_NUMBER_ID against the number in the Meta app",
		"deliveries_ignored", n)
}

// oddCounters are the adapter's counts and log state for odd input (odd.go).
type oddCounters struct {
	otherNumberPending atomic.Int64 // deliveries ignored since the last log line
	otherNumberLogged  atomic.Int64 // when the last line was logged, Unix ns; 0 for never
}
