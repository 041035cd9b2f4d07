package telegram_test

import (
	"slices"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// waitProfiles waits until the start-up sync has made method (its last get or set) for every
// profile.
func waitProfiles(t *testing.T, srv *telegramtest.Server, from int, method string) {
	t.Helper()
	want := len(telegram.Profiles(content(t).Engine.Language()))
	srv.WaitFor(5*time.Second, "the profile sync", func(calls []telegramtest.Call) bool {
		n := 0
		for _, c := range calls[min(from, len(calls)):] {
			if c.Method == method {
				n++
			}
		}
		return n >= want
	})
}

// TestProfileSync: at start-up the command menu, description and short description are set in
// every language with a Telegram language code, from the locale files; a restart reads them and
// sets nothing; a language changed by hand (BotFather) is set back, and only that one.
func TestProfileSync(t *testing.T) {
	srv := telegramtest.NewServer(t)
	syncing := func(c *telegram.Config) { c.KeepProfile = false }
	h := startWith(t, polling, srv, nil, syncing)
	waitProfiles(t, srv, 0, "setMyShortDescription")
	l := content(t).Engine.Language()

	for _, code := range []string{"fa", "ar", "ti", "ru", "nb"} {
		p := srv.ProfileOf(code)
		if w := l.Text(code, telegram.MsgDescription, ""); p.Description != w || w == "" {
			t.Errorf("%s description %q, want %q", code, p.Description, w)
		}
		if w := l.Text(code, telegram.MsgShortDescription, ""); p.ShortDescription != w {
			t.Errorf("%s short description %q, want %q", code, p.ShortDescription, w)
		}
		if len(p.Commands) != len(bot.Commands) || p.Commands[1].Command != "menu" || p.Commands[1].Description != l.Text(code, bot.MsgMenu, "") {
			t.Errorf("%s commands %+v", code, p.Commands)
		}
	}
	if def := srv.ProfileOf(""); def.Description != l.Text(l.Languages()[0], telegram.MsgDescription, "") {
		t.Errorf("default description %q", def.Description)
	}
	for _, c := range srv.Calls("getMyCommands") {
		if c.Params["language_code"] == "ckb" {
			t.Error("asked Telegram for language ckb, which has no two-letter code")
		}
	}
	sets := func(from int) []string {
		var out []string
		for _, c := range srv.Calls()[from:] {
			if c.Method == "setMyCommands" || c.Method == "setMyDescription" || c.Method == "setMyShortDescription" {
				out = append(out, c.Method+":"+c.Params["language_code"])
			}
		}
		return out
	}
	if n := len(sets(0)); n != 3*len(telegram.Profiles(l)) {
		t.Errorf("first start set %d things, want 3 per profile", n)
	}

	// Restart: everything is as wanted, nothing is set.
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	from := len(srv.Calls())
	h = startWith(t, polling, srv, h.store, syncing)
	waitProfiles(t, srv, from, "getMyShortDescription")
	if s := sets(from); len(s) != 0 {
		t.Errorf("a restart set %v", s)
	}

	// Someone changed the Arabic description by hand: the next start sets that back, only that.
	ar := srv.ProfileOf("ar")
	ar.Description = "changed in BotFather"
	srv.SetProfile("ar", ar)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	from = len(srv.Calls())
	startWith(t, polling, srv, h.store, syncing)
	waitProfiles(t, srv, from, "getMyShortDescription")
	if s := sets(from); !slices.Equal(s, []string{"setMyDescription:ar"}) {
		t.Errorf("after a change by hand the start set %v, want only the Arabic description", s)
	}
	if got := srv.ProfileOf("ar").Description; got != l.Text("ar", telegram.MsgDescription, "") {
		t.Errorf("Arabic description %q after the sync", got)
	}
}

// TestProfileLimits: texts past Telegram's limits are cut, never refused by the Bot API.
func TestProfileLimits(t *testing.T) {
	for _, p := range telegram.Profiles(content(t).Engine.Language()) {
		if n := len([]rune(p.Description)); n > telegram.MaxDescription || n == 0 {
			t.Errorf("%q: description of %d characters", p.Lang, n)
		}
		if n := len([]rune(p.ShortDescription)); n > telegram.MaxShortDescription || n == 0 {
			t.Errorf("%q: short description of %d characters", p.Lang, n)
		}
	}
}
