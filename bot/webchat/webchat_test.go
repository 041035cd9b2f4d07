package webchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/storetest"
	"github.com/returnbot/returnbot/bot/webchat"
)

// countLimiter admits burst requests per key, all or none, then asks to wait 1.5 seconds.
type countLimiter struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *countLimiter) Admit(_ context.Context, buckets ...bot.Bucket) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = map[string]int{}
	}
	for _, b := range buckets {
		if l.n[b.Key] >= b.Burst {
			return 1500 * time.Millisecond, nil
		}
	}
	for _, b := range buckets {
		l.n[b.Key]++
	}
	return 0, nil
}

func newHandler(t testing.TB, cfg webchat.Config) (*webchat.Handler, bot.Store) {
	t.Helper()
	store := inmem.New(time.Hour)
	cfg.Bot = bot.New(testPack(t).Engine, store, nil)
	cfg.Secret = []byte("test-secret-0123456789")
	return webchat.New(cfg), store
}

const testID = "AbCdEfGhIjKlMnOpQrStUv"

func post(t testing.TB, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", "/webchat/api/message", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode(t testing.TB, w *httptest.ResponseRecorder) webchat.Response {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp webchat.Response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestSecurityHeaders(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{FrameOrigins: []string{"https://office.example"}})
	for _, path := range []string{"/", "/webchat/", "/webchat/app.css", "/webchat/app.js", "/webchat/embed.js"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != 200 {
			t.Fatalf("%s: status %d", path, w.Code)
		}
		csp := w.Header().Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
			"img-src 'self' data:", "font-src 'self'", "frame-ancestors 'self' https://office.example"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP allows unsafe sources: %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
	// Without configured origins only this server may frame the page.
	h2, _ := newHandler(t, webchat.Config{})
	w := httptest.NewRecorder()
	h2.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'self'") {
		t.Errorf("default CSP %q", csp)
	}
	if w.Header().Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Error("no X-Frame-Options without configured origins")
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("page Content-Type %q", ct)
	}
}

func TestAssetsHaveNoThirdPartyURLs(t *testing.T) {
	urlRe := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	allowed := map[string]bool{"https://www.openstreetmap.org": true} // built by the server, not loaded
	for _, name := range []string{"index.html", "app.css", "app.js", "embed.js"} {
		b, err := webchat.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range urlRe.FindAllString(string(b), -1) {
			if !allowed[u] {
				t.Errorf("%s refers to a third-party URL %q", name, u)
			}
		}
		for _, bad := range []string{"@import", "<iframe src=\"http", "eval(", "new Function", "innerHTML"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
		// The only url() is the Ethiopic font, from this server.
		if n, own := bytes.Count(b, []byte("url(")), bytes.Count(b, []byte("url(/webchat/ethiopic.woff2)")); n != own {
			t.Errorf("%s loads %d url()s that are not the page's own font", name, n-own)
		}
	}
	page, _ := webchat.Asset("index.html")
	if bytes.Contains(page, []byte("<script>")) || bytes.Contains(page, []byte("style=")) {
		t.Error("index.html has inline script or style, which the CSP blocks")
	}
}

func TestRoundTrip(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{})
	resp := decode(t, post(t, h, `{"id":"`+testID+`","text":"/start","lang":"en-GB"}`))
	if len(resp.Replies) == 0 || resp.Replies[0].Text != "Hello! What would you like to know?" {
		t.Fatalf("start: %+v", resp.Replies)
	}
	last := resp.Replies[len(resp.Replies)-1]
	if len(last.Buttons) != 3 || last.Lang != "en" || last.Dir != "ltr" {
		t.Fatalf("menu: %+v", last)
	}
	resp = decode(t, post(t, h, `{"id":"`+testID+`","choice":"`+last.Buttons[1].Data+`"}`))
	var venue *webchat.Venue
	for _, r := range resp.Replies {
		if r.Venue != nil {
			venue = r.Venue
		}
	}
	if venue == nil || venue.Address == "" || venue.Map != "https://www.openstreetmap.org/?mlat=59.91273&mlon=10.74609#map=18/59.91273/10.74609" {
		t.Fatalf("venue: %+v", resp.Replies)
	}
	// Arabic: replies carry dir rtl.
	resp = decode(t, post(t, h, `{"id":"ZZZZZZZZZZZZZZZZZZZZZZ","text":"/start","lang":"ar-SY"}`))
	if r := resp.Replies[0]; r.Lang != "ar" || r.Dir != "rtl" {
		t.Fatalf("arabic: %+v", r)
	}
}

