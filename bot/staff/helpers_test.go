package staff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/staff"
	"github.com/returnbot/returnbot/internal/syncbuf"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

const password = "correct horse battery"

type clock struct{ ns atomic.Int64 }

func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

func oslo(t testing.TB) *time.Location {
	l, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// sentTo records what the handoff service writes first to users.
type sentTo struct {
	mu      sync.Mutex
	replies map[string][]bot.Reply
}

func (s *sentTo) SendTo(route, user string, replies []bot.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replies == nil {
		s.replies = map[string][]bot.Reply{}
	}
	s.replies[user] = append(s.replies[user], replies...)
	return nil
}

func (s *sentTo) to(user string) []bot.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.Reply(nil), s.replies[user]...)
}

// desk is an office with the staff workspace on an httptest server.
type desk struct {
	t      *testing.T
	clk    *clock
	office *handofftest.Office
	store  staff.Store
	srv    *staff.Server
	http   *httptest.Server
	out    *sentTo
	logs   *syncbuf.Buffer // the workspace's log
}

// newDesk starts the workspace on the shipped content, on a Wednesday morning (open), with the
// accounts kari and nils (counsellors), resa (reception) and ada (admin).
func newDesk(t *testing.T, tune ...func(*staff.Config)) *desk {
	t.Helper()
	clk := &clock{}
	clk.set(time.Date(2027, 3, 24, 11, 0, 0, 0, oslo(t)))
	mem := inmem.NewStaff()
	mem.SetClock(clk.now)
	d := &desk{t: t, clk: clk, store: mem, out: &sentTo{}}
	d.office = handofftest.NewOffice(t, inmem.New(0), secret, clk.now)
	d.office.Service.SetUserSender("web", d.out)
	d.logs = &syncbuf.Buffer{}
	cfg := staff.Config{Store: d.store, Handoff: d.office.Service, Language: handofftest.Content(t).Catalog,
		Secret: secret, Location: oslo(t), Now: clk.now, Log: slog.New(slog.NewJSONHandler(d.logs, nil))}
	for _, f := range tune {
		f(&cfg)
	}
	var err error
	if d.srv, err = staff.New(cfg); err != nil {
		t.Fatal(err)
	}
	d.office.Service.SetDesk(d.srv)
	mux := http.NewServeMux()
	d.srv.Routes(mux)
	d.http = httptest.NewServer(mux)
	t.Cleanup(d.http.Close)
	for name, role := range map[string]string{"kari": staff.RoleCounsellor, "nils": staff.RoleCounsellor,
		"resa": staff.RoleReception, "ada": staff.RoleAdmin} {
		if _, _, err := staff.AddAccount(context.Background(), d.store, name, role, password, nil, clk.now()); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// user sends a web user's button presses to the bot.
func (d *desk) press(user string, data ...string) {
	d.t.Helper()
	for _, v := range data {
		if _, err := d.office.Bot.Handle(context.Background(), bot.Event{Channel: "web", User: user, Kind: bot.KindChoice,
			Data: v, Time: d.clk.now(), Route: "r-" + user}); err != nil {
			d.t.Fatal(err)
		}
	}
}

// say sends a web user's typed text to the bot.
func (d *desk) say(user, text string) []bot.Reply {
	d.t.Helper()
	r, err := d.office.Bot.Handle(context.Background(), bot.Event{Channel: "web", User: user, Kind: bot.KindText,
		Text: text, Time: d.clk.now(), Route: "r-" + user})
	if err != nil {
		d.t.Fatal(err)
	}
	return r
}

// askChat makes user a Dari speaker who asks for a counsellor; it returns the ticket's code.
func (d *desk) askChat(user string) string {
	d.t.Helper()
	d.press(user, "l|fa", "c|counsellor", bot.OptionData("handoff.start", "chat"))
	return d.codeOf(user)
}

func (d *desk) codeOf(user string) string {
	d.t.Helper()
	list, err := d.office.Service.Tickets(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	for _, tk := range list {
		if tk.User == user {
			return tk.Code
		}
	}
	d.t.Fatalf("no ticket of %s", user)
	return ""
}

// client is one browser: a cookie jar and the CSRF token of its session.
type client struct {
	d    *desk
	hc   *http.Client
	csrf string
}

func (d *desk) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{d: d, hc: &http.Client{Jar: jar}}
}

// login signs name in and fails the test unless it works.
func (d *desk) login(name string) *client {
	d.t.Helper()
	c := d.anon()
	var ans struct{ CSRF, Role string }
	if code := c.do("POST", "/staff/api/login", map[string]string{"name": name, "password": password}, &ans); code != 200 {
		d.t.Fatalf("login %s: %d", name, code)
	}
	c.csrf = ans.CSRF
	return c
}

// do sends a request (with the CSRF token when the client has one) and decodes a JSON answer
// into out; it returns the status.
func (c *client) do(method, path string, body any, out any) int {
	c.d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.d.http.URL+path, rd)
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		_ = json.Unmarshal(b, out)
	}
	return res.StatusCode
}
