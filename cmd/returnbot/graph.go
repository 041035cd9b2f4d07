package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/returnbot/returnbot/bot/flow"
)

func graphCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("graph", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	only := fl.String("flow", "", "draw only this flow")
	code := fl.String("lang", "", "language of the labels (default: the first shipped)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	pack, err := cf.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *code == "" {
		*code = pack.Catalog.Default()
	}
	if err := flow.Graph(stdout, pack.Content, pack.Catalog, *code, *only); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
