package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

// shipped loads the default content pack (flows/ and locales/), which has a reach.yaml.
func shipped(t testing.TB) *flow.Pack {
	t.Helper()
	p, err := flow.Load(flows.FS, locales.FS)
	if err != nil {
		t.Fatalf("default content: %v", err)
	}
	return p
}

// reachCount records what a ReachObserver is told.
type reachCount struct {
	mu  sync.Mutex
	got []string
}

func (r *reachCount) Handled(string, string, time.Duration) {}
func (r *reachCount) Topic(string, string)                  {}
func (r *reachCount) Reached(source, topic, lang string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, source+"/"+topic+"/"+lang)
}

func TestParseStart(t *testing.T) {
	e := shipped(t).Engine
	for _, c := range []struct {
		param string
		want  bot.Start
	}{
		{"fa-return-poster", bot.Start{Lang: "fa", Topic: "return", Node: "return.about", Source: "poster"}},
		{"ti", bot.Start{Lang: "ti", Source: bot.SourceNone}},
		{"ckb-reception", bot.Start{Lang: "ckb", Source: "reception"}},
		{"ar-cash", bot.Start{Lang: "ar", Topic: "cash", Node: "support.cash", Source: bot.SourceNone}},
		{"AR-CASH-Partner", bot.Start{Lang: "ar", Topic: "cash", Node: "support.cash", Source: "partner"}},
		{"xx-nothing-stranger", bot.Start{Source: bot.SourceOther}},
		{"fa-nosuchtopic", bot.Start{Lang: "fa", Source: bot.SourceOther}},
		{"travel", bot.Start{Topic: "travel", Node: "return.travel", Source: bot.SourceNone}},
		{"fa--return--", bot.Start{Lang: "fa", Topic: "return", Node: "return.about", Source: bot.SourceNone}},
		{"fa-ret<urn>", bot.Start{Lang: "fa", Source: bot.SourceNone}},
		{"", bot.Start{Source: bot.SourceNone}},
		{strings.Repeat("a", 63) + "-fa", bot.Start{Source: bot.SourceOther}}, // cut at 64: "-f" is no language
	} {
		if got := e.ParseStart(c.param); got != c.want {
			t.Errorf("ParseStart(%q) = %+v, want %+v", c.param, got, c.want)
		}
	}
}

func TestStartFromQuery(t *testing.T) {
	for q, want := range map[string]string{
		"?lang=fa&topic=return&src=poster": "fa-return-poster",
		"lang=ti":                          "ti",
		"?src=partner&lang=so":             "so-partner",
		"?lang=fa-IR&topic=x%20y&src=ok":   "ok", // a part with '-' or a space would read as two parts or none
		"?%zz":                             "",
		"":                                 "",
	} {
		if got := bot.StartFromQuery(q); got != want {
			t.Errorf("StartFromQuery(%q) = %q, want %q", q, got, want)
		}
	}
	if p := bot.StartParam("fa", "", "poster"); p != "fa-poster" {
		t.Errorf("StartParam = %q", p)
	}
}

// TestDeepLinkStarts: /start PARAM and a wa.me prefilled text start in the link's language at
// its topic, and the observer is told source × topic × language only.
func TestDeepLinkStarts(t *testing.T) {
	p := shipped(t)
	b := bot.New(p.Engine, inmem.New(time.Hour), nil)
	obs := &reachCount{}
	b.Observe(obs)
	ctx := context.Background()
	ev := func(user, lang, txt string) bot.Event {
		return bot.Event{Channel: "test", User: user, Lang: lang, Kind: bot.KindText, Text: txt, Time: at}
	}
	session := func(user string) bot.Session {
		var s bot.Session
		_ = b.Store().Update(ctx, user, func(got *bot.Session) error { s = *got; return nil })
		return s
	}

	// An English phone opening a Dari poster link: Dari, at the return page.
	replies, err := b.Handle(ctx, ev("a", "en-GB", "/start fa-return-poster"))
	if err != nil || len(replies) == 0 {
		t.Fatalf("start: %v %v", replies, err)
	}
	if s := session("a"); s.Lang != "fa" || s.Position() != "return.about" {
		t.Fatalf("after /start fa-return-poster: lang %q at %q", s.Lang, s.Position())
	}
	if replies[0].Lang != "fa" || replies[0].Text != p.Catalog.Display("fa", p.Catalog.Text("fa", p.Content.Node("return.about").Say[0], "")) {
		t.Errorf("first reply %q (%s), want the Dari return page", replies[0].Text, replies[0].Lang)
	}

	// Mid-conversation, a new link starts afresh at its topic; an unknown source counts as other.
	if _, err := b.Handle(ctx, ev("a", "en-GB", "/start@ReturnBot ti-cash-somebodys_campaign")); err != nil {
		t.Fatal(err)
	}
	if s := session("a"); s.Lang != "ti" || s.Position() != "support.cash" || len(s.Trail) != 0 {
		t.Fatalf("after a second link: %+v", s)
	}

	// A link naming nothing readable is a plain /start in the platform's language (not an error).
	if _, err := b.Handle(ctx, ev("b", "ru", "/start !!!")); err != nil {
		t.Fatal(err)
	}
	if s := session("b"); s.Lang != "ru" || s.Position() != "main.menu" {
		t.Fatalf("unknown link: lang %q at %q", s.Lang, s.Position())
	}

	// The Somali wa.me text with its tag: Somali, at the office page.
	prefill := p.Catalog.Text("so", bot.MsgPrefill, "")
	if _, err := b.Handle(ctx, ev("c", "", prefill+" #so-office-reception")); err != nil {
		t.Fatal(err)
	}
	if s := session("c"); s.Lang != "so" || s.Position() != "contact.office" {
		t.Fatalf("wa.me so text: lang %q at %q", s.Lang, s.Position())
	}
	// The Pashto text alone (the tag deleted by the user), from a new user: Pashto, the menu.
	if _, err := b.Handle(ctx, ev("d", "", p.Catalog.Text("ps", bot.MsgPrefill, ""))); err != nil {
		t.Fatal(err)
	}
	if s := session("d"); s.Lang != "ps" || s.Position() != "main.menu" {
		t.Fatalf("wa.me ps text without tag: lang %q at %q", s.Lang, s.Position())
	}
	// ... but mid-conversation the same words are just a message, not a restart.
	if _, err := b.Handle(ctx, ev("c", "", p.Catalog.Text("ps", bot.MsgPrefill, ""))); err != nil {
		t.Fatal(err)
	}
	if s := session("c"); s.Position() == "main.menu" && s.Lang == "ps" {
		t.Fatalf("the prefill text without tag restarted a running conversation")
	}
	// A bare "/start" is not a deep link and is not counted.
	if _, err := b.Handle(ctx, ev("e", "fr", "/start")); err != nil {
		t.Fatal(err)
	}

	want := []string{"poster/return/fa", "other/cash/ti", "none//ru", "reception/office/so", "none//ps"}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if strings.Join(obs.got, " ") != strings.Join(want, " ") {
		t.Errorf("counted %v, want %v", obs.got, want)
	}
}
