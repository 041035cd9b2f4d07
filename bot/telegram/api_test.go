package telegram

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// The sender's own JSON calls must reach Telegram as the same call the library would make: the
// fake Bot API records both as parameters, and they must agree (coordinates as numbers). What
// render never builds goes through the library.
func TestJSONCallsMatchTheLibrary(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a, err := connect(context.Background(), telegramtest.Token, srv.Endpoint(), http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	ok := []bot.Button{{Label: "Ja", Data: "o|main.menu|yes"}, {Label: "ንምንታይ?", Data: "o|main.menu|why"}}
	msgs := render(4242, []bot.Reply{
		{Lang: "ar", Text: "مرحبا \"بكم\" & <أهلاً> 👋"},
		{Lang: "en", Venue: &bot.Venue{Name: "IOM Oslo", Address: "Skippergata 33, 0154 Oslo", Lat: 59.9106, Lon: 10.7522}, Buttons: ok},
		{Lang: "ti", Text: "ሰላም", Buttons: ok},
	})
	for _, m := range msgs {
		if _, _, fast := jsonCall(m); !fast {
			t.Fatalf("%T from render does not take the JSON path", m)
		}
		if _, err := a.request(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if _, err := a.with(context.Background()).Request(m); err != nil {
			t.Fatal(err)
		}
	}
	calls := srv.Calls("sendMessage", "sendVenue")
	if len(calls) != 2*len(msgs) {
		t.Fatalf("%d calls for %d messages sent twice", len(calls), len(msgs))
	}
	for i := 0; i < len(calls); i += 2 {
		ours, lib := calls[i], calls[i+1]
		if ours.Method != lib.Method || ours.Status != 200 || lib.Status != 200 {
			t.Fatalf("ours %s %d, library's %s %d", ours.Method, ours.Status, lib.Method, lib.Status)
		}
		for k, want := range lib.Params {
			if want == "null" {
				// The library sends entities=null for no entities; Telegram reads it as absent.
				delete(lib.Params, k)
				continue
			}
			got := ours.Params[k]
			if k == "latitude" || k == "longitude" {
				g, _ := strconv.ParseFloat(got, 64)
				w, _ := strconv.ParseFloat(want, 64)
				got, want = strconv.FormatFloat(g, 'f', 6, 64), strconv.FormatFloat(w, 'f', 6, 64)
			}
			if got != want {
				t.Errorf("%s %s: ours %q, library's %q", ours.Method, k, got, want)
			}
		}
		if len(ours.Params) != len(lib.Params) {
			t.Errorf("%s: ours %v, library's %v", ours.Method, ours.Params, lib.Params)
		}
	}

	// A refusal reads as the library's error, retry_after included.
	srv.Fail("sendMessage", 4242, 1, telegramtest.Fault{Code: 429, RetryAfter: 3})
	_, err = a.request(context.Background(), msgs[0])
	if out, wait := classify(context.Background(), err); out != throttled || wait.Seconds() != 3 {
		t.Errorf("429: %v gives %v after %v", err, out, wait)
	}
	srv.Fail("sendMessage", 4242, 1, telegramtest.Fault{Code: 502, HTML: true})
	if _, err = a.request(context.Background(), msgs[0]); err == nil {
		t.Error("an HTML 502 read as success")
	} else if out, _ := classify(context.Background(), err); out != retry {
		t.Errorf("HTML 502: %v gives %v", err, out)
	}

	// Anything render does not set goes through the library.
	quiet := tgbotapi.NewMessage(4242, "x")
	quiet.DisableNotification = true
	for _, c := range []tgbotapi.Chattable{quiet, tgbotapi.NewCallback("q1", ""), tgbotapi.NewMessage(0, "x")} {
		if _, _, fast := jsonCall(c); fast {
			t.Errorf("%T %+v takes the JSON path", c, c)
		}
	}
}
