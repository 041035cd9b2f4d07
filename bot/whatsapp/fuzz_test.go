package whatsapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/internal/logleak"
)

// fuzzSeeds are edge cases next to the real payloads in testdata/fuzz: shapes Meta does not send
// but a changed Graph API version or a broken proxy could.
var fuzzSeeds = []string{
	``,
	`{}`,
	`null`,
	`[]`,
	`"payload"`,
	`{"object":"whatsapp_business_account","entry":"not a list"}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":"hello there"}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":447700900123,"id":"wamid.n1","type":"text","text":{"body":"number as sender"}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.n2","timestamp":1698266730,"type":"text","text":{"body":"number as timestamp"}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.n3","timestamp":"99999999999999999999","type":"text","text":{"body":"huge timestamp"}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.n4","timestamp":"-5","type":"text","text":null}]}}]}]}`,
	"{\"entry\":[{\"changes\":[{\"field\":\"messages\",\"value\":{\"messages\":[{\"from\":\"4477\xff00900123\",\"id\":\"wamid.\xc3\",\"type\":\"text\",\"text\":{\"body\":\"\xff\xfe invalid utf8\"}}]}}]}]}",
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"4","id":"w","type":"interactive","interactive":{"type":"button_reply","button_reply":null,"list_reply":null}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.n5","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"","title":"empty id"}}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.n6","type":"button","button":{"payload":"o|main.menu|info","text":"Information"}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.n7","type":"reaction","reaction":{"message_id":"wamid.x","emoji":"\ud83d\udc4d"}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.n8","type":"audio","audio":{"voice":"yes"}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"","id":"wamid.n9","type":"text","text":{"body":"no sender"}},{"from":"447700900123","id":"","type":"text","text":{"body":"no id"}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"other-number"},"messages":[{"from":"447700900123","id":"wamid.n10","type":"text","text":{"body":"to another number"}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.s1","status":"failed","errors":null},{"id":"wamid.s2","status":"failed","errors":[{"code":"131026","title":"Message undeliverable"}]}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.s3","status":"failed","errors":[{"code":99999999999999999999,"title":null}]}]}}]}]}`,
	`{"entry":[null,{"changes":null},{"changes":[null,{"field":null,"value":null}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[null,{"from":null,"id":null,"type":null}]}}]}]}`,
	`{"ENTRY":[{"CHANGES":[{"FIELD":"messages","VALUE":{"MESSAGES":[{"FROM":"447700900123","ID":"wamid.n11","TYPE":"text","TEXT":{"BODY":"keys in capitals"}}]}}]}]}`,
	`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.n12","type":"text","text":{"body":"truncated`,
}

// FuzzPayload decodes arbitrary bodies the way the webhook does and turns every message into an
// event: nothing may panic, and each event must say what the message said.
func FuzzPayload(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	hints := map[string]bool{"": true}
	for _, l := range whatsapp.CountryLang {
		hints[l] = true
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var p whatsapp.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			return
		}
		for _, e := range p.Entry {
			for _, c := range e.Changes {
				for _, m := range c.Value.Messages {
					checkEvent(t, m, hints)
				}
			}
		}
	})
}

