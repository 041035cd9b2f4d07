package flow

import (
	"io/fs"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
)

// Pack is loaded, checked content ready to run.
type Pack struct {
	Content *bot.Content
	Catalog *lang.Catalog
	Engine  *bot.Engine
	Report  *Report
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
	return &Pack{Content: c, Catalog: cat, Engine: bot.NewEngine(c, cat), Report: r}, nil
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