func TestDuplicateMessageID(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{})
	body := `{"id":"` + testID + `","text":"/start","lang":"en","msg_id":"m1"}`
	if resp := decode(t, post(t, h, body)); len(resp.Replies) == 0 || resp.Duplicate {
		t.Fatalf("first: %+v", resp)
	}
	if resp := decode(t, post(t, h, body)); !resp.Duplicate {
		t.Fatalf("retry handled again: %+v", resp)
	}
	// The same msg_id from another browser is a different message.
	other := `{"id":"YYYYYYYYYYYYYYYYYYYYYY","text":"/start","lang":"en","msg_id":"m1"}`
	if resp := decode(t, post(t, h, other)); resp.Duplicate {
		t.Fatal("msg ids are not scoped per browser")
	}
}

// TestLostAnswerIsSentAgain: a resend of a message whose answer was lost on the way is not acted
// on again (the bot's dedupe), and gets the first answer again for 10 minutes; after that, and
// after /forget, an empty duplicate answer.
func TestLostAnswerIsSentAgain(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2027, 3, 30, 11, 0, 0, 0, time.UTC).UnixNano())
	h, _ := newHandler(t, webchat.Config{Now: func() time.Time { return time.Unix(0, now.Load()) }})
	decode(t, post(t, h, `{"id":"`+testID+`","text":"/start","lang":"en","msg_id":"s1"}`))
	body := `{"id":"` + testID + `","text":"where is the office","lang":"en","msg_id":"q1"}`
	first := decode(t, post(t, h, body))
	if len(first.Replies) != 2 || first.Duplicate || !strings.Contains(first.Replies[1].Text, "Main Street 1") {
		t.Fatalf("first answer %+v", first)
	}
	again := decode(t, post(t, h, body))
	if !again.Duplicate || len(again.Replies) != 2 || again.Replies[1].Text != first.Replies[1].Text || again.Replies[0].Venue == nil {
		t.Fatalf("resend: %+v, want the first answer again, marked duplicate (not acted on)", again)
	}
	now.Add(int64(11 * time.Minute))
	if late := decode(t, post(t, h, body)); !late.Duplicate || len(late.Replies) != 0 {
		t.Errorf("resend after 11 minutes: %+v, want an empty duplicate", late)
	}
	// /forget drops the kept answers with the rest.
	decode(t, post(t, h, `{"id":"`+testID+`","text":"/forget","lang":"en","msg_id":"f1"}`))
	body2 := `{"id":"` + testID + `","text":"where is the office","lang":"en","msg_id":"q2"}`
	decode(t, post(t, h, body2))
	yes := decode(t, post(t, h, `{"id":"`+testID+`","choice":"c|forget_yes","lang":"en","msg_id":"f2"}`))
	if !yes.Forgotten {
		t.Fatalf("forget confirmed: %+v, want forgotten", yes)
	}
	if after := decode(t, post(t, h, body2)); after.Duplicate && len(after.Replies) != 0 {
		t.Errorf("an answer kept from before /forget was sent again: %+v", after)
	}
}

// A message whose first attempt met the store down (nothing saved) is answered 503 with
// Retry-After, and the outage notice only the first time; it is handled when the page sends it
// again: its msg_id is recorded with the session, not before.
func TestRetryAfterFailureIsHandled(t *testing.T) {
	store := &storetest.Outage{Store: inmem.New(time.Hour)}
	h := webchat.New(webchat.Config{Bot: bot.New(testPack(t).Engine, store, nil), Secret: []byte("test-secret-0123456789")})
	body := `{"id":"` + testID + `","text":"/start","lang":"en","msg_id":"m7"}`
	store.Down.Store(true)
	for i, notices := range []int{1, 0, 0} {
		w := post(t, h, body)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("store down, attempt %d: status %d, Retry-After %q; want 503 with Retry-After", i, w.Code, w.Header().Get("Retry-After"))
		}
		var u webchat.Unavailable
		if err := json.Unmarshal(w.Body.Bytes(), &u); err != nil || len(u.Replies) != notices {
			t.Fatalf("store down, attempt %d: %s (%v), want %d outage notices", i, w.Body, err, notices)
		}
	}
	store.Down.Store(false)
	if resp := decode(t, post(t, h, body)); resp.Duplicate || len(resp.Replies) == 0 || len(resp.Replies[len(resp.Replies)-1].Buttons) == 0 {
		t.Fatalf("resent after the outage: %+v, want the answer", resp)
	}
	if resp := decode(t, post(t, h, body)); !resp.Duplicate {
		t.Fatalf("resent once more: %+v, want a duplicate", resp)
	}
}

