package telegram_test

import (
	"fmt"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/telegram"
)

// TestRender: consecutive plain texts of one language become one message (paragraphs), with the
// buttons of the last; a venue, buttons in between, another language or the length limit keep
// messages apart.
func TestRender(t *testing.T) {
	ok := []bot.Button{{Label: "OK", Data: "ok"}}
	office := &bot.Venue{Name: "IOM Oslo", Address: "Skippergata 33", Lat: 59.9, Lon: 10.75}
	long := strings.Repeat("ሀ", telegram.MaxTextUnits-10) // one UTF-16 unit each
	for _, tc := range []struct {
		name    string
		replies []bot.Reply
		want    []string // per message: kind, text, then "+kb" when it carries buttons
	}{
		{"texts", []bot.Reply{{Lang: "en", Text: "a"}, {Lang: "en", Text: "b"}, {Lang: "en", Text: "c", Buttons: ok}},
			[]string{"msg a\n\nb\n\nc +kb"}},
		{"buttons alone go on the text", []bot.Reply{{Lang: "ti", Text: "ሰላም"}, {Lang: "ti", Buttons: ok}},
			[]string{"msg ሰላም +kb"}},
		{"buttons alone first", []bot.Reply{{Lang: "en", Buttons: ok}, {Lang: "en", Text: "b"}},
			[]string{"msg 👇 +kb", "msg b"}},
		{"buttons end a message", []bot.Reply{{Lang: "en", Text: "a", Buttons: ok}, {Lang: "en", Text: "b"}},
			[]string{"msg a +kb", "msg b"}},
		{"another language", []bot.Reply{{Lang: "en", Text: "Language: Dari"}, {Lang: "fa", Text: "سلام", Buttons: ok}},
			[]string{"msg Language: Dari", "msg سلام +kb"}},
		{"venue between", []bot.Reply{{Lang: "en", Text: "a"}, {Lang: "en", Venue: office}, {Lang: "en", Buttons: ok}},
			[]string{"msg a", "venue IOM Oslo +kb"}},
		{"venue with text", []bot.Reply{{Lang: "en", Venue: office, Text: "Open 10-15"}, {Lang: "en", Text: "b", Buttons: ok}},
			[]string{"venue IOM Oslo", "msg Open 10-15", "msg b +kb"}},
		{"too long together", []bot.Reply{{Lang: "ti", Text: long}, {Lang: "ti", Text: "ሀሀሀሀሀሀሀሀሀ", Buttons: ok}},
			[]string{"msg " + long, "msg ሀሀሀሀሀሀሀሀሀ +kb"}},
		{"just fits", []bot.Reply{{Lang: "ti", Text: long}, {Lang: "ti", Text: "ሀሀሀሀሀሀሀሀ"}},
			[]string{"msg " + long + "\n\nሀሀሀሀሀሀሀሀ"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range telegram.Render(7, tc.replies) {
				got = append(got, describe(c))
			}
			if strings.Join(got, " | ") != strings.Join(tc.want, " | ") {
				t.Errorf("got  %q\nwant %q", short(got), short(tc.want))
			}
		})
	}
	// Merging copies: the caller's replies are left as they were.
	rs := []bot.Reply{{Lang: "en", Text: "a"}, {Lang: "en", Text: "b", Buttons: ok}}
	telegram.Render(7, rs)
	if rs[0].Text != "a" || rs[0].Buttons != nil {
		t.Errorf("Render changed its input: %+v", rs)
	}
}

func describe(c tgbotapi.Chattable) string {
	switch m := c.(type) {
	case tgbotapi.MessageConfig:
		s := "msg " + m.Text
		if m.ReplyMarkup != nil {
			s += " +kb"
		}
		return s
	case tgbotapi.VenueConfig:
		s := "venue " + m.Title
		if m.ReplyMarkup != nil {
			s += " +kb"
		}
		return s
	}
	return "?"
}

// short keeps failure messages readable: long texts shown by their length.
func short(ms []string) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		if n := telegram.UTF16Len(m); n > 80 {
			m = fmt.Sprintf("%s… (%d units)", string([]rune(m)[:20]), n)
		}
		out[i] = m
	}
	return out
}
