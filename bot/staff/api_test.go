package staff_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/staff"
)

// routes are every API route with a method, for the auth rules.
var routes = []struct {
	method, path, role string
}{
	{"POST", "/staff/api/logout", ""},
	{"GET", "/staff/api/me", ""},
	{"GET", "/staff/api/tickets", staff.RoleCounsellor},
	{"GET", "/staff/api/tickets/ACD-346", staff.RoleCounsellor},
	{"POST", "/staff/api/tickets/ACD-346/take", staff.RoleCounsellor},
	{"POST", "/staff/api/tickets/ACD-346/reply", staff.RoleCounsellor},
	{"POST", "/staff/api/tickets/ACD-346/canned", staff.RoleCounsellor},
	{"POST", "/staff/api/tickets/ACD-346/handback", staff.RoleCounsellor},
	{"POST", "/staff/api/tickets/ACD-346/close", staff.RoleCounsellor},
	{"POST", "/staff/api/tickets/ACD-346/notes", staff.RoleCounsellor},
	{"GET", "/staff/api/canned", staff.RoleCounsellor},
	{"GET", "/staff/api/events", staff.RoleCounsellor},
	{"GET", "/staff/api/visits", staff.RoleReception},
	{"GET", "/staff/api/code/ACD-346", staff.RoleReception},
	{"POST", "/staff/api/code/ACD-346/arrived", staff.RoleReception},
	{"POST", "/staff/api/code/ACD-346/noshow", staff.RoleReception},
	{"GET", "/staff/api/stats", staff.RoleAdmin},
}

// TestEveryRouteNeedsASession: without a session cookie (or with a made-up one) every route
// answers 401 and does nothing.
func TestEveryRouteNeedsASession(t *testing.T) {
	d := newDesk(t)
	code := d.askChat("u1")
	for _, r := range routes {
		path := strings.Replace(r.path, "ACD-346", code, 1)
		c := d.anon()
		if got := c.do(r.method, path, map[string]string{}, nil); got != http.StatusUnauthorized {
			t.Errorf("%s %s without a session: %d, want 401", r.method, path, got)
		}
		req, _ := http.NewRequest(r.method, d.http.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: staff.CookieName, Value: strings.Repeat("A", 43)})
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s with a made-up cookie: %v %v", r.method, path, res.StatusCode, err)
		}
	}
	if tk, _ := d.office.Service.Lookup(context.Background(), code); tk.Status != handoff.StatusOpen {
		t.Fatalf("ticket changed without a session: %+v", tk)
	}
}

// TestRoles: reception may not use the counsellors' routes nor the statistics, counsellors may
// not use reception's nor the statistics; admin may use all. A refused route answers 403.
func TestRoles(t *testing.T) {
	d := newDesk(t)
	code := d.askChat("u1")
	users := map[string]*client{}
	for _, n := range []string{"kari", "resa", "ada"} {
		users[n] = d.login(n)
	}
	role := map[string]string{"kari": staff.RoleCounsellor, "resa": staff.RoleReception, "ada": staff.RoleAdmin}
	for _, r := range routes {
		if r.role == "" {
			continue
		}
		if r.path == "/staff/api/events" { // a stream: only the refusal is checked here (TestEventsStream)
			if got := users["resa"].do(r.method, r.path, nil, nil); got != http.StatusForbidden {
				t.Errorf("reception opened the event stream: %d", got)
			}
			continue
		}
		path := strings.Replace(r.path, "ACD-346", code, 1)
		for name, c := range users {
			got := c.do(r.method, path, map[string]string{}, nil)
			allowed := role[name] == r.role || role[name] == staff.RoleAdmin
			if allowed && got == http.StatusForbidden || !allowed && got != http.StatusForbidden {
				t.Errorf("%s (%s) %s %s: %d", name, role[name], r.method, path, got)
			}
		}
	}
}

// TestCSRF: a state change needs the session's X-CSRF-Token: none or another session's token
// is 403 and changes nothing, on every POST route; the right one works.
func TestCSRF(t *testing.T) {
	d := newDesk(t)
	code := d.askChat("u1")
	kari, nils := d.login("kari"), d.login("nils")
	token := kari.csrf
	kari.csrf = ""
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/take", nil, nil); got != http.StatusForbidden {
		t.Fatalf("take without a token: %d", got)
	}
	kari.csrf = nils.csrf
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/take", nil, nil); got != http.StatusForbidden {
		t.Fatalf("take with another session's token: %d", got)
	}
	if tk, _ := d.office.Service.Lookup(context.Background(), code); tk.Staff != "" {
		t.Fatalf("refused take changed the ticket: %+v", tk)
	}
	kari.csrf = token
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/take", nil, nil); got != http.StatusOK {
		t.Fatalf("take with the token: %d", got)
	}
	// Reading needs no token.
	kari.csrf = ""
	if got := kari.do("GET", "/staff/api/tickets", nil, nil); got != http.StatusOK {
		t.Fatalf("GET without a token: %d", got)
	}
	// Every state change, for an admin (who may use them all): no token, or another session's,
	// is 403 "csrf" and changes nothing.
	visit := d.planVisit("u2", "fa", "2027-03-30", true)
	ada := d.login("ada")
	good := ada.csrf
	for _, r := range routes {
		if r.method != "POST" {
			continue
		}
		path := strings.Replace(r.path, "ACD-346", visit, 1)
		for _, bad := range []string{"", nils.csrf} {
			ada.csrf = bad
			var e struct{ Error string }
			body := map[string]string{"text": "hello", "message_id": "contact.office"}
			if got := ada.do(r.method, path, body, &e); got != http.StatusForbidden || e.Error != "csrf" {
				t.Errorf("%s %s with token %q: %d %q, want 403 csrf", r.method, path, bad, got, e.Error)
			}
		}
	}
	ada.csrf = good
	if got := ada.do("GET", "/staff/api/me", nil, nil); got != http.StatusOK {
		t.Fatalf("the refused requests ended the session: %d", got)
	}
	if tk, _ := d.office.Service.Lookup(context.Background(), visit); tk.Status != handoff.StatusOpen || tk.Staff != "" || tk.Visit != "" {
		t.Fatalf("refused state changes changed the ticket: %+v", tk)
	}
	if got := d.out.to("u2"); len(got) != 0 {
		t.Fatalf("a refused request reached the user: %+v", got)
	}
}

