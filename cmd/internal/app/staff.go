package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/returnbot/returnbot/bot/inmem"
	rstore "github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/staff"
)

// The staff workspace (bot/staff) under /staff: accounts in Redis (or, without REDIS_URL, in
// this process only), RETURNBOT_TRUST_PROXY=1 when a reverse proxy in front sets
// X-Forwarded-Proto and X-Forwarded-For.

// staffStorer is implemented by stores that keep the staff workspace's records (bot/redis).
type staffStorer interface {
	StaffStore() *rstore.Staff
}

// workspace is the mounted staff workspace.
type workspace struct {
	server *staff.Server
	stats  *staff.Stats
	shared bool        // accounts in Redis, shared by replicas and kept across restarts
	staff  atomic.Bool // some account exists (refreshed by run)
}

// mountStaff builds the workspace on the handoff service, mounts it on mux, makes it the
// service's desk and the bot's statistics observer (passing on to the metrics).
func mountStaff(d deps, mux *http.ServeMux) (*workspace, error) {
	var st staff.Store = inmem.NewStaff()
	ws := &workspace{}
	if ss, ok := d.store.(staffStorer); ok {
		st, ws.shared = ss.StaffStore(), true
	}
	c := d.pack.Content
	loc := time.Local
	if o := c.Offices[c.DefaultOffice]; o != nil && o.TimeZone != "" {
		if l, err := time.LoadLocation(o.TimeZone); err == nil {
			loc = l
		}
	}
	srv, err := staff.New(staff.Config{
		Store: st, Handoff: d.handoff, Language: d.pack.Catalog, Secret: d.cfg.secretOrLocal(),
		TrustProxy: d.cfg.env("RETURNBOT_TRUST_PROXY") == "1", Location: loc, Log: d.log,
		AccountsChanged: func() { ws.refresh(context.Background(), d.log) },
	})
	if err != nil {
		return nil, err
	}
	ws.server = srv
	srv.Routes(mux)
	d.handoff.SetDesk(srv)
	ws.stats = staff.NewStats(st, loc, d.metrics, d.log)
	d.bot.Observe(ws.stats)
	d.handoff.ObserveTickets(ws.stats.Ticket)
	if !ws.shared {
		d.log.Warn("staff accounts, sessions and statistics are kept in this process only (no REDIS_URL): they are lost on restart")
	}
	ws.refresh(context.Background(), d.log)
	return ws, nil
}

// refresh reads whether any staff account exists.
func (ws *workspace) refresh(ctx context.Context, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	has, err := ws.server.HasAccounts(ctx)
	if err != nil {
		log.Warn("staff: cannot read the accounts", "err", err)
		return // keep what was known
	}
	ws.staff.Store(has)
}

// run keeps the statistics flowing to the store and the account check fresh until ctx ends.
// It returns once the last statistics are saved.
func (ws *workspace) run(ctx context.Context, log *slog.Logger) {
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		ws.stats.Run(ctx, 10*time.Second)
	}()
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			<-flushed
			return
		case <-t.C:
			ws.refresh(ctx, log)
		}
	}
}

// setupLink prints, when no account exists, the one-time link that creates the first admin.
func (ws *workspace) setupLink(ctx context.Context, ln net.Addr, stdout io.Writer) {
	_, port, _ := net.SplitHostPort(ln.String())
	link, err := ws.server.SetupLink(ctx, "http://127.0.0.1:"+port)
	if err != nil || link == "" {
		return
	}
	fmt.Fprintf(stdout, "no staff account yet: open %s in a browser on this machine within an hour to create the first admin (or run 'returnbot staff add NAME --role admin')\n", link)
}

// StaffAvailability says, for validate, whether staff will be able to answer chats: the
// Telegram staff group is set up; or, with Redis, whether a staff account exists there (read
// now, within ctx); or, with neither, that nobody can answer until serve's setup link is used.
func StaffAvailability(ctx context.Context, w io.Writer, cfg Config) {
	switch {
	case staffChatConfigured(cfg):
		fmt.Fprintln(w, "staff: the Telegram staff group is set up; \"chat now\" is offered")
	case cfg.UsesRedis():
		n, err := countAccounts(ctx, cfg)
		switch {
		case err != nil:
			fmt.Fprintf(w, "staff: no Telegram staff group, and the staff accounts in Redis could not be read (%v): serve offers \"chat now\" only while an account exists\n", err)
		case n == 0:
			fmt.Fprintln(w, "staff: no Telegram staff group and no staff account in Redis: \"chat now\" is not offered, users get the phone and a visit ('returnbot staff add NAME --role counsellor')")
		default:
			fmt.Fprintf(w, "staff: no Telegram staff group; %d staff account(s) in Redis: \"chat now\" is offered\n", n)
		}
	default:
		fmt.Fprintln(w, "staff: no Telegram staff group and no Redis: \"chat now\" is not offered until someone creates an account with serve's setup link (kept in memory only)")
	}
}

// countAccounts counts the staff accounts in the Redis cfg names.
func countAccounts(ctx context.Context, cfg Config) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	store, closeStore, err := OpenStore(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return 0, err
	}
	defer closeStore()
	ss, ok := store.(staffStorer)
	if !ok {
		return 0, fmt.Errorf("the store keeps no accounts")
	}
	list, err := ss.StaffStore().Accounts(ctx)
	return len(list), err
}
