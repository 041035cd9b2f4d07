// Package logleak finds what users sent in what the bot logged: a slog handler that records
// every attribute (flattened), the strings and numbers of a webhook body that must never appear
// in a log, and the check that looks for them. The channels' fuzz tests share it.
package logleak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Record is one logged record: its message and its attributes, groups flattened to "g.key".
type Record struct {
	Msg   string
	Attrs []slog.Attr
}

// Recorder is a slog.Handler that keeps every record for Leaks.
type Recorder struct {
	*records
	attrs  []slog.Attr // from WithAttrs, flattened
	prefix string      // from WithGroup: "group."
}

type records struct {
	mu   sync.Mutex
	recs []Record
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{records: &records{}} }

// Enabled implements slog.Handler: every level is recorded.
func (l *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (l *Recorder) Handle(_ context.Context, r slog.Record) error {
	rec := Record{Msg: r.Message, Attrs: slices.Clone(l.attrs)}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs = append(rec.Attrs, flatten(l.prefix, a)...)
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	l.mu.Unlock()
	return nil
}

// WithAttrs implements slog.Handler.
func (l *Recorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *l
	c.attrs = slices.Clone(l.attrs)
	for _, a := range as {
		c.attrs = append(c.attrs, flatten(l.prefix, a)...)
	}
	return &c
}

// WithGroup implements slog.Handler.
func (l *Recorder) WithGroup(name string) slog.Handler {
	c := *l
	c.prefix += name + "."
	return &c
}

// Take returns and forgets the records so far.
func (l *Recorder) Take() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recs
	l.recs = nil
	return r
}

func flatten(prefix string, a slog.Attr) []slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() != slog.KindGroup {
		return []slog.Attr{{Key: prefix + a.Key, Value: v}}
	}
	var out []slog.Attr
	for _, g := range v.Group() {
		out = append(out, flatten(prefix+a.Key+".", g)...)
	}
	return out
}

// Canaries are what of a body must never be logged: its string values and number literals
// longer than 3 characters (object keys are the API's vocabulary, not user data), and the whole
// body when it is not JSON. A string whose path of object keys platformWords accepts is the
// platform's own words (an error title the adapter logs): neither it nor its parts count.
// platformWords may be nil.
func Canaries(body []byte, platformWords func(keys []string) bool) []string {
	var out, platform []string
	add := func(s string) {
		if utf8.RuneCountInString(s) > 3 {
			out = append(out, s)
		}
	}
	if !json.Valid(body) {
		add(strings.TrimSpace(string(body)))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// The open containers; an object's next string token is a key or a value.
	type level struct {
		object, keyNext bool
		key             string
	}
	var open []level
	path := func() []string {
		var keys []string
		for _, l := range open {
			if l.object {
				keys = append(keys, l.key)
			}
		}
		return keys
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				open = append(open, level{object: true, keyNext: true})
				continue
			case '[':
				open = append(open, level{})
				continue
			default:
				open = open[:len(open)-1]
			}
		case string:
			if n := len(open); n > 0 && open[n-1].keyNext {
				open[n-1].keyNext, open[n-1].key = false, tok
				continue
			}
			if platformWords != nil && platformWords(path()) {
				platform = append(platform, tok)
			} else {
				add(tok)
			}
		case json.Number:
			add(tok.String())
		}
		// A value ended: in an object, a key comes next.
		if n := len(open); n > 0 && open[n-1].object {
			open[n-1].keyNext = true
		}
	}
	return slices.DeleteFunc(out, func(c string) bool {
		return slices.ContainsFunc(platform, func(t string) bool { return strings.Contains(t, c) })
	})
}

// Attribute values that carry no user data by construction.
var (
	// Pseudonym is bot.UserKey's base64url of 16 bytes.
	Pseudonym = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	// TypeErr is a JSON decoding error described without the payload: JSON paths of the Go
	// structs, JSON kinds and Go types only.
	TypeErr = regexp.MustCompile(`^(field [A-Za-z0-9_.]*: got [a-z]+, want [A-Za-z0-9_.*\[\]]+|undecodable)$`)
	// Enum is a constant of the code ("why": "group", "edited", ...).
	Enum = regexp.MustCompile(`^[a-z_]{1,20}$`)
)

// Allow names the attributes whose values carry no user data by construction.
type Allow struct {
	// Strings: a string attribute under this key whose value matches the pattern.
	Strings map[string]*regexp.Regexp
	// Counts: numeric attributes that are counts or protocol codes, not ids.
	Counts map[string]bool
}

// Leaks lists the log attributes that contain a canary. Messages are constant strings in the
// code and are not searched.
func Leaks(recs []Record, canaries []string, allow Allow) []string {
	var out []string
	for _, r := range recs {
		for _, a := range r.Attrs {
			v := a.Value
			switch v.Kind() {
			case slog.KindString, slog.KindAny:
				s := v.String()
				if v.Kind() == slog.KindAny {
					s = fmt.Sprint(v.Any())
				}
				if re := allow.Strings[a.Key]; re != nil && re.MatchString(s) {
					continue
				}
				for _, c := range canaries {
					if strings.Contains(s, c) {
						out = append(out, fmt.Sprintf("%q: %s=%q contains %q", r.Msg, a.Key, s, c))
					}
				}
			case slog.KindInt64, slog.KindUint64, slog.KindFloat64:
				if allow.Counts[a.Key] {
					continue
				}
				for _, c := range canaries {
					if v.String() == c {
						out = append(out, fmt.Sprintf("%q: %s=%s is %q", r.Msg, a.Key, v, c))
					}
				}
			}
		}
	}
	return out
}
