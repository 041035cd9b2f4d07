package flow

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
	"github.com/returnbot/returnbot/bot/understand"
)

// Pack is loaded, checked content ready to run.
type Pack struct {
	Content *bot.Content
	Catalog *lang.Catalog
	Engine  *bot.Engine
	Report  *Report
	// Model understands free text (nil without intents.yaml); Examples are what it learnt from.
	Model    *understand.Model
	Examples []understand.Example
}

// Load reads flows and locales, validates them and builds the engine. Structural problems (a
// broken file, a missing target, an unreachable node, a button too long) are returned as Errors,
// each file:line: reason; missing translations are only reported in Pack.Report, because the
// default language fills in for them.
func Load(flows, locales fs.FS) (*Pack, error) {
	return LoadWith(flows, locales, lang.Options{})
}

// LoadWith is Load with settings the texts depend on (the retention period users are told).
func LoadWith(flows, locales fs.FS, opts lang.Options) (*Pack, error) {
	c, err := LoadContent(flows)
	if err != nil {
		return nil, asErrors(err)
	}
	cat, err := lang.LoadWith(locales, c, opts)
	if err != nil {
		return nil, asErrors(err)
	}
	r := Validate(c, cat)
	if len(r.Problems) > 0 {
		return &Pack{Content: c, Catalog: cat, Report: r}, r.Problems
	}
	cat.IndexTopics(Topics(c))
	model, examples, err := loadUnderstanding(flows, locales, c, cat, r)
	if err != nil {
		return &Pack{Content: c, Catalog: cat, Report: r}, asErrors(err)
	}
	e := bot.NewEngine(c, cat)
	if model != nil {
		e.SetUnderstander(model)
	}
	return &Pack{Content: c, Catalog: cat, Engine: e, Report: r, Model: model, Examples: examples}, nil
}

// loadUnderstanding reads intents.yaml and the examples and trains the models; without an
// intents.yaml the engine understands by keywords alone. It counts examples per intent and
// language into the report and warns where a language has too few.
func loadUnderstanding(flows, locales fs.FS, c *bot.Content, cat *lang.Catalog, r *Report) (*understand.Model, []understand.Example, error) {
	raw, err := fs.ReadFile(flows, understand.IntentsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	intents, err := understand.ParseIntents(understand.IntentsFile, raw)
	if err != nil {
		return nil, nil, err
	}
	var errs Errors
	for label, target := range intents {
		if strings.HasPrefix(target, "@") {
			if !slices.Contains(understand.Builtins, target) {
				errs = append(errs, &Error{File: understand.IntentsFile, Line: 0, Reason: fmt.Sprintf("%s: %q is no built-in answer (%s)", label, target, strings.Join(understand.Builtins, ", "))})
			}
			continue
		}
		if c.Node(target) == nil {
			errs = append(errs, &Error{File: understand.IntentsFile, Line: 0, Reason: fmt.Sprintf("%s: no node %q", label, target)})
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	examples, err := understand.LoadExamples(locales)
	if err != nil {
		return nil, nil, err
	}
	r.Examples = countExamples(cat.Languages(), intents, examples)
	for _, code := range cat.Languages() {
		for _, label := range sortedKeys(intents) {
			if n := r.Examples[code][label]; n < MinExamples {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s/%s.yaml: %s has %d examples, want at least %d", understand.ExamplesDir, code, label, n, MinExamples))
			}
		}
	}
	m, err := understand.New(understand.Config{Languages: cat.Languages(), Intents: intents, Examples: examples, Keywords: cat.Match, Detect: cat.Detect})
	if err != nil {
		return nil, nil, err
	}
	return m, examples, nil
}

// MinExamples is how many examples an intent should have in each language; validate warns below.
const MinExamples = 20

func countExamples(langs []string, intents understand.Intents, ex []understand.Example) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, code := range langs {
		out[code] = map[string]int{}
	}
	for _, e := range ex {
		if out[e.Lang] != nil {
			out[e.Lang][e.Label]++
		}
	}
	return out
}

func sortedKeys(m understand.Intents) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Topics maps each node with keywords to its keyword message ID.
func Topics(c *bot.Content) map[string]string {
	t := map[string]string{}
	for _, f := range c.Flows {
		for _, n := range f.Nodes {
			if n.Keywords != "" {
				t[n.Ref()] = n.Keywords
			}
		}
	}
	return t
}
