package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/returnbot/returnbot/bot/poster"
)

// postersCmd writes one printable A4 poster per language and an index into a directory.
func postersCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("posters", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	out := fl.String("out", "", "directory to write poster-LANG.html and index.html into (created if missing)")
	source := fl.String("source", "", "the posters' source name from reach.yaml (counted when people come through them)")
	topic := fl.String("topic", "", "a topic name from reach.yaml the codes open (default: the main menu)")
	langs := fl.String("lang", "", "comma-separated language codes (default: every shipped language)")
	var links poster.Links
	fl.StringVar(&links.Telegram, "telegram", os.Getenv("TELEGRAM_BOT_USERNAME"), "the Telegram bot's username (TELEGRAM_BOT_USERNAME)")
	fl.StringVar(&links.WhatsApp, "whatsapp", os.Getenv("WHATSAPP_NUMBER"), "the WhatsApp business number, international form (WHATSAPP_NUMBER)")
	fl.StringVar(&links.Web, "web", os.Getenv("RETURNBOT_WEBCHAT_URL"), "the web chat's public address (RETURNBOT_WEBCHAT_URL)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "posters: --out DIR is required")
		return 2
	}
	pack, err := cf.load()
	if err != nil || pack.Engine == nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if r := pack.Content.Reach; *source != "" && (r == nil || !slices.Contains(r.Sources, *source)) {
		fmt.Fprintf(stderr, "posters: source %q is not listed in reach.yaml: it would be counted as \"other\"\n", *source)
		return 2
	}
	if r := pack.Content.Reach; *topic != "" && (r == nil || r.Topics[*topic] == "") {
		fmt.Fprintf(stderr, "posters: topic %q is not in reach.yaml\n", *topic)
		return 2
	}
	o := poster.Options{Links: links, Source: *source, Topic: *topic}
	if *langs != "" {
		o.Langs = strings.Split(*langs, ",")
		for _, l := range o.Langs {
			if !slices.Contains(pack.Catalog.Languages(), l) {
				fmt.Fprintf(stderr, "posters: no locale for language %q\n", l)
				return 2
			}
		}
	}
	pages, err := poster.Pages(pack.Engine, o)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, p := range pages {
		b, err := poster.Render(p)
		if err == nil {
			err = os.WriteFile(filepath.Join(*out, poster.FileName(p.Lang)), b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	b, err := poster.Index(pages)
	if err == nil {
		err = os.WriteFile(filepath.Join(*out, "index.html"), b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d posters and index.html to %s\n", len(pages), *out)
	return 0
}
