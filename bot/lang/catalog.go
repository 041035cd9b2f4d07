// Package lang is returnbot's knowledge of languages: the go-i18n message catalogue loaded from
// locale files, language negotiation and detection, text normalisation and free-text matching.
package lang

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/returnbot/returnbot/bot"
)

// PickerOrder is the order in which shipped languages are offered; languages not listed follow
// in alphabetical order. The first shipped language is the fallback for missing texts.
var PickerOrder = []string{"en", "nb", "ar", "fa", "ps", "ckb", "ru", "fr", "so", "ti"}

// RightToLeft lists languages written right to left; template values are isolated in them.
var RightToLeft = map[string]bool{"ar": true, "fa": true, "ps": true, "ckb": true}

// Catalog holds every text in every shipped language, rendered once with office data, plus the
// indexes for matching and detection. It implements bot.Language.
type Catalog struct {
	bundle   *i18n.Bundle
	codes    []string
	files    map[string]*File
	rendered map[string]string // lang \x00 office \x00 id -> text
	sources  map[string]string // lang \x00 id -> text as written
	matcher  language.Matcher
	topics   map[string]*topicIndex
	detector *detector
}

// File is one parsed locale file.
type File struct {
	// Name is the file's path inside the locales directory.
	Name string
	// Lang is the language code from the file name.
	Lang string
	// IDs are the message IDs in the file with the line each starts on.
	IDs map[string]int
	// Plural lists the IDs that have plural forms.
	Plural map[string]bool

	source map[string]string
}

// Error is a problem in a content file, reported as file:line: reason.
type Error struct {
	File   string
	Line   int
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// Options are the settings texts depend on.
type Options struct {
	// RetentionDays is how long an idle session is kept, shown to users as {{.Retention}}.
	RetentionDays int
}

// DefaultRetentionDays matches bot.DefaultSessionTTL.
const DefaultRetentionDays = 30

// Load reads every *.json locale file in fsys and renders all texts with the offices of c.
func Load(fsys fs.FS, c *bot.Content) (*Catalog, error) {
	return LoadWith(fsys, c, Options{})
}

// LoadWith is Load with settings.
func LoadWith(fsys fs.FS, c *bot.Content, opts Options) (*Catalog, error) {
	if opts.RetentionDays <= 0 {
		opts.RetentionDays = DefaultRetentionDays
	}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, &Error{File: ".", Line: 0, Reason: "no locale files (*.json) found"}
	}
	cat := &Catalog{files: map[string]*File{}, rendered: map[string]string{}, sources: map[string]string{}}
	for _, name := range names {
		code := strings.TrimSuffix(path.Base(name), ".json")
		tag, err := language.Parse(code)
		if err != nil {
			return nil, &Error{File: name, Line: 1, Reason: fmt.Sprintf("file name %q is not a language code", code)}
		}
		if cat.bundle == nil {
			cat.bundle = i18n.NewBundle(tag)
		}
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f, err := parseFile(name, code, raw)
		if err != nil {
			return nil, err
		}
		for id, text := range f.source {
			cat.sources[code+"\x00"+id] = text
		}
		if _, err := cat.bundle.ParseMessageFileBytes(raw, name); err != nil {
			return nil, &Error{File: name, Line: 1, Reason: err.Error()}
		}
		cat.files[code] = f
		cat.codes = append(cat.codes, code)
	}
	cat.codes = orderCodes(cat.codes)
	// The bundle's default language decides nothing: fallbacks are ours (the first shipped language).
	tags := make([]language.Tag, len(cat.codes))
	for i, c := range cat.codes {
		tags[i] = language.Make(c)
	}
	cat.matcher = language.NewMatcher(tags)
	if err := cat.render(c, opts); err != nil {
		return nil, err
	}
	cat.detector = newDetector(cat)
	return cat, nil
}

