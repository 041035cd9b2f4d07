// Package flow loads conversation content from YAML (flows and offices), checks it against the
// locale catalogue, and draws it as a Mermaid chart. It reads only from an fs.FS.
package flow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
	"github.com/returnbot/returnbot/bot/understand"
)

// OfficesFile is the file in the flows directory that lists the offices.
const OfficesFile = "offices.yaml"

// Error is a problem in a content file, as file:line: reason.
type Error = lang.Error

// Errors is a list of content problems; its message lists one per line.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

var idPattern = regexp.MustCompile(`^[a-z0-9_]+$`)

// LoadContent reads every *.yaml flow and offices.yaml from fsys.
func LoadContent(fsys fs.FS) (*bot.Content, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	c := &bot.Content{Flows: map[string]*bot.Flow{}, Offices: map[string]*bot.Office{}}
	var errs Errors
	sawOffices := false
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if path.Base(name) == understand.IntentsFile {
			continue // read by LoadWith, with the examples
		}
		if path.Base(name) == ReachFile {
			r, rerrs := parseReach(name, raw)
			errs = append(errs, rerrs...)
			c.Reach = r
			continue
		}
		if path.Base(name) == OfficesFile {
			sawOffices = true
			errs = append(errs, parseOffices(name, raw, c)...)
			continue
		}
		f, ferrs := parseFlow(name, raw)
		errs = append(errs, ferrs...)
		if f == nil {
			continue
		}
		if prev, dup := c.Flows[f.ID]; dup {
			errs = append(errs, &Error{File: name, Line: 1, Reason: fmt.Sprintf("flow %q is also defined in %s", f.ID, prev.File)})
			continue
		}
		c.Flows[f.ID] = f
	}
	if !sawOffices {
		errs = append(errs, &Error{File: OfficesFile, Line: 0, Reason: "missing: the flows directory needs an offices.yaml"})
	}
	if len(names) == 0 {
		errs = append(errs, &Error{File: ".", Line: 0, Reason: "no flow files (*.yaml) found"})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// yamlError turns a yaml.v3 error into file:line: reason.
func yamlError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	line := 1
	if m := regexp.MustCompile(`^line (\d+): `).FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	return &Error{File: file, Line: line, Reason: msg}
}

// keys checks a mapping has only known keys; yaml.v3 cannot be strict inside UnmarshalYAML.
func keys(file string, v *yaml.Node, what string, allowed ...string) Errors {
	if v.Kind != yaml.MappingNode {
		return Errors{{File: file, Line: v.Line, Reason: what + " must be a mapping of field: value"}}
	}
	var errs Errors
	for i := 0; i < len(v.Content); i += 2 {
		k := v.Content[i]
		ok := false
		for _, a := range allowed {
			ok = ok || k.Value == a
		}
		if !ok {
			errs = append(errs, &Error{File: file, Line: k.Line, Reason: fmt.Sprintf("unknown field %q in %s (known: %s)", k.Value, what, strings.Join(allowed, ", "))})
		}
	}
	return errs
}

func decode(file string, v *yaml.Node, out any) *Error {
	if err := v.Decode(out); err != nil {
		return yamlError(file, err)
	}
	return nil
}

func parseFlow(file string, raw []byte) (*bot.Flow, Errors) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, Errors{yamlError(file, err)}
	}
	if len(doc.Content) == 0 {
		return nil, Errors{{File: file, Line: 1, Reason: "empty flow file"}}
	}
	top := doc.Content[0]
	errs := keys(file, top, "flow", "id", "start", "nodes")
	if len(errs) > 0 {
		return nil, errs
	}
	f := &bot.Flow{File: file, Nodes: map[string]*bot.Node{}}
	var nodes *yaml.Node
	for i := 0; i < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "id":
			f.ID = v.Value
		case "start":
			f.Start = v.Value
		case "nodes":
			nodes = v
		}
	}
	want := strings.TrimSuffix(path.Base(file), path.Ext(file))
	switch {
	case f.ID == "":
		errs = append(errs, &Error{File: file, Line: top.Line, Reason: "flow has no id"})
	case f.ID != want:
		errs = append(errs, &Error{File: file, Line: top.Line, Reason: fmt.Sprintf("flow id %q must match the file name %q", f.ID, want)})
	case !idPattern.MatchString(f.ID):
		errs = append(errs, &Error{File: file, Line: top.Line, Reason: fmt.Sprintf("flow id %q: use lower-case letters, digits and _", f.ID)})
	}
	if nodes == nil || nodes.Kind != yaml.MappingNode || len(nodes.Content) == 0 {
		return nil, append(errs, &Error{File: file, Line: top.Line, Reason: "flow has no nodes"})
	}
	for i := 0; i < len(nodes.Content); i += 2 {
		k, v := nodes.Content[i], nodes.Content[i+1]
		if !idPattern.MatchString(k.Value) {
			errs = append(errs, &Error{File: file, Line: k.Line, Reason: fmt.Sprintf("node id %q: use lower-case letters, digits and _", k.Value)})
			continue
		}
		if _, dup := f.Nodes[k.Value]; dup {
			errs = append(errs, &Error{File: file, Line: k.Line, Reason: fmt.Sprintf("node %q is defined twice", k.Value)})
			continue
		}
		n, nerrs := parseNode(file, f.ID, k, v)
		errs = append(errs, nerrs...)
		if n != nil {
			f.Nodes[n.ID] = n
		}
	}
	if f.Start == "" {
		errs = append(errs, &Error{File: file, Line: top.Line, Reason: "flow has no start node"})
	} else if _, ok := f.Nodes[f.Start]; !ok && len(errs) == 0 {
		errs = append(errs, &Error{File: file, Line: top.Line, Reason: fmt.Sprintf("start node %q does not exist", f.Start)})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return f, nil
}

