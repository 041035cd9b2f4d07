package logleak

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Forbidden holds the personal data taken from the payloads sent to the bot, which no log line
// may carry: texts (message texts, names,
// usernames, opaque ids) matched as substrings, case-insensitively; and numeric ids (user and
// chat ids, phone numbers) matched as digit runs in any formatting ("+47 912 34 567", "-100…").
type Forbidden struct {
	mu    sync.Mutex
	texts map[string]string // value -> where it came from
	ids   map[string]string // digits -> where it came from
}

// minText is the shortest text checked: shorter ones ("ok", "1") would match by chance.
// window is the length of the stretches of longer texts that are checked on their own.
const (
	minText = 4
	window  = 16
)

// Collect records the personal data in a payload of channel ("telegram", "whatsapp" or
// "webchat"), decoded with json.Number numbers. parent is the key of the enclosing object (or
// array): "" for a whole payload.
func (f *Forbidden) Collect(channel string, v any, parent string) error {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if err := f.Collect(channel, e, parent); err != nil {
				return err
			}
		}
	case map[string]any:
		if v["is_bot"] == true {
			return nil // the bot's own account (a message it sent, replied to): not a person
		}
		for k, e := range v {
			if err := f.field(channel, parent, k, e); err != nil {
				return err
			}
			if err := f.Collect(channel, e, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// field decides whether one key's value is personal data.
func (f *Forbidden) field(channel, parent, key string, v any) error {
	s := ""
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	default:
		return nil
	}
	where := channel + " " + parent + "." + key
	switch channel {
	case "telegram":
		switch {
		case key == "id" && (parent == "from" || parent == "chat" || parent == "user"):
			return f.ID(s, where)
		case key == "phone_number":
			return f.ID(s, where)
		case key == "text" || key == "caption":
			f.Text(s, where)
		case key == "first_name" || key == "last_name" || key == "username" || key == "vcard":
			f.Text(s, where)
		}
	case "whatsapp":
		switch {
		case key == "from" && parent == "messages", key == "wa_id", key == "recipient_id":
			return f.ID(s, where)
		case key == "user_id" || key == "parent_user_id":
			f.Text(s, where)
		case key == "name" && parent == "profile":
			f.Text(s, where)
		case key == "body":
			f.Text(s, where)
		}
		// display_phone_number and phone_number_id are the office's own number, not a person's.
	case "webchat":
		if parent == "" && (key == "id" || key == "text") {
			f.Text(s, where)
		}
	}
	return nil
}

// Text forbids s, case-insensitively, and every stretch of window runes of it; where says where
// it came from, for the report.
func (f *Forbidden) Text(s, where string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	add := func(s string) {
		if s = strings.TrimSpace(s); utf8.RuneCountInString(s) >= minText {
			f.texts[strings.ToLower(s)] = where
		}
	}
	add(s)
	// A log that cuts a text short ("text_start") leaks it too: every stretch of window runes.
	if r := []rune(strings.TrimSpace(s)); len(r) > window {
		for i := 0; i+window <= len(r); i++ {
			add(string(r[i : i+window]))
		}
	}
	// A staff command carries text after its code ("/reply ABC-DEF words"): that part alone too.
	if strings.HasPrefix(s, "/") {
		if fs := strings.Fields(s); len(fs) > 2 {
			add(strings.Join(fs[2:], " "))
		}
	}
}

// ID forbids the digits of s in any formatting; an id of fewer than 6 digits is refused, as it
// would match timestamps and counts by chance.
func (f *Forbidden) ID(s, where string) error {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if digits == "" {
		return nil
	}
	if len(digits) < 6 {
		return fmt.Errorf("%s: id %q is too short to look for in the logs without false alarms; use a longer one", where, s)
	}
	f.mu.Lock()
	f.ids[digits] = where
	f.mu.Unlock()
	return nil
}

// Find returns a line for each forbidden value in s.
func (f *Forbidden) Find(s, where string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	low := strings.ToLower(s)
	for t, from := range f.texts {
		if strings.Contains(low, t) {
			out = append(out, fmt.Sprintf("%s: %q (from %s) in %.300q", where, t, from, s))
		}
	}
	for _, run := range DigitRuns(s) {
		for id, from := range f.ids {
			if run == id || (len(id) >= 7 && strings.Contains(run, id)) {
				out = append(out, fmt.Sprintf("%s: id %s (from %s) in %.300q", where, id, from, s))
			}
		}
	}
	return out
}

// DigitRuns returns the runs of digits in s, where digits separated by one space, dash, dot,
// slash or parenthesis count as one run ("+47 (912) 34-567" gives 4791234567).
func DigitRuns(s string) []string {
	var runs []string
	var cur strings.Builder
	sep := false
	flush := func() {
		if cur.Len() > 0 {
			runs = append(runs, cur.String())
		}
		cur.Reset()
		sep = false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			cur.WriteRune(r)
			sep = false
		case strings.ContainsRune(" -./()", r) && cur.Len() > 0 && !sep:
			sep = true
		case r == '(' && cur.Len() == 0:
		default:
			flush()
		}
	}
	flush()
	return runs
}

// NewForbidden returns an empty Forbidden.
func NewForbidden() *Forbidden {
	return &Forbidden{texts: map[string]string{}, ids: map[string]string{}}
}

// CollectJSON decodes raw (numbers as json.Number, as the bot reads them) and collects it: what
// is sent is what counts, not the map it was built from.
func (f *Forbidden) CollectJSON(channel string, raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	return f.Collect(channel, v, "")
}

// Len is how many texts and ids are forbidden: a check against a handful would be close to
// vacuous.
func (f *Forbidden) Len() (texts, ids int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.texts), len(f.ids)
}

// Line is one line of a JSON log.
type Line struct {
	// N is the line's number, from 1; Raw is the line as written.
	N   int
	Raw string
	// Fields is the decoded object, numbers as json.Number; nil when the line is not one JSON
	// object (which a JSON log must never have: a stray print could carry anything).
	Fields map[string]any
	// Strings is every key, string value and number in it, for Find.
	Strings []string
}

// JSONLines splits a log into its non-empty lines and decodes each.
func JSONLines(log string) []Line {
	var out []Line
	for i, l := range strings.Split(strings.TrimRight(log, "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		ll := Line{N: i + 1, Raw: l}
		dec := json.NewDecoder(strings.NewReader(l))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil || dec.More() || m == nil {
			out = append(out, ll)
			continue
		}
		ll.Fields = m
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				ll.Strings = append(ll.Strings, v)
			case json.Number:
				ll.Strings = append(ll.Strings, v.String())
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for k, e := range v {
					ll.Strings = append(ll.Strings, k)
					walk(e)
				}
			}
		}
		walk(m)
		out = append(out, ll)
	}
	return out
}
