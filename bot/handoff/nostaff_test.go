package handoff_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
)

// press sends a button press through b and returns the replies.
func press(t *testing.T, b *bot.Bot, user, data string, at time.Time) []bot.Reply {
	t.Helper()
	out, err := b.Handle(context.Background(), bot.Event{Channel: "web", User: user, Lang: "fa", Kind: bot.KindChoice, Data: data, Time: at})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func buttonData(rs []bot.Reply) []string {
	var d []string
	for _, r := range rs {
		for _, b := range r.Buttons {
			d = append(d, b.Data)
		}
	}
	return d
}

// TestNoStaffNoChatNow: with nobody to answer (no staff chat, no staff account) the handoff page
// offers calling and visiting but not "chat now", in office hours too; a stale "chat now" button
// is answered honestly with the phone and a visit, and the user is not left waiting. With staff,
// the same page offers the chat and the chat waits for them.
func TestNoStaffNoChatNow(t *testing.T) {
	loc := osloTime(t)
	open := time.Date(2027, 3, 24, 11, 0, 0, 0, loc) // a Wednesday, office open
	for _, staff := range []bool{false, true} {
		sessions := inmem.New(0)
		eng, _ := handofftest.Engine(t)
		eng.SetStaffAvailable(func() bool { return staff })
		b := bot.New(eng, sessions, nil)
		user := "u-nostaff"
		press(t, b, user, "l|fa", open)
		rs := press(t, b, user, "c|counsellor", open)
		data := strings.Join(buttonData(rs), " ")
		hasChat := strings.Contains(data, bot.OptionData("handoff.start", "chat"))
		if hasChat != staff {
			t.Fatalf("staff=%v: handoff page buttons %s (chat offered: %v)", staff, data, hasChat)
		}
		for _, want := range []string{bot.OptionData("handoff.start", "visit"), bot.OptionData("handoff.start", "phone")} {
			if !strings.Contains(data, want) {
				t.Fatalf("staff=%v: handoff page lacks %s: %s", staff, want, data)
			}
		}
		// "Chat now" pressed anyway (a button from before, or the label typed).
		chat := press(t, b, user, bot.OptionData("handoff.start", "chat"), open)
		var sess bot.Session
		_ = sessions.Update(context.Background(), user, func(s *bot.Session) error { sess = *s; return errors.New("read only") })
		all := joinText(chat)
		if !staff {
			if want := handofftest.Content(t).Catalog.Text("fa", bot.MsgNoStaff, ""); !strings.Contains(all, want) {
				t.Fatalf("no staff: chat answered %q, want %q", all, want)
			}
			if sess.Mode != "" {
				t.Fatalf("no staff: the user waits (mode %q) for nobody", sess.Mode)
			}
			d := strings.Join(buttonData(chat), " ")
			if !strings.Contains(d, bot.OptionData("handoff.chat", "visit")) || !strings.Contains(d, bot.OptionData("handoff.chat", "phone")) {
				t.Fatalf("no staff: the answer does not offer a visit and the phone: %s", d)
			}
		} else if sess.Mode != bot.ModeWaiting {
			t.Fatalf("staff: chat did not wait for staff (mode %q): %q", sess.Mode, all)
		}
	}
}

func joinText(rs []bot.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text)
		b.WriteString("\n")
	}
	return b.String()
}

// TestNoStaffTypedNumberPicksWhatIsShown: a typed "1" chooses the first button on screen; with
// "chat now" hidden (nobody to answer) that is the next option, not the hidden chat.
func TestNoStaffTypedNumberPicksWhatIsShown(t *testing.T) {
	loc := osloTime(t)
	open := time.Date(2027, 3, 24, 11, 0, 0, 0, loc)
	for _, staff := range []bool{false, true} {
		eng, _ := handofftest.Engine(t)
		eng.SetStaffAvailable(func() bool { return staff })
		b := bot.New(eng, inmem.New(0), nil)
		user := "u-typed"
		press(t, b, user, "l|fa", open)
		shown := buttonData(press(t, b, user, "c|counsellor", open))
		if len(shown) == 0 {
			t.Fatalf("staff=%v: the handoff page has no buttons", staff)
		}
		typed, err := b.Handle(context.Background(), bot.Event{Channel: "web", User: user, Lang: "fa", Kind: bot.KindText, Text: "1", Time: open})
		if err != nil {
			t.Fatal(err)
		}
		// Pressing the first button shown must answer the same as typing 1.
		other := "u-pressed"
		press(t, b, other, "l|fa", open)
		press(t, b, other, "c|counsellor", open)
		pressed := press(t, b, other, shown[0], open)
		if got, want := firstNode(typed), firstNode(pressed); got != want {
			t.Fatalf("staff=%v: typing 1 led to %s, the first button shown (%s) to %s", staff, got, shown[0], want)
		}
	}
}

func firstNode(rs []bot.Reply) string {
	for _, r := range rs {
		if r.Node != "" {
			return r.Flow + "." + r.Node
		}
	}
	return ""
}