// TestLoginLockout: five wrong passwords for a name lock it for the window, even with the right
// password then; another name from another address still signs in; after the window it works.
// Twenty failures from one address lock the address for every name.
func TestLoginLockout(t *testing.T) {
	d := newDesk(t)
	try := func(name, pw string) int {
		return d.anon().do("POST", "/staff/api/login", map[string]string{"name": name, "password": pw}, nil)
	}
	for i := range staff.MaxNameFailures {
		if got := try("kari", "wrong password "+string(rune('a'+i))); got != http.StatusUnauthorized {
			t.Fatalf("wrong password #%d: %d", i+1, got)
		}
	}
	var locked struct {
		Error      string `json:"error"`
		RetryAfter int    `json:"retry_after"`
	}
	if got := d.anon().do("POST", "/staff/api/login", map[string]string{"name": "kari", "password": password}, &locked); got != http.StatusTooManyRequests ||
		locked.Error != "locked" || locked.RetryAfter != int(staff.LockoutWindow/time.Second) {
		t.Fatalf("right password while locked: %d %+v", got, locked)
	}
	if got := try("nils", password); got != http.StatusOK {
		t.Fatalf("another name: %d", got)
	}
	d.clk.add(staff.LockoutWindow + time.Second)
	if got := try("kari", password); got != http.StatusOK {
		t.Fatalf("after the lockout window: %d", got)
	}
	if n := failedLogins(d); n != staff.MaxNameFailures {
		t.Fatalf("audit trail has %d failed sign-ins of kari, want %d", n, staff.MaxNameFailures)
	}
	// Address lockout: failures for many names from one address.
	d2 := newDesk(t)
	for i := range staff.MaxAddrFailures {
		_ = d2.anon().do("POST", "/staff/api/login", map[string]string{"name": "guess" + string(rune('a'+i)), "password": "x"}, nil)
	}
	if got := d2.anon().do("POST", "/staff/api/login", map[string]string{"name": "ada", "password": password}, nil); got != http.StatusTooManyRequests {
		t.Fatalf("right password from a locked address: %d", got)
	}
	if n := failedLogins(d2); n != 0 {
		t.Fatalf("names that are no account reached the audit trail: %d", n)
	}
}

func failedLogins(d *desk) int {
	trail, _ := d.office.Service.AuditTrail(context.Background(), 100)
	n := 0
	for _, a := range trail {
		if a.Action == "login_failed" {
			n++
		}
	}
	return n
}

// TestLoginUnknownNameTakesAsLong: a name that is no account costs an argon2id check too, so the
// answer's timing does not tell names apart.
func TestLoginUnknownNameTakesAsLong(t *testing.T) {
	d := newDesk(t)
	time1 := func(name string) time.Duration {
		start := time.Now()
		_ = d.anon().do("POST", "/staff/api/login", map[string]string{"name": name, "password": "wrong password!"}, nil)
		return time.Since(start)
	}
	// The fastest of several tries each: a loaded machine slows single requests at random.
	fastest := func(name string) time.Duration {
		best := time.Hour
		for range 4 {
			best = min(best, time1(name))
		}
		return best
	}
	known, unknown := fastest("kari"), fastest("nobody")
	if unknown < known/3 {
		t.Fatalf("unknown name answered in %v, a known one in %v", unknown, known)
	}
}

