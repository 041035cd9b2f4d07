package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/returnbot/returnbot/bot/flow"
)

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("validate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	if err := fl.Parse(args); err != nil {
		return 2
	}
	pack, err := cf.load()
	if pack == nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	printCoverage(stdout, pack.Report)
	for _, e := range pack.Report.Problems {
		fmt.Fprintln(stderr, e)
	}
	for _, e := range pack.Report.Missing {
		fmt.Fprintln(stderr, e)
	}
	if !pack.Report.OK() {
		fmt.Fprintf(stderr, "%d problems, %d missing texts\n", len(pack.Report.Problems), len(pack.Report.Missing))
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d flows, %d languages\n", len(pack.Content.Flows), len(pack.Catalog.Languages()))
	return 0
}

func printCoverage(w io.Writer, r *flow.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "language\ttexts\tcoverage\t")
	for _, c := range r.Coverage {
		fmt.Fprintf(tw, "%s\t%d/%d\t%.0f%%\t\n", c.Lang, c.Have, c.Want, c.Percent())
	}
	tw.Flush()
}
