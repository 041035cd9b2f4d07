package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/cmd/internal/app"
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
	printExamples(stdout, pack.Report)
	for _, w := range pack.Report.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
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
	app.StaffAvailability(context.Background(), stdout, app.ReadConfig(os.Getenv))
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

// printExamples prints the training examples per intent (rows) and language (columns).
func printExamples(w io.Writer, r *flow.Report) {
	if len(r.Examples) == 0 {
		return
	}
	var langs []string
	labels := map[string]bool{}
	for _, c := range r.Coverage {
		langs = append(langs, c.Lang)
		for l := range r.Examples[c.Lang] {
			labels[l] = true
		}
	}
	rows := make([]string, 0, len(labels))
	for l := range labels {
		rows = append(rows, l)
	}
	sort.Strings(rows)
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "examples\t%s\t\n", strings.Join(langs, "\t"))
	for _, l := range rows {
		fmt.Fprintf(tw, "%s\t", l)
		for _, code := range langs {
			fmt.Fprintf(tw, "%d\t", r.Examples[code][l])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