// TestSessionCookieAndTimeouts: the cookie is HttpOnly, SameSite=Strict, on /staff, Secure only
// over HTTPS (here: a trusted proxy's X-Forwarded-Proto); a session ends after the idle timeout,
// and after the absolute one however busy; logout ends it at once.
func TestSessionCookieAndTimeouts(t *testing.T) {
	d := newDesk(t, func(c *staff.Config) { c.TrustProxy = true })
	login := func(proto string) *http.Cookie {
		req := httptest.NewRequest("POST", "/staff/api/login", strings.NewReader(`{"name":"kari","password":"`+password+`"}`))
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
		}
		w := httptest.NewRecorder()
		mux := http.NewServeMux()
		d.srv.Routes(mux)
		mux.ServeHTTP(w, req)
		for _, c := range w.Result().Cookies() {
			if c.Name == staff.CookieName {
				return c
			}
		}
		t.Fatalf("no cookie: %d %s", w.Code, w.Body)
		return nil
	}
	c := login("")
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/staff" || c.Secure {
		t.Fatalf("plain HTTP cookie %+v", c)
	}
	if c := login("https"); !c.Secure {
		t.Fatal("cookie behind an HTTPS proxy is not Secure")
	}
	untrusted := newDesk(t)
	req := httptest.NewRequest("POST", "/staff/api/login", strings.NewReader(`{"name":"kari","password":"`+password+`"}`))
	req.Header.Set("X-Forwarded-Proto", "https")
	w := httptest.NewRecorder()
	mux := http.NewServeMux()
	untrusted.srv.Routes(mux)
	mux.ServeHTTP(w, req)
	if strings.Contains(w.Header().Get("Set-Cookie"), "Secure") {
		t.Fatal("X-Forwarded-Proto believed without a trusted proxy")
	}
	// Served over TLS directly (r.TLS), no proxy to trust: Secure.
	req = httptest.NewRequest("POST", "https://staff.example/staff/api/login", strings.NewReader(`{"name":"kari","password":"`+password+`"}`))
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if sc := w.Header().Get("Set-Cookie"); w.Code != 200 || !strings.Contains(sc, "; Secure") {
		t.Fatalf("cookie over TLS: %d %q", w.Code, sc)
	}

	kari := d.login("kari")
	d.clk.add(staff.DefaultIdleTimeout - time.Minute)
	if got := kari.do("GET", "/staff/api/me", nil, nil); got != 200 {
		t.Fatalf("within the idle timeout: %d", got)
	}
	d.clk.add(staff.DefaultIdleTimeout + time.Second)
	if got := kari.do("GET", "/staff/api/me", nil, nil); got != 401 {
		t.Fatalf("after the idle timeout: %d", got)
	}
	busy := d.login("kari")
	for elapsed := time.Duration(0); elapsed < staff.DefaultMaxAge-20*time.Minute; elapsed += 20 * time.Minute {
		d.clk.add(20 * time.Minute)
		if got := busy.do("GET", "/staff/api/me", nil, nil); got != 200 {
			t.Fatalf("busy session ended after %v: %d", elapsed, got)
		}
	}
	d.clk.add(21 * time.Minute)
	if got := busy.do("GET", "/staff/api/me", nil, nil); got != 401 {
		t.Fatalf("after the absolute timeout: %d", got)
	}
	out := d.login("nils")
	if got := out.do("POST", "/staff/api/logout", nil, nil); got != 200 {
		t.Fatalf("logout: %d", got)
	}
	if got := out.do("GET", "/staff/api/me", nil, nil); got != 401 {
		t.Fatalf("after logout: %d", got)
	}
}

// TestRemovedAccountEndsSessions: removing an account (staff remove) or changing its role ends
// its sessions within the refresh interval.
func TestRemovedAccountEndsSessions(t *testing.T) {
	d := newDesk(t)
	kari := d.login("kari")
	if ok, _ := d.store.DeleteAccount(context.Background(), "kari"); !ok {
		t.Fatal("not deleted")
	}
	d.clk.add(time.Minute)
	if got := kari.do("GET", "/staff/api/tickets", nil, nil); got != 401 {
		t.Fatalf("removed account's session: %d", got)
	}
}

// TestTOTP: an account with a second factor needs its current code; a code works once.
func TestTOTP(t *testing.T) {
	d := newDesk(t)
	a, totp, err := staff.AddAccount(context.Background(), d.store, "tove", staff.RoleCounsellor, password, secret, d.clk.now())
	if err != nil || a.TOTP == "" || totp == "" || strings.Contains(a.TOTP, totp) {
		t.Fatal(a, err)
	}
	if stored, _ := d.store.Account(context.Background(), "tove"); stored.TOTP == totp {
		t.Fatal("the TOTP secret is stored in the clear")
	}
	var e struct{ Error string }
	if got := d.anon().do("POST", "/staff/api/login", map[string]string{"name": "tove", "password": password}, &e); got != 401 || e.Error != "totp_required" {
		t.Fatalf("without a code: %d %+v", got, e)
	}
	code, _ := staff.TOTPCode(totp, d.clk.now())
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if got := d.anon().do("POST", "/staff/api/login", map[string]string{"name": "tove", "password": password, "totp": wrong}, nil); got != 401 {
		t.Fatalf("wrong code: %d", got)
	}
	if got := d.anon().do("POST", "/staff/api/login", map[string]string{"name": "tove", "password": password, "totp": code}, nil); got != 200 {
		t.Fatalf("right code: %d", got)
	}
	if got := d.anon().do("POST", "/staff/api/login", map[string]string{"name": "tove", "password": password, "totp": code}, nil); got != 401 {
		t.Fatalf("the same code again: %d", got)
	}
}