func TestBadRequests(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{})
	cases := []struct {
		name, body string
		code       int
	}{
		{"short id", `{"id":"abc","text":"hi"}`, 400},
		{"long id", `{"id":"` + strings.Repeat("a", 65) + `","text":"hi"}`, 400},
		{"bad charset", `{"id":"AbCdEfGhIjKlMnOp/../x","text":"hi"}`, 400},
		{"no id", `{"text":"hi"}`, 400},
		{"bad msg id", `{"id":"` + testID + `","text":"hi","msg_id":"a b"}`, 400},
		{"neither", `{"id":"` + testID + `"}`, 400},
		{"both", `{"id":"` + testID + `","text":"a","choice":"b"}`, 400},
		{"not json", `hello`, 400},
		{"too big", `{"id":"` + testID + `","text":"` + strings.Repeat("x", webchat.MaxBody) + `"}`, 413},
	}
	for _, c := range cases {
		if w := post(t, h, c.body); w.Code != c.code {
			t.Errorf("%s: status %d, want %d (%s)", c.name, w.Code, c.code, w.Body)
		}
	}
	r := httptest.NewRequest("POST", "/webchat/api/message", strings.NewReader(`{"id":"`+testID+`","text":"hi"}`))
	r.Header.Set("Content-Type", "text/plain")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: status %d", w.Code)
	}
	r = httptest.NewRequest("POST", "/webchat/api/message", strings.NewReader(`{"id":"`+testID+`","text":"hi"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", "https://evil.example")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("cross-origin: status %d", w.Code)
	}
}

func TestRateLimits(t *testing.T) {
	lim := &countLimiter{}
	h, _ := newHandler(t, webchat.Config{Limiter: lim, PerID: webchat.Rate{PerSecond: 1, Burst: 3}, PerIP: webchat.Rate{PerSecond: 1, Burst: 5}})
	body := func(id string) string { return `{"id":"` + id + `","text":"hello"}` }
	for i := 0; i < 3; i++ {
		if w := post(t, h, body(testID)); w.Code != 200 {
			t.Fatalf("message %d: %d", i, w.Code)
		}
	}
	w := post(t, h, body(testID))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("per id: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	// The refused request took none of the address's tokens: other ids from the same address get
	// two more before the address limit (5) bites.
	for _, id := range []string{"BBBBBBBBBBBBBBBBBBBBBB", "CCCCCCCCCCCCCCCCCCCCCC"} {
		if w := post(t, h, body(id)); w.Code != 200 {
			t.Fatalf("other id: %d", w.Code)
		}
	}
	if w := post(t, h, body("DDDDDDDDDDDDDDDDDDDDDD")); w.Code != http.StatusTooManyRequests {
		t.Fatalf("per address: %d", w.Code)
	}
	// Keys hold pseudonyms, never the raw id or address.
	for k := range lim.n {
		if strings.Contains(k, testID) || strings.Contains(k, "192.0.2.1") {
			t.Errorf("limiter key %q reveals the client", k)
		}
	}
}

func TestStoredKeysArePseudonyms(t *testing.T) {
	h, store := newHandler(t, webchat.Config{})
	decode(t, post(t, h, `{"id":"`+testID+`","text":"/start","lang":"en"}`))
	user := bot.UserKey([]byte("test-secret-0123456789"), "web", testID)
	var lang string
	if err := store.Update(context.Background(), user, func(s *bot.Session) error { lang = s.Lang; return nil }); err != nil {
		t.Fatal(err)
	}
	if lang != "en" {
		t.Fatalf("session under the pseudonym has lang %q", lang)
	}
}

func TestPageServed(t *testing.T) {
	h, _ := newHandler(t, webchat.Config{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(b, []byte(`src="/webchat/app.js"`)) {
		t.Fatal("page does not load app.js")
	}
	res, _ = http.Get(srv.URL + "/webchat/nope.js")
	if res.StatusCode != 404 {
		t.Errorf("unknown asset: %d", res.StatusCode)
	}
	res.Body.Close()
}
