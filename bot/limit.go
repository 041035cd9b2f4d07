package bot

import (
	"context"
	"time"
)

// Limiter paces outgoing messages. bot/inmem limits within one process; bot/redis shares the
// limits across replicas.
type Limiter interface {
	// Reserve takes one token from the bucket named key that refills at perSecond with room for
	// burst, and returns how long to wait before sending (0 to send now).
	Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error)
}

// Bucket is one token bucket a message draws from: it refills at PerSecond with room for Burst.
type Bucket struct {
	Key       string
	PerSecond float64
	Burst     int
}

// Admitter admits requests (a web chat message, an inbox poll) against token buckets. Unlike
// Limiter, which reserves a token in the future for a message that will wait for it, a refused
// request takes nothing: a client hammering while refused does not push its own turn further
// away, and a client that waits what it was told gets through (unless it, or another client
// sharing a bucket, spent the tokens meanwhile). bot/inmem admits within one process, bot/redis
// across replicas.
type Admitter interface {
	// Admit takes one token of every bucket when each has one now, and returns 0. Otherwise it
	// takes none (all or none: a bucket that had a token keeps it) and returns how long until
	// every bucket has one: the Retry-After. Buckets with PerSecond <= 0 do not limit.
	Admit(ctx context.Context, buckets ...Bucket) (time.Duration, error)
}