// TestTakeIsExclusiveAcrossWebAndGroup: the first counsellor to take a ticket has it; a second
// gets 409 with who has it, and cannot reply; the Telegram group sees it taken by the first, and
// a ticket taken in the group is refused on the web with the group's holder.
func TestTakeIsExclusiveAcrossWebAndGroup(t *testing.T) {
	d := newDesk(t)
	code := d.askChat("u1")
	kari, nils := d.login("kari"), d.login("nils")
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/take", nil, nil); got != 200 {
		t.Fatalf("first take: %d", got)
	}
	var e struct{ Error, Holder string }
	if got := nils.do("POST", "/staff/api/tickets/"+code+"/take", nil, &e); got != http.StatusConflict || e.Holder != "kari" || e.Error != "taken" {
		t.Fatalf("second take: %d %+v", got, e)
	}
	if got := nils.do("POST", "/staff/api/tickets/"+code+"/reply", map[string]string{"text": "hi"}, &e); got != http.StatusConflict {
		t.Fatalf("second counsellor's reply: %d", got)
	}
	if len(d.out.to("u1")) != 0 {
		t.Fatal("refused reply reached the user")
	}
	group := d.office.Service.Staff(context.Background(), handoff.StaffMsg{StaffID: "4242", Name: "Per", Text: "/take " + code})
	if !strings.Contains(group, "kari") {
		t.Fatalf("group /take answered %q, want it held by kari", group)
	}
	code2 := d.askChat("u2")
	_ = d.office.Service.Staff(context.Background(), handoff.StaffMsg{StaffID: "4242", Name: "Per", Text: "/take " + code2})
	if got := kari.do("POST", "/staff/api/tickets/"+code2+"/take", nil, &e); got != http.StatusConflict || !strings.Contains(e.Holder, "Per") {
		t.Fatalf("take of a ticket the group took: %d %+v", got, e)
	}
	var list struct{ Tickets []staff.TicketView }
	kari.do("GET", "/staff/api/tickets", nil, &list)
	held := map[string]string{}
	for _, tk := range list.Tickets {
		held[tk.Code] = tk.Staff
	}
	if held[code] != "kari" || !strings.Contains(held[code2], "Per") {
		t.Fatalf("inbox holders %v", held)
	}
}

