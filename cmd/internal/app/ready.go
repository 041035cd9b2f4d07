package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
	rstore "github.com/returnbot/returnbot/bot/redis"
)

// Readiness timing: the store is probed every readyProbeEvery in the background (and on every
// GET /readyz), and a store that refuses writes is logged at most once per readyLogEvery, so the
// log says so during an episode without repeating it for every probe.
const (
	readyProbeEvery = 10 * time.Second
	readyLogEvery   = time.Minute
)

// readiness is GET /readyz and the background watch of the store behind it.
type readiness struct {
	store bot.Store
	log   *slog.Logger

	mu      sync.Mutex
	refused bool      // the last probe found writes refused
	logged  time.Time // when a refusal was last logged
}

// check probes the store: a write where the store can tell (Redis: Ready), else a ping.
func (r *readiness) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	switch s := r.store.(type) {
	case interface{ Ready(context.Context) error }:
		return s.Ready(ctx)
	case interface{ Ping(context.Context) error }:
		return s.Ping(ctx)
	}
	return nil
}

// report logs a refusal of writes at most once per readyLogEvery, and the end of one once.
// Other failures are not logged here: the bot logs an unreachable store itself.
func (r *readiness) report(err error) {
	var refused *rstore.WritesRefused
	isRefused := errors.As(err, &refused)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	switch {
	case isRefused && (!r.refused || now.Sub(r.logged) >= readyLogEvery):
		r.logged = now
		r.log.Error("the store refuses writes: no session can be saved and users get \"temporarily unavailable\"; "+
			"free memory or raise maxmemory (see docs/operations.md, Redis memory)", "reason", refused.Reason, "err", err.Error())
	case !isRefused && r.refused && err == nil:
		r.log.Info("the store takes writes again")
	}
	if err == nil || isRefused {
		r.refused = isRefused
	}
}

// ServeHTTP answers /readyz: 200 "ready", or 503 saying what is wrong.
func (r *readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	err := r.check(req.Context())
	r.report(err)
	var refused *rstore.WritesRefused
	switch {
	case errors.As(err, &refused):
		http.Error(w, "store refuses writes ("+refused.Reason+")", http.StatusServiceUnavailable)
	case err != nil:
		http.Error(w, "store unreachable", http.StatusServiceUnavailable)
	default:
		fmt.Fprintln(w, "ready")
	}
}

// watch probes the store every readyProbeEvery until ctx ends, so a store that refuses writes is
// logged even where nothing polls /readyz.
func (r *readiness) watch(ctx context.Context) {
	t := time.NewTicker(readyProbeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.report(r.check(ctx))
		}
	}
}
