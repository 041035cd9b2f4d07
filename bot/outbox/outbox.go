// Package outbox is a per-user queue of messages the bot starts itself (a counsellor's answer, a
// visit reminder) for a channel that cannot write to the user first: the web chat page fetches
// its outbox instead. Implementations: bot/inmem (one process) and bot/redis (shared by
// replicas); bot/outbox/outboxtest is the contract both pass.
//
// Delivery is acknowledged, not popped: Fetch returns what is waiting and deletes only what the
// client says it has shown (Seq <= ack). A response lost on a flaky phone connection is therefore
// fetched again, and a client that shows each Seq once shows every message exactly once, in
// order, however many replicas or overlapping requests served it.
package outbox

import (
	"context"
	"time"
)

// MaxItems bounds one user's outbox: pushing more drops the oldest. A page that is never opened
// again must not collect messages without end; fifty is far more than staff send one person.
const MaxItems = 50

// Item is one queued message.
type Item struct {
	// Seq orders a user's items and acknowledges them. It grows with every push (it is about
	// the push time in microseconds, kept above the previous Seq), so it also grows across
	// outboxes that expired and were started again, and a client's last acknowledged Seq never
	// hides a newer message.
	Seq int64
	// Data is the payload as pushed (the web chat stores rendered replies as JSON).
	Data []byte
}

// Outbox keeps the messages waiting for each user, under the user's pseudonym.
type Outbox interface {
	// Push appends data to user's outbox and returns its Seq. The outbox lives ttl after the
	// latest push.
	Push(ctx context.Context, user string, data []byte, ttl time.Duration) (int64, error)
	// Fetch deletes user's items with Seq <= ack and returns the others, oldest first. It is
	// atomic: overlapping calls never lose an item and never reorder them.
	Fetch(ctx context.Context, user string, ack int64) ([]Item, error)
	// Erase deletes user's outbox ("forget me").
	Erase(ctx context.Context, user string) error
}

// NextSeq is the Seq after last for a push at now: now in microseconds, or last+1 when the
// clock has not moved past last (same microsecond, or another replica's clock is behind).
func NextSeq(now time.Time, last int64) int64 {
	return max(now.UnixMicro(), last+1)
}