// TestConversationReplyCannedHandback: what the waiting user writes shows in the conversation
// (as text, markup and all); the reply and a canned answer reach the user, the canned one in
// Dari from the locale file; hand back gives the user the bot again.
func TestConversationReplyCannedHandback(t *testing.T) {
	d := newDesk(t)
	code := d.askChat("u1")
	hostile := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	d.say("u1", hostile)
	kari := d.login("kari")
	var conv staff.Conversation
	if got := kari.do("GET", "/staff/api/tickets/"+code, nil, &conv); got != 200 {
		t.Fatalf("conversation: %d", got)
	}
	if len(conv.Messages) != 1 || conv.Messages[0].Text != hostile || conv.Messages[0].From != "" || conv.Ticket.Lang != "fa" {
		t.Fatalf("conversation %+v", conv)
	}
	kari.do("POST", "/staff/api/tickets/"+code+"/take", nil, nil)
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/reply", map[string]string{"text": "Salam, I am Kari"}, nil); got != 200 {
		t.Fatalf("reply: %d", got)
	}
	var canned struct{ Messages []staff.CannedMessage }
	kari.do("GET", "/staff/api/canned", nil, &canned)
	if len(canned.Messages) < 5 {
		t.Fatalf("canned list %+v", canned)
	}
	pick := canned.Messages[0]
	cat := handofftest.Content(t).Catalog
	if !strings.HasPrefix(cat.Text("en", pick.ID, ""), strings.TrimSuffix(pick.Title, "…")) {
		t.Fatalf("title %q is not the English text of %s", pick.Title, pick.ID)
	}
	var sent struct{ Text string }
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/canned", map[string]string{"message_id": pick.ID}, &sent); got != 200 {
		t.Fatalf("canned: %d", got)
	}
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/canned", map[string]string{"message_id": "no.such"}, nil); got != 400 {
		t.Fatalf("unknown canned: %d", got)
	}
	dari := cat.Text("fa", pick.ID, "")
	if sent.Text == cat.Text("en", pick.ID, "") || !strings.Contains(sent.Text, firstLine(dari)) {
		t.Fatalf("canned text %q is not the Dari %q", sent.Text, dari)
	}
	got := d.out.to("u1")
	if len(got) != 2 || !strings.Contains(got[0].Text, "Salam, I am Kari") || got[1].Lang != "fa" || !strings.Contains(got[1].Text, firstLine(dari)) {
		t.Fatalf("user got %+v", got)
	}
	// Now the user talks with staff: their words are relayed, not answered by the bot.
	if r := d.say("u1", "thanks"); len(r) != 0 {
		t.Fatalf("bot answered while staff hold the chat: %+v", r)
	}
	kari.do("GET", "/staff/api/tickets/"+code, nil, &conv)
	if n := len(conv.Messages); n != 4 || conv.Messages[3].Text != "thanks" || conv.Messages[1].From != "kari" {
		t.Fatalf("conversation after replies: %+v", conv.Messages)
	}
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/handback", nil, nil); got != 200 {
		t.Fatalf("handback: %d", got)
	}
	if r := d.say("u1", "/menu"); len(r) == 0 {
		t.Fatal("bot silent after hand back")
	}
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/close", nil, nil); got != 200 {
		t.Fatalf("close: %d", got)
	}
	var list struct{ Tickets []staff.TicketView }
	kari.do("GET", "/staff/api/tickets", nil, &list)
	if len(list.Tickets) != 0 {
		t.Fatalf("closed ticket still listed: %+v", list)
	}
	// The audit trail has every action, by kari, with the code, and no message text.
	trail, _ := d.office.Service.AuditTrail(context.Background(), 100)
	did := map[string]bool{}
	for _, a := range trail {
		if strings.Contains(a.Action+a.Code+a.Staff, "Salam") || strings.Contains(a.Action, "thanks") {
			t.Fatalf("audit entry carries text: %+v", a)
		}
		if a.Staff == "kari" && (a.Code == code || a.Code == "") {
			did[a.Action] = true
		}
	}
	for _, a := range []string{"login", "read", "take", "reply", "canned:" + pick.ID, "back", "close"} {
		if !did[a] {
			t.Errorf("audit trail lacks %q by kari: %+v", a, trail)
		}
	}
	// The log has the actions too, under a pseudonym: no name, no text.
	logs := d.logs.String()
	if !strings.Contains(logs, `"action":"take"`) || strings.Contains(logs, "kari") || strings.Contains(logs, "Salam") ||
		strings.Contains(logs, "thanks") || strings.Contains(logs, "u1") {
		t.Fatalf("log lines:\n%s", logs)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestNotesAndForget: internal notes stay on the ticket; /forget removes the user's ticket,
// conversation and notes from the workspace.
func TestNotesAndForget(t *testing.T) {
	d := newDesk(t)
	code := d.askChat("u1")
	d.say("u1", "my name is Ali")
	kari := d.login("kari")
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/notes", map[string]string{"text": "needs Dari interpreter"}, nil); got != 200 {
		t.Fatalf("note: %d", got)
	}
	var conv staff.Conversation
	kari.do("GET", "/staff/api/tickets/"+code, nil, &conv)
	if len(conv.Notes) != 1 || conv.Notes[0].From != "kari" || conv.Notes[0].Text != "needs Dari interpreter" {
		t.Fatalf("notes %+v", conv.Notes)
	}
	if len(d.out.to("u1")) != 0 {
		t.Fatal("a note reached the user")
	}
	d.press("u1", "c|menu", "c|forget", "c|forget_yes")
	if got := kari.do("GET", "/staff/api/tickets/"+code, nil, nil); got != 404 {
		t.Fatalf("conversation after /forget: %d", got)
	}
	ctx := context.Background()
	if m, _ := d.store.Messages(ctx, "u1", code); len(m) != 0 {
		t.Fatalf("messages after /forget: %+v", m)
	}
	if n, _ := d.store.Notes(ctx, "u1", code); len(n) != 0 {
		t.Fatalf("notes after /forget: %+v", n)
	}
}

// TestDaySheetLookupAndArrival: reception sees the day's visits with language and interpreter,
// the interpreters needed at a glance, looks a code up (typed loosely) and marks arrival.
func TestDaySheetLookupAndArrival(t *testing.T) {
	d := newDesk(t)
	d.press("u1", "l|fa", "c|counsellor", bot.OptionData("handoff.start", "visit"), "v|2027-03-30", bot.OptionData("handoff.interp", "yes"))
	d.press("u2", "l|ti", "c|counsellor", bot.OptionData("handoff.start", "visit"), "v|2027-03-30", bot.OptionData("handoff.interp", "no"))
	d.press("u3", "l|so", "c|counsellor", bot.OptionData("handoff.start", "visit"), "v|2027-03-31", bot.OptionData("handoff.interp", "yes"))
	resa := d.login("resa")
	var sheet staff.DaySheet
	if got := resa.do("GET", "/staff/api/visits?day=2027-03-30", nil, &sheet); got != 200 {
		t.Fatalf("day sheet: %d", got)
	}
	if len(sheet.Visits) != 2 || sheet.Interpreters["fa"] != 1 || len(sheet.Interpreters) != 1 {
		t.Fatalf("sheet %+v", sheet)
	}
	if got := resa.do("GET", "/staff/api/visits?day=30.03", nil, nil); got != 400 {
		t.Fatalf("bad day: %d", got)
	}
	code := d.codeOf("u1")
	var tk staff.TicketView
	if got := resa.do("GET", "/staff/api/code/"+strings.ToLower(strings.ReplaceAll(code, "-", "")), nil, &tk); got != 200 || tk.Code != code || !tk.Interp || tk.Lang != "fa" {
		t.Fatalf("lookup: %d %+v", got, tk)
	}
	if got := resa.do("POST", "/staff/api/code/"+code+"/arrived", nil, &tk); got != 200 || tk.Visit != handoff.VisitArrived {
		t.Fatalf("arrived: %d %+v", got, tk)
	}
	resa.do("GET", "/staff/api/visits?day=2027-03-30", nil, &sheet)
	for _, v := range sheet.Visits {
		if v.Code == code && v.Visit != handoff.VisitArrived {
			t.Fatalf("sheet does not show the arrival: %+v", v)
		}
	}
	if got := resa.do("GET", "/staff/api/code/ZZZ-999", nil, nil); got != 404 {
		t.Fatalf("unknown code: %d", got)
	}
	// Each of reception's actions is in the audit trail, by resa, with the code where there is one.
	trail, _ := d.office.Service.AuditTrail(context.Background(), 100)
	did := map[string]string{}
	for _, a := range trail {
		if a.Staff == "resa" {
			did[a.Action] = a.Code
		}
	}
	for action, want := range map[string]string{"login": "", "day_sheet": "", "code": code, "visit:arrived": code, "code_unknown": ""} {
		if got, ok := did[action]; !ok || got != want {
			t.Errorf("audit trail: %q by resa with code %q (listed %v), want code %q", action, got, ok, want)
		}
	}
}

