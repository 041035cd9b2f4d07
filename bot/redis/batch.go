package redis

import (
	"context"
	"errors"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// batcher sends the commands of concurrent callers to Redis together, one pipeline per round
// trip. A command's cost is mostly the write and read system calls around it, on both sides;
// under load many users' small commands share them, while an idle store still sends each command
// at once. Each caller waits for its own command's answer, so callers see no difference.
type batcher struct {
	c    goredis.UniversalClient
	reqs chan *batchReq
	pool sync.Pool
	once sync.Once
	stop chan struct{}
}

// batchSenders is how many pipelines are in flight at once: while they are, new commands gather
// for the next ones.
const batchSenders = 4

// maxBatch bounds one pipeline, so one round trip stays short.
const maxBatch = 128

type batchReq struct {
	ctx  context.Context
	cmd  goredis.Cmder
	done chan struct{}
}

// batchedKey marks the context of a batcher's pipelines, so that the error hook counts their
// failures per command: they are independent commands, not one pipeline of the caller's.
type batchedKey struct{}

func newBatcher(c goredis.UniversalClient) *batcher {
	b := &batcher{c: c, reqs: make(chan *batchReq), stop: make(chan struct{})}
	b.pool.New = func() any { return &batchReq{done: make(chan struct{}, 1)} }
	return b
}

// do sends cmd in the next pipeline and waits for its answer or the end of ctx. It returns the
// command's error, or ctx's when ctx ended first; cmd.Err() holds the result only when do
// returned the command's own error.
func (b *batcher) do(ctx context.Context, cmd goredis.Cmder) error {
	b.once.Do(func() {
		for range batchSenders {
			go b.run()
		}
	})
	r := b.pool.Get().(*batchReq)
	r.ctx, r.cmd = ctx, cmd
	// Unbuffered: a command is handed over only to a sender that will send it.
	select {
	case b.reqs <- r:
		select {
		case <-r.done: // the sender is done with r: it may go back to the pool
		case <-ctx.Done():
			// The answer is still on its way (Redis slow or unreachable): the caller's bound
			// holds. r stays with the sender, whose send to the buffered done channel cannot
			// block, and is left to the collector.
			return ctx.Err()
		}
	case <-ctx.Done():
		cmd.SetErr(ctx.Err())
	case <-b.stop:
		cmd.SetErr(goredis.ErrClosed)
	}
	r.ctx, r.cmd = nil, nil
	b.pool.Put(r)
	return cmd.Err()
}

func (b *batcher) run() {
	batch := make([]*batchReq, 0, maxBatch)
	ctx := context.WithValue(context.Background(), batchedKey{}, true)
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
		case <-b.stop:
			return
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		pipe := b.c.Pipeline()
		sent := 0
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.cmd.SetErr(err)
				continue
			}
			_ = pipe.Process(ctx, r.cmd)
			sent++
		}
		if sent > 0 {
			// Each command's own error is on it; the pipeline's is the first of them.
			_, _ = pipe.Exec(ctx)
		}
		for _, r := range batch {
			r.done <- struct{}{}
		}
	}
}

// close stops the senders; commands asked for afterwards fail with goredis.ErrClosed.
func (b *batcher) close() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
}

// eval runs a script by digest in the next pipeline, loading it with EVAL when the server does not
// have it yet (after a restart, or on a cluster node that has not run it).
func (b *batcher) eval(ctx context.Context, sha, script string, keys []string, args ...any) *goredis.Cmd {
	cmd := goredis.NewCmd(ctx, evalArgs("evalsha", sha, keys, args)...)
	err := b.do(ctx, cmd)
	if err != nil && (errors.Is(err, goredis.ErrNoScript) || goredis.HasErrorPrefix(err, "NOSCRIPT")) {
		cmd = goredis.NewCmd(ctx, evalArgs("eval", script, keys, args)...)
		err = b.do(ctx, cmd)
	}
	if err != nil {
		// A command do gave up waiting for may still be written to: answer with a copy.
		failed := goredis.NewCmd(ctx)
		failed.SetErr(err)
		return failed
	}
	return cmd
}

func evalArgs(name, script string, keys []string, args []any) []any {
	out := make([]any, 0, 3+len(keys)+len(args))
	out = append(out, name, script, len(keys))
	for _, k := range keys {
		out = append(out, k)
	}
	return append(out, args...)
}
