package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/cmd/internal/app"
)

// chatLine is one bot message in `chat --json` output.
type chatLine struct {
	Lang    string     `json:"lang"`
	Flow    string     `json:"flow"`
	Node    string     `json:"node"`
	Text    string     `json:"text"`
	Buttons []string   `json:"buttons"`
	Venue   *bot.Venue `json:"venue,omitempty"`
}

func chatCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("chat", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	code := fl.String("lang", "", "conversation language (default: chosen as for a new user)")
	user := fl.String("user", "local", "user id; with REDIS_URL the same id continues a conversation")
	asJSON := fl.Bool("json", false, "one JSON object per bot message")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	pack, err := cf.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := app.ReadConfig(os.Getenv)
	if err := cfg.Check(); err != nil {
		fmt.Fprintln(stderr, "returnbot:", err)
		return 1
	}
	b, closeBot, err := app.Chat(context.Background(), cfg, pack, log) // the same handoff as serve
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer closeBot()
	key := cfg.UserKey("cli", *user)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64*1024), 1024*1024)
	for in.Scan() {
		ev := bot.Event{Channel: "cli", User: key, Lang: *code, Kind: bot.KindText, Text: in.Text(), Time: time.Now()}
		replies, _ := b.Handle(context.Background(), ev)
		for _, r := range replies {
			if *asJSON {
				line := chatLine{Lang: r.Lang, Flow: r.Flow, Node: r.Node, Text: r.Text, Buttons: []string{}, Venue: r.Venue}
				for _, btn := range r.Buttons {
					line.Buttons = append(line.Buttons, btn.Label)
				}
				if err := enc.Encode(line); err != nil {
					return 1
				}
				continue
			}
			printReply(stdout, r)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(stderr, "reading input:", err)
		return 1
	}
	return 0
}

// printReply shows a reply for a person at a terminal: text, map pin, numbered buttons.
func printReply(w io.Writer, r bot.Reply) {
	if r.Venue != nil {
		fmt.Fprintf(w, "📍 %s, %s (%.5f, %.5f)\n", r.Venue.Name, r.Venue.Address, r.Venue.Lat, r.Venue.Lon)
	}
	if r.Text != "" {
		fmt.Fprintln(w, r.Text)
	}
	for i, b := range r.Buttons {
		fmt.Fprintf(w, "  %d. %s\n", i+1, b.Label)
	}
	if r.Text != "" || len(r.Buttons) > 0 {
		fmt.Fprintln(w)
	}
}