// planVisit makes user a speaker of lang who plans a visit on day (with an interpreter or not);
// it returns the visit code.
func (d *desk) planVisit(user, lang, day string, interp bool) string {
	d.t.Helper()
	yes := "no"
	if interp {
		yes = "yes"
	}
	d.press(user, "l|"+lang, "c|counsellor", bot.OptionData("handoff.start", "visit"), "v|"+day, bot.OptionData("handoff.interp", yes))
	return d.codeOf(user)
}

// sheetOf is the day sheet of day as reception gets it, by code.
func (c *client) sheetOf(day string) (staff.DaySheet, map[string]staff.TicketView) {
	c.d.t.Helper()
	var sheet staff.DaySheet
	if got := c.do("GET", "/staff/api/visits?day="+day, nil, &sheet); got != 200 {
		c.d.t.Fatalf("day sheet of %s: %d", day, got)
	}
	byCode := map[string]staff.TicketView{}
	for _, v := range sheet.Visits {
		byCode[v.Code] = v
	}
	return sheet, byCode
}

// TestDaySheetOutlivesTheTicket: the day sheet is built from the visits themselves, not from
// the open tickets: a visit whose ticket a counsellor closed (in the workspace or the staff
// group) or handed back stays on its day's sheet with its language, interpreter and channel;
// reception can still mark it arrived or not come; a visit of another day shows on that day
// only; /forget takes it off.
func TestDaySheetOutlivesTheTicket(t *testing.T) {
	d := newDesk(t)
	const day, other = "2027-03-30", "2027-03-31"
	closed := d.planVisit("u1", "fa", day, true)
	back := d.planVisit("u2", "ti", day, false)
	group := d.planVisit("u3", "so", day, true)
	later := d.planVisit("u4", "ar", other, true)
	kari, resa := d.login("kari"), d.login("resa")
	for _, step := range []struct{ path string }{
		{"/staff/api/tickets/" + closed + "/take"}, {"/staff/api/tickets/" + closed + "/close"},
		{"/staff/api/tickets/" + back + "/take"}, {"/staff/api/tickets/" + back + "/handback"},
	} {
		if got := kari.do("POST", step.path, nil, nil); got != 200 {
			t.Fatalf("POST %s: %d", step.path, got)
		}
	}
	if ans := d.office.Service.Staff(context.Background(), handoff.StaffMsg{StaffID: "4242", Name: "Ola", Text: "/close " + group}); !strings.Contains(ans, group) {
		t.Fatalf("closing in the staff group: %q", ans)
	}
	var open []staff.TicketView
	var list struct{ Tickets []staff.TicketView }
	kari.do("GET", "/staff/api/tickets", nil, &list)
	for _, tk := range list.Tickets {
		if tk.Code == closed || tk.Code == group {
			open = append(open, tk)
		}
	}
	if len(open) != 0 {
		t.Fatalf("closed tickets still in the inbox: %+v", open)
	}

	sheet, byCode := resa.sheetOf(day)
	if len(sheet.Visits) != 3 {
		t.Fatalf("%s lists %d visits, want 3 (closed, handed back, closed in the group): %+v", day, len(sheet.Visits), sheet.Visits)
	}
	for code, want := range map[string]staff.TicketView{
		closed: {Lang: "fa", Interp: true, Status: handoff.StatusClosed},
		back:   {Lang: "ti", Interp: false, Status: handoff.StatusOpen},
		group:  {Lang: "so", Interp: true, Status: handoff.StatusClosed},
	} {
		got, ok := byCode[code]
		if !ok || got.Lang != want.Lang || got.Interp != want.Interp || got.Status != want.Status ||
			got.Channel != "web" || got.Day != day || got.Kind != bot.HandoffVisit || got.Visit != "" {
			t.Errorf("%s on the sheet: %+v (listed %v), want %+v", code, got, ok, want)
		}
	}
	if len(sheet.Interpreters) != 2 || sheet.Interpreters["fa"] != 1 || sheet.Interpreters["so"] != 1 {
		t.Errorf("interpreters at a glance: %v, want fa 1 and so 1", sheet.Interpreters)
	}
	if _, byCode := resa.sheetOf(other); len(byCode) != 1 || byCode[later].Lang != "ar" {
		t.Errorf("%s: %+v, want %s only", other, byCode, later)
	}

	// Arrived and did not come, on closed and handed-back tickets alike.
	var tk staff.TicketView
	if got := resa.do("POST", "/staff/api/code/"+closed+"/arrived", nil, &tk); got != 200 || tk.Visit != handoff.VisitArrived {
		t.Fatalf("arrived on a closed ticket: %d %+v", got, tk)
	}
	if got := resa.do("POST", "/staff/api/code/"+back+"/noshow", nil, &tk); got != 200 || tk.Visit != handoff.VisitNoShow {
		t.Fatalf("did not come on a handed-back ticket: %d %+v", got, tk)
	}
	if _, byCode = resa.sheetOf(day); byCode[closed].Visit != handoff.VisitArrived || byCode[back].Visit != handoff.VisitNoShow ||
		byCode[group].Visit != "" || byCode[closed].Status != handoff.StatusClosed {
		t.Fatalf("the sheet after arrival and no-show: %+v", byCode)
	}

	// /forget: the user's visit leaves the sheet (and the look-up).
	d.press("u1", "c|menu", "c|forget", "c|forget_yes")
	if sheet, byCode = resa.sheetOf(day); len(sheet.Visits) != 2 || byCode[closed].Code != "" || sheet.Interpreters["fa"] != 0 {
		t.Fatalf("after /forget the sheet is %+v", sheet)
	}
	if got := resa.do("GET", "/staff/api/code/"+closed, nil, nil); got != 404 {
		t.Fatalf("look-up after /forget: %d", got)
	}
}