func orderCodes(codes []string) []string {
	sort.Strings(codes)
	out := make([]string, 0, len(codes))
	for _, c := range PickerOrder {
		if slices.Contains(codes, c) {
			out = append(out, c)
		}
	}
	for _, c := range codes {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// parseFile checks the file is a flat JSON object of IDs to texts (or plural forms) and notes the
// line of every ID, so later checks can point at it.
func parseFile(name, code string, raw []byte) (*File, error) {
	f := &File{Name: name, Lang: code, IDs: map[string]int{}, Plural: map[string]bool{}, source: map[string]string{}}
	dec := json.NewDecoder(bytes.NewReader(raw))
	fail := func(off int64, reason string) error {
		return &Error{File: name, Line: lineAt(raw, off), Reason: reason}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fail(dec.InputOffset(), "not JSON: "+jsonReason(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fail(dec.InputOffset(), "a locale file is one JSON object of message ID to text")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(dec.InputOffset(), "not JSON: "+jsonReason(err))
		}
		id := tok.(string)
		line := lineAt(raw, dec.InputOffset())
		if _, dup := f.IDs[id]; dup {
			return nil, &Error{File: name, Line: line, Reason: fmt.Sprintf("message %q is defined twice", id)}
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fail(dec.InputOffset(), "not JSON: "+jsonReason(err))
		}
		switch v := v.(type) {
		case string:
			f.source[id] = v
		case map[string]any:
			f.source[id], _ = v["other"].(string)
			for k, s := range v {
				if _, ok := s.(string); !ok {
					return nil, &Error{File: name, Line: line, Reason: fmt.Sprintf("message %q: %q must be text", id, k)}
				}
				switch k {
				case "zero", "one", "two", "few", "many":
					f.Plural[id] = true
				case "other", "description", "hash", "leftDelim", "rightDelim":
				default:
					return nil, &Error{File: name, Line: line, Reason: fmt.Sprintf("message %q: unknown field %q (plural forms are zero, one, two, few, many, other)", id, k)}
				}
			}
			if _, ok := v["other"]; !ok {
				return nil, &Error{File: name, Line: line, Reason: fmt.Sprintf("message %q has no \"other\" form", id)}
			}
		default:
			return nil, &Error{File: name, Line: line, Reason: fmt.Sprintf("message %q must be text or plural forms", id)}
		}
		f.IDs[id] = line
	}
	if _, err := dec.Token(); err != nil {
		return nil, fail(dec.InputOffset(), "not JSON: "+jsonReason(err))
	}
	return f, nil
}

func jsonReason(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return se.Error()
	}
	return err.Error()
}

func lineAt(raw []byte, off int64) int {
	if off > int64(len(raw)) {
		off = int64(len(raw))
	}
	return bytes.Count(raw[:off], []byte{'\n'}) + 1
}

// Files returns the parsed locale files by language code.
func (c *Catalog) Files() map[string]*File { return c.files }

// Languages lists the shipped language codes in picker order.
func (c *Catalog) Languages() []string { return c.codes }

// Default is the fallback language.
func (c *Catalog) Default() string { return c.codes[0] }

// Text returns a rendered message; see bot.Language.
func (c *Catalog) Text(lang, id, office string) string {
	if s, ok := c.rendered[lang+"\x00"+office+"\x00"+id]; ok {
		return s
	}
	if s, ok := c.rendered[c.codes[0]+"\x00"+office+"\x00"+id]; ok {
		return s
	}
	if office != "" {
		return c.Text(lang, id, "")
	}
	return id
}

// Has reports whether a language's file defines a message ID.
func (c *Catalog) Has(lang, id string) bool {
	f := c.files[lang]
	if f == nil {
		return false
	}
	_, ok := f.IDs[id]
	return ok
}

// Plural renders a message with plural forms for a count, with extra template data.
func (c *Catalog) Plural(lang, id string, count int, data map[string]any) string {
	loc := i18n.NewLocalizer(c.bundle, lang, c.codes[0])
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

// Negotiate picks the shipped language for a platform hint such as "fa-IR" or "nn"; "" if none fits.
func (c *Catalog) Negotiate(hint string) string {
	if hint == "" {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(hint)
	if err != nil || len(tags) == 0 {
		return ""
	}
	for i, t := range tags {
		tags[i] = canonicalHint(t)
	}
	_, idx, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return ""
	}
	return c.codes[idx]
}

// canonicalHint maps tags that CLDR does not tie to our files: Dari (prs) is Persian as written
// in Afghanistan; Nynorsk and "no" readers read Bokmål.
func canonicalHint(t language.Tag) language.Tag {
	base, _ := t.Base()
	switch base.String() {
	case "prs":
		return language.Make("fa-AF")
	case "no", "nn":
		return language.Make("nb")
	}
	return t
}

// Source returns a message's text as written in the locale file (the "other" form, template
// unexpanded), for translators.
func (c *Catalog) Source(lang, id string) string {
	return c.sources[lang+"\x00"+id]
}
