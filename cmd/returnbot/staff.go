package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"text/tabwriter"
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
func (ws *workspace) run(ctx context.Context, log *slog.Logger) {
	go ws.stats.Run(ctx, 10*time.Second)
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
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

// staffCmd runs 'returnbot staff add|list|remove'. Accounts live in Redis: without REDIS_URL
// (or REDIS_CLUSTER_ADDRS) there is nowhere to keep them between processes.
func staffCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, staffUsage)
		return 2
	}
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "returnbot staff:", err)
		return 1
	}
	if !cfg.usesRedis() {
		fmt.Fprintln(stderr, "returnbot staff: accounts are kept in Redis; set REDIS_URL (without Redis, serve prints a setup link for one admin, kept in memory)")
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, closeStore, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		fmt.Fprintln(stderr, "returnbot staff:", err)
		return 1
	}
	defer closeStore()
	ss, ok := store.(staffStorer)
	if !ok {
		fmt.Fprintln(stderr, "returnbot staff: the store keeps no accounts")
		return 1
	}
	return runStaff(ctx, ss.StaffStore(), args, stdin, stdout, stderr)
}

const staffUsage = `usage:
  returnbot staff add NAME --role reception|counsellor|admin [--totp]   password from stdin, or generated
  returnbot staff list
  returnbot staff remove NAME
`

// runStaff runs a staff subcommand on st.
func runStaff(ctx context.Context, st staff.Store, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch args[0] {
	case "add":
		fl := flag.NewFlagSet("staff add", flag.ContinueOnError)
		fl.SetOutput(stderr)
		role := fl.String("role", "", "reception, counsellor or admin")
		totp := fl.Bool("totp", false, "give the account a TOTP second factor (prints the otpauth:// link once)")
		rest := args[1:]
		var name string
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			name, rest = rest[0], rest[1:]
		}
		if err := fl.Parse(rest); err != nil {
			return 2
		}
		if name == "" && fl.NArg() == 1 {
			name = fl.Arg(0)
		}
		if name == "" || *role == "" {
			fmt.Fprint(stderr, staffUsage)
			return 2
		}
		password, generated, err := readPassword(stdin)
		if err != nil {
			fmt.Fprintln(stderr, "returnbot staff:", err)
			return 1
		}
		a, err := staff.AddAccount(ctx, st, name, *role, password, *totp, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "returnbot staff:", err)
			return 1
		}
		fmt.Fprintf(stdout, "added %s (%s)\n", a.Name, a.Role)
		if generated {
			fmt.Fprintf(stdout, "password (shown once): %s\n", password)
		}
		if a.TOTP != "" {
			fmt.Fprintf(stdout, "TOTP (add to an authenticator app; shown once): %s\n", staff.TOTPURL("returnbot", a.Name, a.TOTP))
		}
		return 0
	case "list":
		list, err := st.Accounts(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "returnbot staff:", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "name\trole\ttotp\tcreated\tlast sign-in")
		for _, a := range list {
			used := "never"
			if !a.Used.IsZero() {
				used = a.Used.Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", a.Name, a.Role, a.TOTP != "", a.Created.Format(time.DateOnly), used)
		}
		tw.Flush()
		return 0
	case "remove":
		if len(args) != 2 {
			fmt.Fprint(stderr, staffUsage)
			return 2
		}
		ok, err := st.DeleteAccount(ctx, args[1])
		if err != nil {
			fmt.Fprintln(stderr, "returnbot staff:", err)
			return 1
		}
		if !ok {
			fmt.Fprintf(stderr, "returnbot staff: no account %q\n", args[1])
			return 1
		}
		fmt.Fprintf(stdout, "removed %s; its sessions end within a minute\n", args[1])
		return 0
	}
	fmt.Fprint(stderr, staffUsage)
	return 2
}

// readPassword reads the password from stdin's first line; from a terminal, or with nothing
// on stdin, it generates one (printed once by the caller).
func readPassword(stdin io.Reader) (string, bool, error) {
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			stdin = nil // a terminal: do not wait for typing that would echo
		}
	}
	if stdin != nil {
		line, err := bufio.NewReader(io.LimitReader(stdin, staff.MaxPasswordLen+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, err
		}
		if pw := strings.TrimRight(line, "\r\n"); pw != "" {
			return pw, false, nil
		}
	}
	pw, err := staff.GeneratePassword()
	return pw, true, err
}

// printStaffAvailability says, for validate, whether staff will be able to answer chats, as far
// as the environment tells: the Telegram staff group is set up or not; accounts are in Redis
// (serve checks them) or would be in memory only.
func printStaffAvailability(w io.Writer, cfg Config) {
	switch {
	case staffChatConfigured(cfg):
		fmt.Fprintln(w, "staff: the Telegram staff group is set up; \"chat now\" is offered")
	case cfg.usesRedis():
		fmt.Fprintln(w, "staff: no Telegram staff group; \"chat now\" is offered only while a staff account exists in Redis (serve checks; 'returnbot staff list')")
	default:
		fmt.Fprintln(w, "staff: no Telegram staff group and no Redis: \"chat now\" is not offered until someone creates an account with serve's setup link (kept in memory only)")
	}
}