// TestPlanningAgainAfterClose: a user whose visit's ticket was closed and who plans again sees
// the visit they planned, and another day moves that visit (same code) instead of putting them
// on two days' sheets.
func TestPlanningAgainAfterClose(t *testing.T) {
	d := newDesk(t)
	code := d.planVisit("u1", "fa", "2027-03-30", true)
	kari, resa := d.login("kari"), d.login("resa")
	if got := kari.do("POST", "/staff/api/tickets/"+code+"/close", nil, nil); got != 200 {
		t.Fatalf("close: %d", got)
	}
	d.press("u1", "c|menu", "c|counsellor")
	r, err := d.office.Bot.Handle(context.Background(), bot.Event{Channel: "web", User: "u1", Kind: bot.KindChoice,
		Data: bot.OptionData("handoff.start", "visit"), Time: d.clk.now(), Route: "r-u1"})
	if err != nil {
		t.Fatal(err)
	}
	var shown string
	for _, rep := range r {
		shown += rep.Text
	}
	if !strings.Contains(shown, code) || !strings.Contains(shown, "30.03.2027") {
		t.Fatalf("planning again does not show the planned visit %s: %q", code, shown)
	}
	d.press("u1", "v|2027-03-31", bot.OptionData("handoff.interp", "yes"))
	if sheet, _ := resa.sheetOf("2027-03-30"); len(sheet.Visits) != 0 {
		t.Fatalf("the old day still lists %+v", sheet.Visits)
	}
	if sheet, byCode := resa.sheetOf("2027-03-31"); len(sheet.Visits) != 1 || byCode[code].Lang != "fa" {
		t.Fatalf("the new day lists %+v, want %s moved there", sheet.Visits, code)
	}
}

// TestLookupGuessingLimited: past 30 unknown codes in ten minutes an account's look-ups are
// refused (429), even of a real code.
func TestLookupGuessingLimited(t *testing.T) {
	d := newDesk(t)
	d.press("u1", "l|fa", "c|counsellor", bot.OptionData("handoff.start", "visit"), "v|2027-03-30", bot.OptionData("handoff.interp", "yes"))
	resa := d.login("resa")
	for range 30 {
		resa.do("GET", "/staff/api/code/QQQ-111", nil, nil)
	}
	if got := resa.do("GET", "/staff/api/code/"+d.codeOf("u1"), nil, nil); got != http.StatusTooManyRequests {
		t.Fatalf("look-up after guessing: %d", got)
	}
}

