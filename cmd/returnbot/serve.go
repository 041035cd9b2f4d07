package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/returnbot/returnbot/cmd/internal/app"
)

// serveCmd runs the bot until SIGINT or SIGTERM: app.ConfigFromEnv, then app.Serve (Main.Run,
// the signal, Main.Close). The flags override the environment.
func serveCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	cfg, cfgErr := app.ConfigFromEnv(os.Getenv)
	fl.StringVar(&cfg.Addr, "addr", cfg.Addr, "HTTP listen address (RETURNBOT_ADDR)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if cfgErr != nil {
		fmt.Fprintln(stderr, "returnbot:", cfgErr)
		return 1
	}
	cfg.Flows, cfg.Locales = cf.flows, cf.locales
	return app.Serve(cfg, stdout, stderr)
}
