package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

// FuzzWebhook posts arbitrary bodies, with the right secret, to a running webhook Adapter with
// the real content, an in-memory store and the fake Bot API. Whatever the body: no panic, the
// answer is 200, 400 (only for a body that is not JSON) or 413, and no string or long number
// of the body reaches a log record.
func FuzzWebhook(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	ad, logs := startFuzzWebhook(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		logs.take()
		req := httptest.NewRequest(http.MethodPost, "/telegram/hook", bytes.NewReader(body))
		req.Header.Set(SecretHeader, fuzzHookSecret)
		rec := httptest.NewRecorder()
		before := ad.Stats()
		ad.ServeHTTP(rec, req)
		waitIdle(t, ad.send)
		after := ad.Stats()
		want := http.StatusOK
		switch {
		case len(body) > MaxWebhookBody:
			want = http.StatusRequestEntityTooLarge
		case !json.Valid(body):
			want = http.StatusBadRequest
		}
		if rec.Code != want {
			t.Fatalf("webhook answered %d, want %d", rec.Code, want)
		}
		// Every accepted body is counted once: as received, or as malformed when it cannot be read.
		wantReceived, wantMalformed := int64(1), int64(0)
		if _, err := decode(body); rec.Code == http.StatusRequestEntityTooLarge {
			wantReceived = 0
		} else if err != nil {
			wantReceived, wantMalformed = 0, 1
		}
		if r, m := after.Received-before.Received, after.Malformed-before.Malformed; r != wantReceived || m != wantMalformed {
			t.Fatalf("status %d counted as %d received, %d malformed; want %d, %d", rec.Code, r, m, wantReceived, wantMalformed)
		}
		if leaked := leaks(logs.take(), canaries(body)); len(leaked) > 0 {
			t.Fatalf("the body reached the log:\n%s", strings.Join(leaked, "\n"))
		}
	})
}

const fuzzHookSecret = "fuzz-hook_secret"

// startFuzzWebhook runs an Adapter in webhook mode against the fake Bot API until the fuzz test
// ends, logging into a recorder. The store forgets update ids, so that fuzzed updates sharing an
// update_id still get past dedupe to the code under test.
func startFuzzWebhook(f *testing.F) (*Adapter, *logRecorder) {
	pack, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		f.Fatalf("loading the content: %v", err)
	}
	srv := telegramtest.NewServer(f)
	logs := newLogRecorder()
	log := slog.New(logs)
	fast := Rate{PerSecond: 1e6, Burst: 1e6}
	ad, err := New(Config{
		Token: telegramtest.Token, Endpoint: srv.Endpoint(),
		Bot: bot.New(pack.Engine, forgetfulStore{inmem.New(time.Hour)}, log), Secret: []byte("fuzz-secret"), Log: log,
		WebhookURL: "https://bot.example.org/telegram/hook", WebhookSecret: fuzzHookSecret,
		StaffChatID: fuzzStaffChat,
		// Reading the staff update the way the staff commands do, so that the fuzzer reaches it.
		StaffHandler: func(_ context.Context, u tgbotapi.Update) { StaffActionOf(u) },
		GlobalRate:   fast, ChatRate: fast,
		Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, DrainTimeout: time.Second,
	})
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ad.Run(ctx) }()
	f.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.Errorf("Run: %v", err)
		}
	})
	srv.WaitFor(5*time.Second, "setWebhook", func([]telegramtest.Call) bool { return srv.Webhook() != nil })
	// Start-up messages are not the fuzzed bodies' business.
	logs.take()
	return ad, logs
}

// waitIdle waits until the send queues are empty. The replies of one input then go out before
// the next input runs, so the coverage the fuzzer sees (process-wide counters) is that input's:
// coverage from goroutines still at work for an earlier input looks new, and the fuzzer would
// spend its time minimizing inputs whose "new" coverage does not come back.
func waitIdle(t *testing.T, s *sender) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.queues)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d send queues still busy", n)
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// forgetfulStore never reports an update id as seen.
type forgetfulStore struct{ bot.Store }

func (forgetfulStore) Seen(context.Context, string, string) (bool, error) { return false, nil }

// logRecorder is a slog.Handler that keeps every record's attributes, flattened, for the leak
// check.
type logRecorder struct {
	*recorded
	attrs  []slog.Attr // from WithAttrs, flattened
	prefix string      // from WithGroup: "group."
}