// TestStatisticsCountsAndCSV: the statistics count topics by language, channels, tickets, time
// to take and visits into daily counters, shown to admin as JSON and CSV; nothing in them names
// a user.
func TestStatisticsCountsAndCSV(t *testing.T) {
	d := newDesk(t)
	stats := staff.NewStats(d.store, oslo(t), nil, nil)
	stats.SetClock(d.clk.now)
	d.office.Bot.Observe(stats)
	d.office.Service.ObserveTickets(stats.Ticket)
	code := d.askChat("u1")
	d.press("u2", "l|fa", "c|counsellor", bot.OptionData("handoff.start", "visit"), "v|2027-03-30", bot.OptionData("handoff.interp", "yes"))
	d.clk.add(7 * time.Minute)
	kari := d.login("kari")
	kari.do("POST", "/staff/api/tickets/"+code+"/take", nil, nil)
	resa := d.login("resa")
	resa.do("POST", "/staff/api/code/"+d.codeOf("u2")+"/arrived", nil, nil)
	if err := stats.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ada := d.login("ada")
	var res struct {
		Totals map[string]int64
		Days   []staff.StatsDay
	}
	if got := ada.do("GET", "/staff/api/stats?from=2027-03-20&to=2027-03-24", nil, &res); got != 200 || len(res.Days) != 5 {
		t.Fatalf("stats: %d %d days", got, len(res.Days))
	}
	for k, want := range map[string]int64{"tickets:opened:chat": 1, "tickets:opened:visit": 1, "visits:planned": 1,
		"tickets:taken": 1, "take:15m": 1, "visits:arrived": 1, "topic:handoff:fa": 2, "channel:web": 8} {
		if res.Totals[k] != want {
			t.Errorf("%s = %d, want %d (all: %v)", k, res.Totals[k], want, res.Totals)
		}
	}
	for k := range res.Totals {
		if strings.Contains(k, "u1") || strings.Contains(k, code) {
			t.Fatalf("counter %q names a user or ticket", k)
		}
	}
	req, _ := http.NewRequest("GET", d.http.URL+"/staff/api/stats?from=2027-03-24&to=2027-03-24&format=csv", nil)
	res2, err := ada.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(res2.Body).ReadAll()
	res2.Body.Close()
	if err != nil || rows[0][0] != "day" || res2.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv %v %v", rows, err)
	}
	found := false
	for _, r := range rows[1:] {
		if r[0] == "2027-03-24" && r[1] == "visits:arrived" && r[2] == "1" {
			found = true
		}
	}
	if !found {
		t.Fatalf("csv lacks the arrival: %v", rows)
	}
}

// TestSetupLink: with no account, SetupLink gives a one-time link; only a direct loopback request
// with its token creates the first admin, once; with an account there is no link.
func TestSetupLink(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	if link, err := d.srv.SetupLink(ctx, "http://127.0.0.1:1"); err != nil || link != "" {
		t.Fatalf("link with accounts: %q %v", link, err)
	}
	for _, n := range []string{"kari", "nils", "resa", "ada"} {
		_, _ = d.store.DeleteAccount(ctx, n)
	}
	link, err := d.srv.SetupLink(ctx, "http://127.0.0.1:1")
	if err != nil || !strings.Contains(link, "/staff/#setup=") {
		t.Fatalf("link %q %v", link, err)
	}
	token := link[strings.Index(link, "=")+1:]
	body := map[string]string{"token": token, "name": "boss", "password": password}
	// Through a proxy on this machine: refused.
	req := httptest.NewRequest("POST", "/staff/api/setup", strings.NewReader(`{"token":"`+token+`","name":"boss","password":"`+password+`"}`))
	req.RemoteAddr = "127.0.0.1:5555"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	w := httptest.NewRecorder()
	mux := http.NewServeMux()
	d.srv.Routes(mux)
	mux.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Fatalf("setup through a proxy: %d", w.Code)
	}
	// From another machine: refused, even with the right token.
	req = httptest.NewRequest("POST", "/staff/api/setup", strings.NewReader(`{"token":"`+token+`","name":"boss","password":"`+password+`"}`))
	req.RemoteAddr = "203.0.113.9:5555"
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"not_local"`) {
		t.Fatalf("setup from another machine: %d %s", w.Code, w.Body.String())
	}
	if got := d.anon().do("POST", "/staff/api/setup", map[string]string{"token": "wrong", "name": "boss", "password": password}, nil); got != 403 {
		t.Fatalf("wrong token: %d", got)
	}
	// A link is good for an hour.
	d.clk.add(time.Hour + time.Minute)
	var e struct{ Error string }
	if got := d.anon().do("POST", "/staff/api/setup", body, &e); got != 403 || e.Error != "bad_token" {
		t.Fatalf("setup after an hour: %d %q", got, e.Error)
	}
	if link, err = d.srv.SetupLink(ctx, "http://127.0.0.1:1"); err != nil || link == "" {
		t.Fatalf("a new link: %q %v", link, err)
	}
	body["token"] = link[strings.Index(link, "=")+1:]
	d.clk.add(59 * time.Minute)
	if got := d.anon().do("POST", "/staff/api/setup", body, nil); got != 200 {
		t.Fatalf("setup: %d", got)
	}
	if a, _ := d.store.Account(ctx, "boss"); a == nil || a.Role != staff.RoleAdmin {
		t.Fatalf("account %+v", a)
	}
	body["name"] = "boss2"
	if got := d.anon().do("POST", "/staff/api/setup", body, nil); got != 403 {
		t.Fatalf("second setup: %d", got)
	}
}

// TestPageHeaders: the page and its files carry a strict CSP that allows nothing from elsewhere.
func TestPageHeaders(t *testing.T) {
	d := newDesk(t)
	for _, p := range []string{"/staff/", "/staff/staff.js", "/staff/staff.css"} {
		res, err := http.Get(d.http.URL + p)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, res.StatusCode, err)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Fatalf("%s CSP %q", p, csp)
		}
		res.Body.Close()
	}
}
