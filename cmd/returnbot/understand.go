package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/understand"
)

// understandCmd prints what the bot makes of one text: the language and the top three answers.
func understandCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("understand", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	code := fl.String("lang", "", "the conversation's language, if known")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, `usage: returnbot understand [--lang L] "text"`)
		return 2
	}
	pack, err := cf.load()
	if err != nil || pack.Model == nil {
		fmt.Fprintln(stderr, "returnbot understand: no model:", err)
		return 1
	}
	u := pack.Model.Understand(*code, strings.Join(fl.Args(), " "))
	if u.Lang != "" {
		fmt.Fprintf(stdout, "language: %s\n", u.Lang)
	} else {
		fmt.Fprintf(stdout, "language: unsure, %s\n", strings.Join(u.Langs, " or "))
	}
	fmt.Fprintf(stdout, "crisis: %v\n", u.Crisis)
	for i, g := range u.Intents {
		if i == 3 {
			break
		}
		fmt.Fprintf(stdout, "%d. %-24s %.2f\n", i+1, g.Target, g.Score)
	}
	return 0
}

// evalCmd measures the model on a file of lang<TAB>intent-or-node<TAB>text lines. The expected
// answer is an intent label (return.travel, crisis.suicide) or a node (return.travel, @none).
func evalCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("eval", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	folds := fl.Int("cv", 0, "instead of a file: k-fold cross-validation on the examples (e.g. 5)")
	misses := fl.Bool("misses", false, "with --cv: list every example answered wrongly (expected, got, text)")
	confusions := fl.Int("confusions", 20, "how many of the commonest confusions to list")
	curve := fl.Bool("curve", false, "also print the crisis trade-off: recall and false alarms for other thresholds of the danger score")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 1 && *folds < 2 {
		fmt.Fprintln(stderr, "usage: returnbot eval FILE.tsv | returnbot eval --cv 5")
		return 2
	}
	pack, err := cf.load()
	if err != nil || pack.Model == nil {
		fmt.Fprintln(stderr, "returnbot eval: no model:", err)
		return 1
	}
	if *folds >= 2 {
		fr, _ := cf.fs()
		in, err := understand.ReadIntents(fr)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		r, err := understand.CrossValidate(understand.Config{Languages: pack.Catalog.Languages(), Intents: in,
			Examples: pack.Examples, Keywords: pack.Catalog.Match, Detect: pack.Catalog.Detect}, *folds)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%d-fold cross-validation on the examples (keyword lists included):\n", *folds)
		printReport(stdout, r, *confusions)
		if *curve {
			printCurve(stdout, r)
		}
		if *misses {
			fmt.Fprintln(stdout, "\nmisses (lang, expected -> got, score, language got, text):")
			for _, m := range r.Misses {
				fmt.Fprintf(stdout, "  %s\t%s -> %s\t%.2f\t%s\t%s\n", m.Lang, m.Want, m.Got, m.Score, m.GotLang, m.Text)
			}
		}
		return 0
	}
	raw, err := os.ReadFile(fl.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	intents := map[string]string{}
	for _, ex := range pack.Examples {
		intents[ex.Label] = ""
	}
	fr, _ := cf.fs()
	if b, err := readIntents(fr); err == nil {
		intents = b
	}
	var cases []understand.Case
	lookAlike := false // a "# lookalike" (or "# not crisis") line marks the next case
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if c := strings.TrimSpace(strings.TrimPrefix(line, "#")); strings.HasPrefix(line, "#") && (c == "lookalike" || c == "not crisis") {
			lookAlike = true
			continue
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			fmt.Fprintf(stderr, "%s:%d: want lang<TAB>intent-or-node<TAB>text\n", fl.Arg(0), n)
			return 1
		}
		want := parts[1]
		c := understand.Case{Lang: parts[0], Text: parts[2], LookAlike: lookAlike}
		lookAlike = false
		if strings.HasPrefix(want, understand.CrisisPrefix) || want == "crisis" || want == "safety" || want == "safety.help" {
			c.Crisis = true
		}
		if t, ok := intents[want]; ok && t != "" {
			want = t
		}
		if want == "none" {
			want = understand.NotUnderstood
		}
		c.Want = want
		cases = append(cases, c)
	}
	r := understand.Evaluate(pack.Model, cases)
	printReport(stdout, r, *confusions)
	if *curve {
		printCurve(stdout, r)
	}
	return 0
}

