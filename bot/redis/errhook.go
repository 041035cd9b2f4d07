package redis

import (
	"context"
	"errors"
	"net"

	goredis "github.com/redis/go-redis/v9"
)

// Names CountErrors reports besides command names.
const (
	// DialCommand is reported for a connection that could not be made. The command that needed
	// it fails too and is reported under its own name, so an outage shows under both.
	DialCommand = "dial"
	// PipelineCommand is reported once for a pipeline (or MULTI/EXEC block) in which any command
	// failed: the pipeline is one round trip, and its commands fail together.
	PipelineCommand = "pipeline"
)

// CountErrors adds a hook to c that calls count with the lower-case name of every command that
// fails ("get", "evalsha", "set"), PipelineCommand for a failed pipeline and DialCommand for a
// failed connection. It never passes keys or arguments, which hold pseudonyms.
//
// Not counted, because they are answers rather than failures: redis.Nil (no such key), NOSCRIPT
// (the first EVALSHA of a script after a restart, followed at once by EVAL), a WATCH conflict
// (TxFailedErr), a context cancelled by the caller (a client that went away, a shutdown), and
// the replies to the handshake of a new connection (see handshake). A deadline that runs out is
// counted: Redis was too slow.
//
// Call it before the client sends its first command. On a Redis Cluster the connections are
// made by one client per node, which the cluster client creates as it meets the nodes; the dial
// hook reaches only the nodes met after this call. Commands are counted by the cluster client
// itself, once each, after its own redirects and retries.
func CountErrors(c goredis.UniversalClient, count func(command string)) {
	h := errHook{count: count}
	c.AddHook(h)
	if cc, ok := c.(*goredis.ClusterClient); ok {
		// The cluster client dials nothing itself; only its node clients do, so they get the dial
		// half alone (their commands are already counted at the cluster level, above).
		cc.OnNewNode(func(node *goredis.Client) { node.AddHook(dialOnly{h}) })
	}
}

// errHook is the goredis.Hook that CountErrors adds.
type errHook struct{ count func(string) }

// DialHook implements goredis.Hook.
func (h errHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if isFailure(err) {
			h.count(DialCommand)
		}
		return conn, err
	}
}

// ProcessHook implements goredis.Hook.
func (h errHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		if isFailure(err) && !handshake[cmd.Name()] {
			h.count(cmd.Name())
		}
		return err
	}
}

// ProcessPipelineHook implements goredis.Hook.
func (h errHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		// The pipeline's error is its first command's error, which may be a harmless redis.Nil
		// in front of a real failure: look at every command.
		if ctx.Value(batchedKey{}) != nil {
			// The store's own batch of independent commands: each counts under its name.
			for _, cmd := range cmds {
				if isFailure(cmd.Err()) && !handshake[cmd.Name()] {
					h.count(cmd.Name())
				}
			}
			return err
		}
		for _, cmd := range cmds {
			if isFailure(cmd.Err()) && !handshake[cmd.Name()] {
				h.count(PipelineCommand)
				break
			}
		}
		return err
	}
}

// dialOnly passes commands through uncounted; see CountErrors.
type dialOnly struct{ h errHook }

// DialHook implements goredis.Hook.
func (d dialOnly) DialHook(next goredis.DialHook) goredis.DialHook { return d.h.DialHook(next) }

// ProcessHook implements goredis.Hook.
func (dialOnly) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }

// ProcessPipelineHook implements goredis.Hook.
func (dialOnly) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// handshake names the commands go-redis sends on a new connection before the caller's command,
// through the same hooks. It tolerates their error replies (CLIENT SETINFO before Redis 7.2,
// HELLO before 6); any other failure fails the caller's command, which is counted.
var handshake = map[string]bool{"hello": true, "client": true, "auth": true, "select": true, "readonly": true}

// isFailure tells a failure of Redis or of the way to it from the answers CountErrors leaves out.
func isFailure(err error) bool {
	switch {
	case err == nil,
		errors.Is(err, goredis.Nil),
		errors.Is(err, context.Canceled),
		errors.Is(err, goredis.TxFailedErr),
		errors.Is(err, goredis.ErrNoScript), goredis.HasErrorPrefix(err, "NOSCRIPT"):
		return false
	}
	return true
}

var (
	_ goredis.Hook = errHook{}
	_ goredis.Hook = dialOnly{}
)
