package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	rstore "github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/bot/staff"
	"github.com/returnbot/returnbot/cmd/internal/app"
)

// staffCmd runs 'returnbot staff add|list|remove'. Accounts live in Redis: without REDIS_URL
// (or REDIS_CLUSTER_ADDRS) there is nowhere to keep them between processes.
func staffCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, staffUsage)
		return 2
	}
	cfg, err := app.ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "returnbot staff:", err)
		return 1
	}
	if !cfg.UsesRedis() {
		fmt.Fprintln(stderr, "returnbot staff: accounts are kept in Redis; set REDIS_URL (without Redis, serve prints a setup link for one admin, kept in memory)")
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, closeStore, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "returnbot staff:", err)
		return 1
	}
	defer closeStore()
	ss, ok := store.(interface{ StaffStore() *rstore.Staff })
	if !ok {
		fmt.Fprintln(stderr, "returnbot staff: the store keeps no accounts")
		return 1
	}
	// The same key as serve's (RETURNBOT_SECRET, required with Redis) seals TOTP secrets.
	return runStaff(ctx, ss.StaffStore(), []byte(cfg.Secret), args, stdin, stdout, stderr)
}

const staffUsage = `usage:
  returnbot staff add NAME --role reception|counsellor|admin [--totp]   password from stdin, or generated
  returnbot staff list
  returnbot staff remove NAME
`

// runStaff runs a staff subcommand on st; secret seals TOTP secrets.
func runStaff(ctx context.Context, st staff.Store, secret []byte, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
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
		var key []byte
		if *totp {
			key = secret
		}
		a, totpSecret, err := staff.AddAccount(ctx, st, name, *role, password, key, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "returnbot staff:", err)
			return 1
		}
		fmt.Fprintf(stdout, "added %s (%s)\n", a.Name, a.Role)
		if generated {
			fmt.Fprintf(stdout, "password (shown once): %s\n", password)
		}
		if totpSecret != "" {
			fmt.Fprintf(stdout, "TOTP (add to an authenticator app; shown once): %s\n", staff.TOTPURL("returnbot", a.Name, totpSecret))
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
