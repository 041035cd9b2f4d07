package bot_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
)

func voiceEvent(size int64) bot.Event {
	return bot.Event{Kind: bot.KindMedia, Media: bot.MediumVoice, Time: at,
		Medium: &bot.Medium{Kind: bot.MediumVoice, MIME: "audio/ogg", Size: size, Channel: "telegram", Ref: "AwADBAAD"}}
}

// Outside a chat with staff, a voice note gets the voice answer, a photo the general one; both
// offer a counsellor first and keep the buttons the user could press before.
func TestMediaAnswerOffersPeopleAndKeepsButtons(t *testing.T) {
	e := testPack(t).Engine
	before := e.Respond(&bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix()}, bot.Event{Kind: bot.KindChoice, Data: "c|menu", Time: at})
	menu := last(before).Buttons
	for _, c := range []struct {
		ev   bot.Event
		want string
	}{
		{voiceEvent(4000), "en:common.media_voice"},
		{bot.Event{Kind: bot.KindMedia, Media: "audio", Time: at, Medium: &bot.Medium{Kind: "audio", Size: 10}}, "en:common.media_voice"},
		{bot.Event{Kind: bot.KindMedia, Media: "photo", Time: at, Medium: &bot.Medium{Kind: "photo", Size: 10}}, "en:common.media"},
		{bot.Event{Kind: bot.KindMedia, Media: "location", Time: at}, "en:common.media"},
	} {
		s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix()}
		res := e.Respond(s, c.ev)
		if len(res.Replies) != 1 || res.Replies[0].Text != c.want {
			t.Fatalf("%s: %+v", c.ev.Media, res.Replies)
		}
		b := res.Replies[0].Buttons
		if len(b) == 0 || b[0].Data != "g|handoff.start" || b[0].Label != "nav.talk" {
			t.Fatalf("%s: first button is not the counsellor: %+v", c.ev.Media, b)
		}
		for _, m := range menu {
			found := false
			for _, x := range b {
				found = found || x.Data == m.Data
			}
			if !found {
				t.Errorf("%s: menu button %q lost: %+v", c.ev.Media, m.Data, b)
			}
		}
		if res.Relay != "" || res.RelayMedium != nil {
			t.Errorf("%s relayed outside a chat: %+v", c.ev.Media, res)
		}
	}
}

// While staff hold the chat, a medium within its limit is relayed as itself and the bot says
// nothing; one over its limit is answered and only its kind and size reach staff; a location
// (no medium) reaches staff as its kind.
func TestHeldMediumIsRelayedOrRefused(t *testing.T) {
	e := testPack(t).Engine
	for _, mode := range []string{bot.ModeStaff, bot.ModeWaiting} {
		s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix(), Mode: mode}
		ev := voiceEvent(12_345)
		res := e.Respond(s, ev)
		if len(res.Replies) != 0 || res.RelayMedium != ev.Medium || res.Relay != "[voice · 12 KB]" {
			t.Fatalf("%s: %+v", mode, res)
		}
		big := voiceEvent(bot.MaxMediumBytes + 1)
		res = e.Respond(s, big)
		if res.RelayMedium != nil || len(res.Replies) != 1 || res.Replies[0].Text != "en:common.media_too_large" {
			t.Fatalf("%s too large: %+v", mode, res)
		}
		if res.Relay != "[voice · 16.8 MB ⛔]" || strings.Contains(res.Relay, "AwAD") {
			t.Errorf("%s too large relay: %q", mode, res.Relay)
		}
		photo := bot.Event{Kind: bot.KindMedia, Media: "photo", Time: at, Medium: &bot.Medium{Kind: "photo", Size: bot.MaxImageBytes + 1}}
		if res = e.Respond(s, photo); res.RelayMedium != nil || len(res.Replies) != 1 {
			t.Errorf("%s: photo over 5 MB passed: %+v", mode, res)
		}
		res = e.Respond(s, bot.Event{Kind: bot.KindMedia, Media: "location", Time: at})
		if res.Relay != "[location]" || res.RelayMedium != nil || len(res.Replies) != 0 {
			t.Errorf("%s location: %+v", mode, res)
		}
		if s.Mode != mode {
			t.Errorf("media gave the bot back: mode %q", s.Mode)
		}
	}
}

type mediaCount struct {
	reachCount
	got []string
}

func (m *mediaCount) Medium(channel, kind, outcome string) {
	m.got = append(m.got, channel+"/"+kind+"/"+outcome)
}

// The metric gets channel, kind and outcome of each medium, nothing else.
func TestMediumObserverCountsByKindAndChannel(t *testing.T) {
	p := testPack(t)
	b := bot.New(p.Engine, inmem.New(time.Hour), nil)
	obs := &mediaCount{}
	b.Observe(obs)
	ev := voiceEvent(100)
	ev.Channel, ev.User = "telegram", "u1"
	if _, err := b.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(obs.got) != 1 || obs.got[0] != "telegram/voice/answered" {
		t.Fatalf("got %v", obs.got)
	}
}

func TestLimitedStopsPastTheLimit(t *testing.T) {
	r := bot.Limited(io.NopCloser(strings.NewReader(strings.Repeat("x", 11))), 10)
	b, err := io.ReadAll(r)
	if !errors.Is(err, bot.ErrMediumTooLarge) || len(b) > 11 {
		t.Fatalf("read %d, err %v", len(b), err)
	}
	r = bot.Limited(io.NopCloser(strings.NewReader(strings.Repeat("x", 10))), 10)
	if b, err = io.ReadAll(r); err != nil || len(b) != 10 {
		t.Fatalf("exact limit: %d %v", len(b), err)
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{820: "820 B", 12_345: "12 KB", 3_400_000: "3.4 MB"} {
		if got := bot.HumanSize(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}