var nodeFields = []string{"say", "venue", "options", "save", "ask", "next", "branch", "lang", "picker", "handoff", "keywords"}

func parseNode(file, flowID string, k, v *yaml.Node) (*bot.Node, Errors) {
	n := &bot.Node{ID: k.Value, Flow: flowID, Line: k.Line}
	errs := keys(file, v, "node "+k.Value, nodeFields...)
	if len(errs) > 0 {
		return nil, errs
	}
	for i := 0; i < len(v.Content); i += 2 {
		fk, fv := v.Content[i], v.Content[i+1]
		var err *Error
		switch fk.Value {
		case "say":
			if fv.Kind == yaml.ScalarNode {
				n.Say = []string{fv.Value}
			} else {
				err = decode(file, fv, &n.Say)
			}
		case "venue":
			n.Venue = fv.Value
		case "save":
			n.Save = fv.Value
		case "ask":
			n.Ask = fv.Value
		case "next":
			n.Next = fv.Value
		case "lang":
			n.Lang = fv.Value
		case "handoff":
			n.Handoff = fv.Value
		case "keywords":
			n.Keywords = fv.Value
		case "picker":
			err = decode(file, fv, &n.Picker)
		case "options":
			opts, oerrs := parseOptions(file, fv)
			errs = append(errs, oerrs...)
			n.Options = opts
		case "branch":
			cases, cerrs := parseBranch(file, fv)
			errs = append(errs, cerrs...)
			n.Branch = cases
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errs
}

func parseOptions(file string, v *yaml.Node) ([]bot.Option, Errors) {
	if v.Kind != yaml.SequenceNode {
		return nil, Errors{{File: file, Line: v.Line, Reason: "options must be a list"}}
	}
	var out []bot.Option
	var errs Errors
	for _, item := range v.Content {
		if e := keys(file, item, "option", "id", "label", "goto", "lang"); len(e) > 0 {
			errs = append(errs, e...)
			continue
		}
		var o struct{ ID, Label, Goto, Lang string }
		if err := decode(file, item, &o); err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, bot.Option{ID: o.ID, Label: o.Label, Goto: o.Goto, Lang: o.Lang, Line: item.Line})
	}
	return out, errs
}

func parseBranch(file string, v *yaml.Node) ([]bot.Case, Errors) {
	if v.Kind != yaml.SequenceNode {
		return nil, Errors{{File: file, Line: v.Line, Reason: "branch must be a list of {when, goto}"}}
	}
	var out []bot.Case
	var errs Errors
	for _, item := range v.Content {
		if e := keys(file, item, "branch case", "when", "goto"); len(e) > 0 {
			errs = append(errs, e...)
			continue
		}
		var c struct {
			When map[string]string
			Goto string
		}
		if err := decode(file, item, &c); err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, bot.Case{When: c.When, Goto: c.Goto, Line: item.Line})
	}
	return out, errs
}

func parseOffices(file string, raw []byte, c *bot.Content) Errors {
	var doc struct {
		Default string `yaml:"default"`
		Offices map[string]struct {
			Name          string            `yaml:"name"`
			Address       string            `yaml:"address"`
			Floor         string            `yaml:"floor"`
			Postcode      string            `yaml:"postcode"`
			City          string            `yaml:"city"`
			Phone         string            `yaml:"phone"`
			TimeZone      string            `yaml:"timezone"`
			Lat           float64           `yaml:"lat"`
			Lon           float64           `yaml:"lon"`
			NoAppointment bool              `yaml:"no_appointment"`
			Hours         map[string]string `yaml:"hours"`
		} `yaml:"offices"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return Errors{yamlError(file, err)}
	}
	var errs Errors
	ids := make([]string, 0, len(doc.Offices))
	for id := range doc.Offices {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		o := doc.Offices[id]
		h := bot.Hours{}
		for day, hours := range o.Hours {
			p := map[string]*string{"mon": &h.Mon, "tue": &h.Tue, "wed": &h.Wed, "thu": &h.Thu, "fri": &h.Fri, "sat": &h.Sat, "sun": &h.Sun}[day]
			if p == nil {
				errs = append(errs, &Error{File: file, Line: 1, Reason: fmt.Sprintf("office %q: unknown weekday %q (mon…sun)", id, day)})
				continue
			}
			*p = hours
		}
		c.Offices[id] = &bot.Office{
			ID: id, Name: o.Name, Address: o.Address, Floor: o.Floor, Postcode: o.Postcode, City: o.City,
			Phone: o.Phone, TimeZone: o.TimeZone, Lat: o.Lat, Lon: o.Lon, NoAppointment: o.NoAppointment, Hours: h,
		}
	}
	c.DefaultOffice = doc.Default
	if c.DefaultOffice == "" && len(ids) == 1 {
		c.DefaultOffice = ids[0]
	}
	if c.Offices[c.DefaultOffice] == nil {
		errs = append(errs, &Error{File: file, Line: 1, Reason: fmt.Sprintf("default office %q is not listed under offices", c.DefaultOffice)})
	}
	return errs
}

// asErrors flattens an error from LoadContent or lang.Load into content errors.
func asErrors(err error) Errors {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}
	}
	return Errors{{File: "?", Line: 0, Reason: err.Error()}}
}
