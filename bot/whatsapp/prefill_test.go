package whatsapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

// TestPrefilledLink: a wa.me/NUMBER?text=... link fills in the language's reach.wa_prefill text
// and the "#LANG-TOPIC-SOURCE" tag; the adapter passes the text as is (the real text_message.json
// fixture, its body replaced) and the domain starts in that language at that topic. The number's
// country (Israel here) would otherwise choose nothing.
func TestPrefilledLink(t *testing.T) {
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	store := inmem.New(time.Hour)
	e := setup(t, func(c *whatsapp.Config) { c.Bot = bot.New(p.Engine, store, nil) })
	raw, err := os.ReadFile(filepath.Join(fixturesDir(t), "text_message.json"))
	if err != nil {
		t.Fatal(err)
	}
	withText := func(id, txt string) []byte {
		b, _ := json.Marshal(txt)
		out := bytes.Replace(raw, []byte(`"Body Text"`), b, 1)
		out = bytes.Replace(out, []byte(`"1697043223"`), []byte(`"1698266730"`), 1)
		return bytes.Replace(out, []byte(`"wamid.xyzxyz"`), []byte(`"`+id+`"`), 1)
	}
	user := bot.UserKey([]byte("pseudonym-secret"), whatsapp.Channel, waID)
	session := func() bot.Session {
		var s bot.Session
		_ = store.Update(context.Background(), user, func(got *bot.Session) error { s = *got; return nil })
		return s
	}

	prefill := p.Catalog.Text("fa", bot.MsgPrefill, "")
	if code := e.deliver(t, withText("wamid.link1", prefill+" #fa-counsellor-poster")); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	if s := session(); s.Lang != "fa" || s.Position() != "handoff.start" {
		t.Fatalf("after the Dari wa.me text: lang %q at %q", s.Lang, s.Position())
	}
	sends := e.g.take()
	if len(sends) == 0 {
		t.Fatal("nothing sent")
	}
	body, _ := path(sends[0].Body, "interactive", "body", "text").(string)
	if body == "" {
		body, _ = path(sends[0].Body, "text", "body").(string)
	}
	if want := strings.SplitN(p.Catalog.Text("fa", "handoff.start", ""), "\n", 2)[0]; !strings.Contains(body, want) {
		t.Errorf("first message %q, want the Dari counsellor page (%q)", body, want)
	}
}