func checkEvent(t *testing.T, m whatsapp.Message, hints map[string]bool) {
	t.Helper()
	ev, ok := whatsapp.ToEvent(m)
	if ok != (m.Type != "reaction") {
		t.Fatalf("type %q: ok = %v", m.Type, ok)
	}
	if !ok {
		return
	}
	if ev.Channel != whatsapp.Channel || ev.User != "" || !ev.Time.IsZero() || ev.Lang != whatsapp.LangHint(m.From) || !hints[ev.Lang] {
		t.Fatalf("event %+v from %q", ev, m.From)
	}
	switch ev.Kind {
	case bot.KindText:
		if m.Type != "text" || m.Text == nil || ev.Text != m.Text.Body || ev.Data != "" || ev.Media != "" {
			t.Fatalf("text event %+v from %+v", ev, m)
		}
	case bot.KindChoice:
		var want []string
		if i := m.Interactive; m.Type == "interactive" && i != nil {
			if i.ButtonReply != nil {
				want = append(want, i.ButtonReply.ID)
			} else if i.ListReply != nil {
				want = append(want, i.ListReply.ID)
			}
		}
		if m.Type == "button" && m.Button != nil {
			want = append(want, m.Button.Payload)
		}
		if ev.Data == "" || !slices.Contains(want, ev.Data) || ev.Text != "" || ev.Media != "" {
			t.Fatalf("choice event %+v from %+v", ev, m)
		}
	case bot.KindMedia:
		known := []string{"unknown", "voice", "audio", "photo", "location", "document", "sticker", "video", "contact"}
		if !slices.Contains(known, ev.Media) || ev.Text != "" || ev.Data != "" {
			t.Fatalf("media event %+v from type %q", ev, m.Type)
		}
	default:
		t.Fatalf("event kind %d", ev.Kind)
	}
}

// FuzzWebhook posts arbitrary bodies, correctly signed, to the webhook of an Adapter with a small
// flow, an in-memory store and a fake Graph API, and waits until they are handled. Whatever the
// body: no panic, the answer is 200, 400 (only for a body that is not JSON) or 413, and no
// string or long number of the body reaches a log record.
func FuzzWebhook(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	g := &graph{}
	srv := httptest.NewServer(g)
	f.Cleanup(srv.Close)
	logs := logleak.NewRecorder()
	log := slog.New(logs)
	a := whatsapp.New(whatsapp.Config{
		Bot: bot.New(testPack(f).Engine, forgetfulStore{inmem.New(time.Hour)}, log), Secret: []byte("pseudonym-secret"),
		Token: "TOKEN", PhoneNumberID: phoneID, AppSecret: appSecret, VerifyToken: "verify-me",
		Endpoint: srv.URL + "/v21.0", Backoff: time.Millisecond, Log: log,
	})
	mux := http.NewServeMux()
	a.Routes(mux)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/whatsapp/webhook", bytes.NewReader(body))
		r.Header.Set("X-Hub-Signature-256", whatsapp.Sign(appSecret, body))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Wait(ctx); err != nil {
			t.Fatalf("messages not handled: %v", err)
		}
		g.take()
		want := http.StatusOK
		switch {
		case len(body) > whatsapp.MaxBody:
			want = http.StatusRequestEntityTooLarge
		case !json.Valid(body):
			want = http.StatusBadRequest
		}
		if w.Code != want {
			t.Fatalf("webhook answered %d, want %d", w.Code, want)
		}
		if leaked := logleak.Leaks(logs.Take(), logleak.Canaries(body, errorTitle), safeLogValues); len(leaked) > 0 {
			t.Fatalf("the body reached the log:\n%s", strings.Join(leaked, "\n"))
		}
	})
}

// forgetfulStore never reports a message id as seen, so that fuzzed messages sharing an id still
// get past dedupe to the code under test.
type forgetfulStore struct{ bot.Store }

func (forgetfulStore) Dedupe(context.Context, string, string) (bool, error) { return false, nil }

func (s forgetfulStore) UpdateOnce(ctx context.Context, user, _, _ string, fn func(*bot.Session) error) error {
	return s.Update(ctx, user, fn)
}

// errorTitle reports whether a string sits at statuses[].errors[].title (keys match as the
// decoder matches them): Meta's words, which the adapter logs, not the user's.
func errorTitle(keys []string) bool {
	n := len(keys)
	return n >= 3 && strings.EqualFold(keys[n-3], "statuses") && strings.EqualFold(keys[n-2], "errors") &&
		strings.EqualFold(keys[n-1], "title")
}

// safeLogValues are the attributes the adapter logs that carry no user data by construction;
// numbers under "bytes" and "code" are sizes and Meta's error codes, not ids.
var safeLogValues = logleak.Allow{
	Strings: map[string]*regexp.Regexp{"user": logleak.Pseudonym, "err": logleak.TypeErr},
	Counts:  map[string]bool{"bytes": true, "code": true},
}
