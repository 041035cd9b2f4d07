package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/internal/logleak"
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
		logs.Take()
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
		if leaked := logleak.Leaks(logs.Take(), logleak.Canaries(body, nil), safeLogValues); len(leaked) > 0 {
			t.Fatalf("the body reached the log:\n%s", strings.Join(leaked, "\n"))
		}
	})
}

const fuzzHookSecret = "fuzz-hook_secret"

// startFuzzWebhook runs an Adapter in webhook mode against the fake Bot API until the fuzz test
// ends, logging into a recorder. The store forgets update ids, so that fuzzed updates sharing an
// update_id still get past dedupe to the code under test.
func startFuzzWebhook(f *testing.F) (*Adapter, *logleak.Recorder) {
	pack, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		f.Fatalf("loading the content: %v", err)
	}
	srv := telegramtest.NewServer(f)
	logs := logleak.NewRecorder()
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
	logs.Take()
	return ad, logs
}

// waitIdle waits until the send queues are empty. The replies of one input then go out before
// the next input runs, so the coverage the fuzzer sees (process-wide counters) is that input's:
// coverage from goroutines still at work for an earlier input looks new, and the fuzzer would
// spend its time minimizing inputs whose "new" coverage does not come back.
func waitIdle(t *testing.T, s *deliver.Sender) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := s.Busy()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d send queues still busy", n)
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// forgetfulStore never reports an update id as seen, so that fuzzed updates sharing an id still
// get past dedupe to the code under test.
type forgetfulStore struct{ bot.Store }

func (forgetfulStore) Dedupe(context.Context, string, string) (bool, error) { return false, nil }

func (s forgetfulStore) UpdateOnce(ctx context.Context, user, _, _ string, fn func(*bot.Session) error) error {
	return s.Update(ctx, user, fn)
}

// safeLogValues are the attributes the adapter logs that carry no user data by construction:
// pseudonyms, described decoding errors, constants of the code, and counts or protocol codes.
var safeLogValues = logleak.Allow{
	Strings: map[string]*regexp.Regexp{
		"user": logleak.Pseudonym, "err": logleak.TypeErr,
		"why": logleak.Enum, "what": logleak.Enum, "reason": logleak.Enum,
	},
	Counts: map[string]bool{"bytes": true, "dropped": true, "sent": true, "undeliverable": true, "count": true, "code": true},
}
