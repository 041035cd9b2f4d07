package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// templateGraph is a Graph API that knows which template languages are approved: a template
// in another language is refused as Meta does (error 132001, "does not exist in the
// translation"); every template message is recorded.
type templateGraph struct {
	mu       sync.Mutex
	approved map[string]bool // language codes of the template "returnbot_message"
	tried    []string
	bodies   []map[string]any
}

func (g *templateGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var b map[string]any
	if json.Unmarshal(raw, &b) != nil {
		http.Error(w, "bad json", 400)
		return
	}
	code, _ := path(b, "template", "language", "code").(string)
	g.mu.Lock()
	g.tried = append(g.tried, code)
	ok := path(b, "template", "name") == "returnbot_message" && g.approved[code]
	if ok {
		g.bodies = append(g.bodies, b)
	}
	g.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"message":"(#132001) Template name does not exist in the translation","type":"OAuthException","code":132001,"error_data":{"messaging_product":"whatsapp","details":"template name (returnbot_message) does not exist in %s"},"fbtrace_id":"AbCdEf"}}`, code)
		return
	}
	fmt.Fprint(w, `{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.tpl"}]}`)
}

func (g *templateGraph) take() ([]string, []map[string]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, b := g.tried, g.bodies
	g.tried, g.bodies = nil, nil
	return t, b
}

// TestTemplateLanguages: outside the 24-hour window a message goes out as the template in the
// first language of its chain that Meta has approved, in the Cloud API's template wire format
// with the office's name and the text as the body's variables (no line breaks). Dari is prs_AF;
// Pashto falls back to Dari, Sorani to Arabic, Somali and Tigrinya to English.
func TestTemplateLanguages(t *testing.T) {
	g := &templateGraph{approved: map[string]bool{"en": true, "prs_AF": true, "ar": true, "nb": true}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	pack := testPack(t)
	a := whatsapp.New(whatsapp.Config{
		Bot: bot.New(pack.Engine, nil, nil), Secret: []byte("pseudonym-secret"), Token: "TOKEN", PhoneNumberID: phoneID,
		AppSecret: appSecret, VerifyToken: "verify-me", Endpoint: srv.URL + "/v21.0", Backoff: time.Millisecond,
		TemplateName: "returnbot_message", Now: time.Now,
	})
	ctx := context.Background()
	office := pack.Content.Offices[pack.Content.DefaultOffice].Name
	for _, c := range []struct {
		lang  string
		tried string
	}{
		{"fa", "prs_AF"},
		{"ps", "prs_AF"},
		{"ckb", "ar"},
		{"so", "en"},
		{"ti", "en"},
		{"nb", "nb"},
		{"ru", "ru,en"}, // Russian not approved yet: skipped, English
		{"fr", "fr,en"},
		{"xx", "en"},
	} {
		reply := []bot.Reply{{Lang: c.lang, Text: "Line one.\n\nLine   two\twith a tab."}}
		if err := a.SendProactive(ctx, "4790000001", reply); err != nil {
			t.Fatalf("%s: %v", c.lang, err)
		}
		tried, bodies := g.take()
		if strings.Join(tried, ",") != c.tried || len(bodies) != 1 {
			t.Fatalf("%s: tried %v, want %s", c.lang, tried, c.tried)
		}
		b := bodies[0]
		if b["type"] != "template" || b["to"] != "4790000001" || b["messaging_product"] != "whatsapp" ||
			path(b, "template", "components", 0, "type") != "body" ||
			path(b, "template", "components", 0, "parameters", 0, "text") != office ||
			path(b, "template", "components", 0, "parameters", 1, "type") != "text" ||
			path(b, "template", "components", 0, "parameters", 1, "text") != "Line one. · Line two with a tab." {
			t.Errorf("%s: body %+v", c.lang, b)
		}
	}
	if st := a.Stats(); st.TemplateSent != 9 {
		t.Errorf("templates sent %d, want 9", st.TemplateSent)
	}

	// Approved in no language of the chain: the refusal comes back, nothing is sent.
	g.approved = map[string]bool{}
	err := a.SendProactive(ctx, "4790000001", []bot.Reply{{Lang: "fa", Text: "x"}})
	var se *whatsapp.SendError
	if !errors.As(err, &se) || se.Code != whatsapp.ErrCodeTemplateMissing {
		t.Fatalf("no approved language: %v", err)
	}
	if tried, _ := g.take(); strings.Join(tried, ",") != "prs_AF,fa,en" {
		t.Errorf("tried %v", tried)
	}
}
