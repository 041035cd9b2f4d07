package flow

import (
	"bytes"
	"fmt"
	"slices"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
)

// ReachFile is the file in the flows directory that names the topics and sources of deep links.
const ReachFile = "reach.yaml"

// parseReach reads reach.yaml: topics (name: flow.node) and sources (a list of names).
func parseReach(file string, raw []byte) (*bot.Reach, Errors) {
	var doc struct {
		Topics  yaml.Node `yaml:"topics"`
		Sources []string  `yaml:"sources"`
		Helpful bool      `yaml:"helpful"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, Errors{yamlError(file, err)}
	}
	r := &bot.Reach{Topics: map[string]string{}, File: file, Line: 1, Helpful: doc.Helpful}
	var errs Errors
	t := &doc.Topics
	if t.Kind != 0 && t.Kind != yaml.MappingNode {
		return nil, Errors{{File: file, Line: t.Line, Reason: "topics must be a mapping of name: flow.node"}}
	}
	for i := 0; i+1 < len(t.Content); i += 2 {
		k, v := t.Content[i], t.Content[i+1]
		if !idPattern.MatchString(k.Value) {
			errs = append(errs, &Error{File: file, Line: k.Line, Reason: fmt.Sprintf("topic name %q: use lower-case letters, digits and _ (a link separates its parts with -)", k.Value)})
			continue
		}
		r.Topics[k.Value] = v.Value
	}
	for _, s := range doc.Sources {
		if !idPattern.MatchString(s) || s == bot.SourceOther || s == bot.SourceNone {
			errs = append(errs, &Error{File: file, Line: 1, Reason: fmt.Sprintf("source %q: use lower-case letters, digits and _ (not %q or %q)", s, bot.SourceOther, bot.SourceNone)})
			continue
		}
		r.Sources = append(r.Sources, s)
	}
	return r, errs
}

// validateReach checks that every topic leads to a real node and that no name can be read
// as two things: a language code, a topic and a source must all differ.
func (r *Report) validateReach(c *bot.Content, cat *lang.Catalog) {
	rc := c.Reach
	if rc == nil {
		return
	}
	names := make([]string, 0, len(rc.Topics))
	for name := range rc.Topics {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ref := rc.Topics[name]
		if c.Node(ref) == nil {
			r.Problems = append(r.Problems, &Error{File: rc.File, Line: rc.Line, Reason: fmt.Sprintf("topic %q goes to %q, which does not exist", name, ref)})
		}
		if slices.Contains(cat.Languages(), name) {
			r.Problems = append(r.Problems, &Error{File: rc.File, Line: rc.Line, Reason: fmt.Sprintf("topic %q is also a language code", name)})
		}
	}
	for _, s := range rc.Sources {
		if rc.Topics[s] != "" || slices.Contains(cat.Languages(), s) {
			r.Problems = append(r.Problems, &Error{File: rc.File, Line: rc.Line, Reason: fmt.Sprintf("source %q is also a topic or a language code", s)})
		}
	}
}

// reachUses are the messages deep links, posters and platform profiles need in every language.
func reachUses(c *bot.Content) []use {
	if c.Reach == nil {
		return nil
	}
	var out []use
	for _, id := range bot.ReachMessages {
		out = append(out, use{id: id, file: c.Reach.File})
	}
	return out
}
