package deliver

import (
	"context"
	"errors"
	"time"
)

// ErrFull is Queue.Push's answer when a bounded queue (bot/inmem) holds all it may.
var ErrFull = errors.New("deliver: delivery queue full")

// Queue holds parked items per user, in order, and which users are due when. Implementations:
// bot/inmem (one process; lost on restart) and bot/redis (shared by replicas, kept across
// restarts); bot/deliver/delivertest is the contract both pass. Items are opaque (sealed)
// bytes; two items are never equal, so an item names itself in Pop and Replace.
type Queue interface {
	// Push appends item to user's queue and makes the user due now unless the user is already
	// due or claimed. The queue lives ttl after the latest push.
	Push(ctx context.Context, user string, item []byte, ttl time.Duration) error
	// Len is the number of items waiting for user, the one being sent included.
	Len(ctx context.Context, user string) (int, error)
	// Claim takes a user due at now (or none: "") and leases them until now+lease: no other
	// Claim returns the user before then.
	Claim(ctx context.Context, now time.Time, lease time.Duration) (string, error)
	// Head returns user's first item, nil when the queue is empty.
	Head(ctx context.Context, user string) ([]byte, error)
	// Pop removes user's first item if it is head, and returns how many items are left.
	Pop(ctx context.Context, user string, head []byte) (int, error)
	// Replace puts next in place of user's first item if that is head (the same item, with
	// its tries counted).
	Replace(ctx context.Context, user string, head, next []byte) error
	// Schedule makes a claimed user due at at: after a failed send, or to renew the lease.
	Schedule(ctx context.Context, user string, at time.Time) error
	// Release forgets a claimed user whose queue was found empty. An item pushed meanwhile
	// keeps the user due.
	Release(ctx context.Context, user string) error
	// Hasten makes user due at to if they are still due at from (as Schedule left them, not
	// claimed by anyone since): the platform answers again, so a backoff need not run out.
	Hasten(ctx context.Context, user string, from, to time.Time) error
}

// Durable is implemented by queues that outlive the process (bot/redis): only into those does a
// stopping channel park what it could not send in time.
type Durable interface {
	Durable() bool
}