// printHelped prints the two bands of the crisis decision together: crisis messages given the help
// numbers at all (the safety page, or the numbers before the answer), and harmless messages that
// were (alarms plus cautions).
func printHelped(w io.Writer, r *understand.Report) {
	if len(r.Helped) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nhelp numbers shown (safety page from %.2f, or before the answer from %.2f):\nlang\tcrisis helped\tharmless shown\tlook-alikes shown\t\n",
		understand.CrisisFrom, understand.CautionFrom)
	pct := func(s *understand.Score, inv bool) string {
		if s == nil || s.All == 0 {
			return "-"
		}
		if inv {
			return fmt.Sprintf("%.1f%%", 100-s.Pct())
		}
		return fmt.Sprintf("%.1f%%", s.Pct())
	}
	for _, l := range understand.Keys(r.Topic) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", l, pct(r.Helped[l], false), pct(r.Calm[l], true), pct(r.LookAlikeCalm[l], true))
	}
	h, c, lc := understand.Sum(r.Helped), understand.Sum(r.Calm), understand.Sum(r.LookAlikeCalm)
	fmt.Fprintf(tw, "all\t%s\t%s\t%s\t\n", pct(&h, false), pct(&c, true), pct(&lc, true))
	tw.Flush()
}

// printCurve prints the crisis trade-off for thresholds around understand.CrisisFrom.
func printCurve(w io.Writer, r *understand.Report) {
	var from []float64
	for t := 0.02; t < 0.81; t += 0.02 {
		from = append(from, t)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\ncrisis trade-off (now from %.2f):\nfrom\trecall\tweakest language\tfalse alarms\tlook-alike alarms\t\n", understand.CrisisFrom)
	for _, p := range r.Curve(from) {
		fmt.Fprintf(tw, "%.2f\t%.1f%%\t%.1f%% %s\t%.1f%%\t%.1f%%\t\n", p.From, p.Recall, p.WorstRecall, p.WorstLang, p.FalseAlarm, p.LookAlikeRate)
	}
	tw.Flush()
}

func printReport(w io.Writer, r *understand.Report, top int) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "lang\tcases\ttopic\tlanguage\tcrisis recall\tfalse alarms\tof them look-alikes\t")
	for _, l := range understand.Keys(r.Topic) {
		rec, fa, la := "-", "-", "-"
		if s := r.Recall[l]; s != nil {
			rec = fmt.Sprintf("%.1f%% of %d", s.Pct(), s.All)
		}
		if s := r.FalseAlarm[l]; s != nil {
			fa = fmt.Sprintf("%.1f%% of %d", 100-s.Pct(), s.All)
		}
		if s := r.LookAlikeAlarm[l]; s != nil {
			la = fmt.Sprintf("%.1f%% of %d", 100-s.Pct(), s.All)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%.1f%%\t%s\t%s\t%s\t\n", l, r.Topic[l].All, r.Topic[l].Pct(), r.Lang[l].Pct(), rec, fa, la)
	}
	all, lang, rec, fa := understand.Sum(r.Topic), understand.Sum(r.Lang), understand.Sum(r.Recall), understand.Sum(r.FalseAlarm)
	la := "-"
	if s := understand.Sum(r.LookAlikeAlarm); s.All > 0 {
		la = fmt.Sprintf("%.1f%%", 100-s.Pct())
	}
	fmt.Fprintf(tw, "all\t%d\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%s\t\n", all.All, all.Pct(), lang.Pct(), rec.Pct(), 100-fa.Pct(), la)
	tw.Flush()
	printHelped(w, r)
	fmt.Fprintf(w, "\nanswered at once (score >= %.2f): %.1f%% of topic answers, %.1f%% of them right; offered under \"did you mean\": %.1f%%, %.1f%% right\n",
		bot.SureIntent, 100*float64(r.Sure.All)/float64(max(1, all.All)), r.Sure.Pct(), 100*float64(r.Maybe.All)/float64(max(1, all.All)), r.Maybe.Pct())
	fmt.Fprintln(w, "\nper intent:")
	for _, k := range understand.Keys(r.PerIntent) {
		fmt.Fprintf(w, "  %-24s %5.1f%% of %d\n", k, r.PerIntent[k].Pct(), r.PerIntent[k].All)
	}
	type conf struct {
		pair [2]string
		n    int
	}
	var cs []conf
	for p, n := range r.Confusions {
		cs = append(cs, conf{p, n})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].n != cs[j].n {
			return cs[i].n > cs[j].n
		}
		return cs[i].pair[0]+cs[i].pair[1] < cs[j].pair[0]+cs[j].pair[1]
	})
	fmt.Fprintln(w, "\nconfusions (expected -> got):")
	for i, c := range cs {
		if i == top {
			break
		}
		fmt.Fprintf(w, "  %3d  %s -> %s\n", c.n, c.pair[0], c.pair[1])
	}
}

func readIntents(flows fs.FS) (map[string]string, error) {
	in, err := understand.ReadIntents(flows)
	return map[string]string(in), err
}
