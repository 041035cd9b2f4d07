package main

import (
	"flag"
	"io/fs"
	"os"

	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/cmd/internal/app"
)

// contentFlags are the flags every command has for choosing content.
type contentFlags struct {
	flows, locales, audio string
}

func (c *contentFlags) register(fl *flag.FlagSet) {
	fl.StringVar(&c.flows, "flows", os.Getenv("RETURNBOT_FLOWS"), "directory of flow files replacing the built-in ones (RETURNBOT_FLOWS)")
	fl.StringVar(&c.locales, "locales", os.Getenv("RETURNBOT_LOCALES"), "directory of locale files replacing the built-in ones (RETURNBOT_LOCALES)")
	fl.StringVar(&c.audio, "audio", os.Getenv("RETURNBOT_AUDIO"), "directory of recorded answers (<lang>/<message-id>.ogg) replacing the built-in ones (RETURNBOT_AUDIO)")
}

func (c *contentFlags) fs() (fs.FS, fs.FS) { return app.ContentFS(c.flows, c.locales) }

// load reads and checks the content; file names in errors are relative to the chosen directory.
func (c *contentFlags) load() (*flow.Pack, error) {
	return app.LoadContent(c.flows, c.locales, app.ReadConfig(os.Getenv).SessionTTL)
}
