package understand

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/returnbot/returnbot/bot/lang"
)

// ExamplesDir is the folder of the locales directory that holds the training examples, one
// <lang>.yaml file per language.
const ExamplesDir = "examples"

// Example is one training message.
type Example struct {
	Lang, Label, Text string
	// LookAlike marks a harmless message that uses crisis words (listed under a
	// "# not crisis" comment): it must not trigger the safety answer.
	LookAlike bool
	// File and Line say where it was written, for error messages and reports.
	File string
	Line int
}

// Error is a problem in an examples or intents file, as file:line: reason.
type Error = lang.Error

// LoadExamples reads examples/<lang>.yaml from a locales directory. A missing folder is no
// error: the bot then understands by keywords alone.
func LoadExamples(locales fs.FS) ([]Example, error) {
	names, err := fs.Glob(locales, ExamplesDir+"/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Example
	for _, name := range names {
		raw, err := fs.ReadFile(locales, name)
		if err != nil {
			return nil, err
		}
		code := strings.TrimSuffix(path.Base(name), ".yaml")
		ex, err := ParseExamples(name, code, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, ex...)
	}
	return out, nil
}

// ParseExamples reads one examples file: labels as keys, each a list of messages. A comment
// containing "not crisis" above an item marks it and the items after it in that list as
// look-alikes, until the next comment.
func ParseExamples(file, code string, raw []byte) ([]Example, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, &Error{File: file, Line: 1, Reason: err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Reason: "want labels as keys, each with a list of examples"}
	}
	var out []Example
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, list := root.Content[i], root.Content[i+1]
		if list.Kind != yaml.SequenceNode {
			return nil, &Error{File: file, Line: key.Line, Reason: fmt.Sprintf("%s: want a list of examples", key.Value)}
		}
		look := false
		for _, it := range list.Content {
			if c := it.HeadComment; c != "" {
				look = strings.Contains(strings.ToLower(c), "not crisis")
			}
			if it.Kind != yaml.ScalarNode {
				return nil, &Error{File: file, Line: it.Line, Reason: "an example must be one line of text"}
			}
			if strings.TrimSpace(it.Value) == "" {
				continue
			}
			out = append(out, Example{Lang: code, Label: key.Value, Text: it.Value, LookAlike: look, File: file, Line: it.Line})
		}
	}
	return out, nil
}

// Intents maps each label to what answers it: a node reference ("flow.node" or "flow"), or one
// of the built-in answers (Greeting, Thanks, Who, BotOrHuman, Bye, NotUnderstood).
type Intents map[string]string

// Built-in answers an intent can name in intents.yaml instead of a node.
const (
	Greeting      = "@greeting"
	Thanks        = "@thanks"
	Who           = "@who"
	BotOrHuman    = "@bot"
	Bye           = "@bye"
	NotUnderstood = "@none"
)

// Builtins lists the built-in answers.
var Builtins = []string{Greeting, Thanks, Who, BotOrHuman, Bye, NotUnderstood}

// IntentsFile is the file in the flows directory that maps intents to nodes.
const IntentsFile = "intents.yaml"

// CrisisPrefix starts the labels of messages from people in danger.
const CrisisPrefix = "crisis."

// ParseIntents reads intents.yaml: `label: target` lines.
func ParseIntents(file string, raw []byte) (Intents, error) {
	var m map[string]string
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, &Error{File: file, Line: 1, Reason: err.Error()}
	}
	return Intents(m), nil
}

// ReadIntents reads intents.yaml from a flows directory.
func ReadIntents(flows fs.FS) (Intents, error) {
	raw, err := fs.ReadFile(flows, IntentsFile)
	if err != nil {
		return nil, err
	}
	return ParseIntents(IntentsFile, raw)
}
