package main

import (
	"flag"
	"io/fs"
	"os"
	"time"

	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/lang"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

// contentFlags are the flags every command has for choosing content.
type contentFlags struct {
	flows, locales string
}

func (c *contentFlags) register(fl *flag.FlagSet) {
	fl.StringVar(&c.flows, "flows", os.Getenv("RETURNBOT_FLOWS"), "directory of flow files replacing the built-in ones (RETURNBOT_FLOWS)")
	fl.StringVar(&c.locales, "locales", os.Getenv("RETURNBOT_LOCALES"), "directory of locale files replacing the built-in ones (RETURNBOT_LOCALES)")
}

func (c *contentFlags) fs() (fs.FS, fs.FS) { return contentFS(c.flows, c.locales) }

// contentFS is the built-in flows and locales, or the directories that replace them.
func contentFS(flowsDir, localesDir string) (fs.FS, fs.FS) {
	var f, l fs.FS = flows.FS, locales.FS
	if flowsDir != "" {
		f = os.DirFS(flowsDir)
	}
	if localesDir != "" {
		l = os.DirFS(localesDir)
	}
	return f, l
}

// load reads and checks the content; file names in errors are relative to the chosen directory.
func (c *contentFlags) load() (*flow.Pack, error) {
	return loadContent(c.flows, c.locales, readConfig(os.Getenv).SessionTTL)
}

// loadContent reads and checks the content of flowsDir and localesDir (empty: built in); the
// privacy text states sessionTTL in days.
func loadContent(flowsDir, localesDir string, sessionTTL time.Duration) (*flow.Pack, error) {
	f, l := contentFS(flowsDir, localesDir)
	days := int((sessionTTL + 24*time.Hour - 1) / (24 * time.Hour))
	return flow.LoadWith(f, l, lang.Options{RetentionDays: days})
}
