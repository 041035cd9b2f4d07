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

	"github.com/returnbot/returnbot/bot/audio"
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
	clips, audioProbs := app.LoadAudio(cf.audio, pack)
	printAudio(stdout, clips)
	for _, w := range pack.Report.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	for _, e := range pack.Report.Problems {
		fmt.Fprintln(stderr, e)
	}
	for _, e := range pack.Report.Missing {
		fmt.Fprintln(stderr, e)
	}
	for _, p := range audioProbs {
		fmt.Fprintln(stderr, p)
	}
	if !pack.Report.OK() || len(audioProbs) > 0 {
		fmt.Fprintf(stderr, "%d problems, %d missing texts, %d unusable recordings\n", len(pack.Report.Problems), len(pack.Report.Missing), len(audioProbs))
		return 1
	}
	app.StaffAvailability(context.Background(), stdout, app.ReadConfig(os.Getenv))
	fmt.Fprintf(stdout, "ok: %d flows, %d languages, %d recordings\n", len(pack.Content.Flows), len(pack.Catalog.Languages()), clips.Len())
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

// printAudio prints how many of the texts pages say are recorded, per language.
func printAudio(w io.Writer, lib *audio.Library) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "language\trecorded\tcoverage\t")
	for _, c := range lib.Coverage() {
		pct := 0.0
		if c.Want > 0 {
			pct = 100 * float64(c.Have) / float64(c.Want)
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%.0f%%\t\n", c.Lang, c.Have, c.Want, pct)
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
