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
