package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// RedisStats is what Redis did during a run, from INFO on the server.
type RedisStats struct {
	// Commands counts commands Redis executed, those a Lua script runs included (a session write
	// by script is its EVALSHA plus the GET and SET inside). INFO itself is left out.
	Commands int64 `json:"commands"`
	// PerUpdate is Commands divided by the updates sent (warm-up included).
	PerUpdate float64 `json:"commands_per_update"`
	// Calls counts the requests the target's clients sent (one per command or pipeline, a
	// script counting once), when the target counts them; PerUpdate likewise.
	Calls          int64   `json:"calls,omitempty"`
	CallsPerUpdate float64 `json:"calls_per_update,omitempty"`
	// CPUPerUpdate is Redis's CPU time per update.
	CPUPerUpdate Millis `json:"cpu_ms_per_update"`
	// ByCommand counts Commands by command name.
	ByCommand map[string]int64 `json:"by_command"`

	cpu float64 // seconds in all, for Merge
}

// redisSnapshot is INFO commandstats and cpu at one moment.
type redisSnapshot struct {
	calls map[string]int64
	cpu   float64 // seconds
}

func snapshot(ctx context.Context, c goredis.UniversalClient) (*redisSnapshot, error) {
	if c == nil {
		return nil, nil
	}
	s := &redisSnapshot{calls: map[string]int64{}}
	for _, section := range []string{"commandstats", "cpu"} {
		info, err := c.Info(ctx, section).Result()
		if err != nil {
			return nil, fmt.Errorf("loadgen: INFO %s: %w", section, err)
		}
		sc := bufio.NewScanner(strings.NewReader(info))
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
			if !ok {
				continue
			}
			switch {
			case strings.HasPrefix(k, "cmdstat_"):
				// cmdstat_get:calls=3,usec=12,...
				calls, _, _ := strings.Cut(strings.TrimPrefix(v, "calls="), ",")
				n, _ := strconv.ParseInt(calls, 10, 64)
				s.calls[strings.TrimPrefix(k, "cmdstat_")] = n
			case k == "used_cpu_sys" || k == "used_cpu_user":
				f, _ := strconv.ParseFloat(v, 64)
				s.cpu += f
			}
		}
	}
	return s, nil
}

// since is what happened between b and s, per update for n updates.
func (s *redisSnapshot) since(b *redisSnapshot, n int64) *RedisStats {
	r := &RedisStats{ByCommand: map[string]int64{}}
	for name, calls := range s.calls {
		if name == "info" {
			continue
		}
		if d := calls - b.calls[name]; d > 0 {
			r.ByCommand[name] = d
			r.Commands += d
		}
	}
	r.cpu = s.cpu - b.cpu
	r.perUpdate(n)
	return r
}

// perUpdate sets the per-update figures for n updates.
func (r *RedisStats) perUpdate(n int64) {
	if n <= 0 {
		return
	}
	r.PerUpdate = float64(r.Commands) / float64(n)
	r.CPUPerUpdate = Millis(r.cpu * 1e9 / float64(n))
	if r.Calls > 0 {
		r.CallsPerUpdate = float64(r.Calls) / float64(n)
	}
}

// topCommands lists the most executed commands, "name count" each, most first.
func (r *RedisStats) topCommands(n int) []string {
	names := make([]string, 0, len(r.ByCommand))
	for k := range r.ByCommand {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := r.ByCommand[b] - r.ByCommand[a]; d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	if len(names) > n {
		names = names[:n]
	}
	out := make([]string, len(names))
	for i, k := range names {
		out[i] = k + " " + strconv.FormatInt(r.ByCommand[k], 10)
	}
	return out
}

// CallCounter is a go-redis hook that counts the requests a client sends: each command or
// pipeline once, as each costs one round trip.
type CallCounter struct{ n atomic.Int64 }

// CountCalls adds a CallCounter to c and returns it.
func CountCalls(c goredis.UniversalClient) *CallCounter {
	cc := &CallCounter{}
	c.AddHook(cc)
	return cc
}

// Load is the number of requests so far.
func (c *CallCounter) Load() int64 { return c.n.Load() }

// DialHook implements goredis.Hook.
func (c *CallCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }

// ProcessHook implements goredis.Hook.
func (c *CallCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements goredis.Hook.
func (c *CallCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

var _ goredis.Hook = (*CallCounter)(nil)