type recorded struct {
	mu   sync.Mutex
	recs []loggedRecord
}

type loggedRecord struct {
	msg   string
	attrs []slog.Attr
}

func newLogRecorder() *logRecorder { return &logRecorder{recorded: &recorded{}} }

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := loggedRecord{msg: r.Message, attrs: slices.Clone(l.attrs)}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs = append(rec.attrs, flatten(l.prefix, a)...)
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	l.mu.Unlock()
	return nil
}

func (l *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *l
	c.attrs = slices.Clone(l.attrs)
	for _, a := range as {
		c.attrs = append(c.attrs, flatten(l.prefix, a)...)
	}
	return &c
}

func (l *logRecorder) WithGroup(name string) slog.Handler {
	c := *l
	c.prefix += name + "."
	return &c
}

// take returns and forgets the records so far.
func (l *logRecorder) take() []loggedRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recs
	l.recs = nil
	return r
}

func flatten(prefix string, a slog.Attr) []slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() != slog.KindGroup {
		return []slog.Attr{{Key: prefix + a.Key, Value: v}}
	}
	var out []slog.Attr
	for _, g := range v.Group() {
		out = append(out, flatten(prefix+a.Key+".", g)...)
	}
	return out
}

// canaries are what of a body must never be logged: its string values and number literals
// longer than 3 characters (object keys are the API's vocabulary, not user data), and the whole
// body when it is not JSON.
func canaries(body []byte) []string {
	var out []string
	add := func(s string) {
		if utf8.RuneCountInString(s) > 3 {
			out = append(out, s)
		}
	}
	if !json.Valid(body) {
		add(strings.TrimSpace(string(body)))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// The open containers; an object's next string token is a key or a value.
	type level struct{ object, keyNext bool }
	var open []level
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				open = append(open, level{object: true, keyNext: true})
				continue
			case '[':
				open = append(open, level{})
				continue
			default:
				open = open[:len(open)-1]
			}
		case string:
			if n := len(open); n > 0 && open[n-1].keyNext {
				open[n-1].keyNext = false
				continue
			}
			add(tok)
		case json.Number:
			add(tok.String())
		}
		// A value ended: in an object, a key comes next.
		if n := len(open); n > 0 && open[n-1].object {
			open[n-1].keyNext = true
		}
	}
}

// Attribute values that carry no user data by construction.
var (
	// A pseudonym: bot.UserKey's base64url of 16 bytes.
	pseudonymRE = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	// typeErr: JSON paths of the Go structs, JSON kinds and Go types only.
	typeErrRE = regexp.MustCompile(`^(field [A-Za-z0-9_.]*: got [a-z]+, want [A-Za-z0-9_.*\[\]]+|undecodable)$`)
	// Keys whose values are constants of the code ("why": "group", "edited", ...).
	enumKeys = map[string]bool{"why": true, "what": true, "reason": true}
	enumRE   = regexp.MustCompile(`^[a-z_]{1,20}$`)
	// Numeric attributes that are counts or protocol codes, not ids.
	countKeys = map[string]bool{"bytes": true, "dropped": true, "sent": true, "undeliverable": true, "count": true, "code": true}
)

// leaks lists the log attributes that contain a canary. Messages are constant strings in the
// code and are not searched.
func leaks(recs []loggedRecord, canaries []string) []string {
	var out []string
	for _, r := range recs {
		for _, a := range r.attrs {
			v := a.Value
			switch v.Kind() {
			case slog.KindString, slog.KindAny:
				s := v.String()
				if v.Kind() == slog.KindAny {
					s = fmt.Sprint(v.Any())
				}
				if a.Key == "user" && pseudonymRE.MatchString(s) || a.Key == "err" && typeErrRE.MatchString(s) ||
					enumKeys[a.Key] && enumRE.MatchString(s) {
					continue
				}
				for _, c := range canaries {
					if strings.Contains(s, c) {
						out = append(out, fmt.Sprintf("%q: %s=%q contains %q", r.msg, a.Key, s, c))
					}
				}
			case slog.KindInt64, slog.KindUint64, slog.KindFloat64:
				if countKeys[a.Key] {
					continue
				}
				for _, c := range canaries {
					if v.String() == c {
						out = append(out, fmt.Sprintf("%q: %s=%s is %q", r.msg, a.Key, v, c))
					}
				}
			}
		}
	}
	return out
}
