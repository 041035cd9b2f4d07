// Package audio holds an office's recorded answers: one Ogg Opus file per message and language,
// audio/<lang>/<message-id>.ogg in the content pack. It checks the files (Inspect), keeps them in
// memory for the channels to send, and remembers the ids platforms give uploaded files (Uploads).
package audio

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Ext is the extension of a recording: Ogg Opus, what WhatsApp and Telegram voice notes are.
const Ext = ".ogg"

// ContentType is how recordings are served and uploaded.
const ContentType = "audio/ogg"

// Clip is one recording.
type Clip struct {
	// Lang and ID say which message in which language it speaks.
	Lang, ID string
	// Data is the whole file.
	Data []byte
	// Hash names the content (hex, 16 bytes of SHA-256): the web player's URL and the key of
	// upload caches, so a changed recording is a new file everywhere.
	Hash string
	// Duration is the playing time.
	Duration time.Duration
}

// Problem is a file that cannot be used, as file: reason.
type Problem struct {
	File, Reason string
}

func (p Problem) Error() string { return p.File + ": " + p.Reason }

// Coverage counts the recorded messages of one language.
type Coverage struct {
	Lang string
	// Have of Want messages shown on pages (say) have a recording.
	Have, Want int
}

// Catalog is what Load checks recordings against.
type Catalog struct {
	// Languages are the shipped language codes.
	Languages []string
	// Known reports whether a message id exists in a language's texts.
	Known func(lang, id string) bool
	// Said are the message ids pages show (coverage counts these).
	Said []string
}

// Library is the recordings of a content pack, by language and message.
type Library struct {
	clips  map[string]*Clip // lang + "/" + id
	byHash map[string]*Clip
	cover  []Coverage
}

// idPattern is what a message id looks like (locale keys: lowercase words joined by . and _).
var idPattern = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

// Dir is the name of the recordings directory in a content pack; problems are reported under it.
const Dir = "audio"

// Load reads <lang>/<id>.ogg from fsys, checks every file (Inspect) and that its language and
// message exist, and counts coverage. Other files at the top (a README) are ignored. The
// library holds every good file even when there are problems, so validate can report both.
func Load(fsys fs.FS, c Catalog) (*Library, []Problem) {
	lib := &Library{clips: map[string]*Clip{}, byHash: map[string]*Clip{}}
	var probs []Problem
	shipped := map[string]bool{}
	for _, l := range c.Languages {
		shipped[l] = true
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return lib, []Problem{{File: Dir, Reason: err.Error()}}
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := e.Name()
		if !shipped[dir] {
			probs = append(probs, Problem{File: path.Join(Dir, dir), Reason: fmt.Sprintf("%q is not a shipped language (%s)", dir, strings.Join(c.Languages, " "))})
			continue
		}
		files, err := fs.ReadDir(fsys, dir)
		if err != nil {
			probs = append(probs, Problem{File: path.Join(Dir, dir), Reason: err.Error()})
			continue
		}
		for _, f := range files {
			if strings.HasPrefix(f.Name(), ".") {
				continue
			}
			name := path.Join(dir, f.Name())
			clip, reason := readClip(fsys, dir, name, f, c)
			if reason != "" {
				probs = append(probs, Problem{File: path.Join(Dir, name), Reason: reason})
				continue
			}
			lib.clips[dir+"/"+clip.ID] = clip
			lib.byHash[clip.Hash] = clip
		}
	}
	for _, l := range c.Languages {
		cov := Coverage{Lang: l, Want: len(c.Said)}
		for _, id := range c.Said {
			if lib.Has(l, id) {
				cov.Have++
			}
		}
		lib.cover = append(lib.cover, cov)
	}
	sort.Slice(probs, func(i, j int) bool { return probs[i].File < probs[j].File })
	return lib, probs
}

// readClip reads and checks one file; reason is why it cannot be used.
func readClip(fsys fs.FS, lang, name string, f fs.DirEntry, c Catalog) (*Clip, string) {
	if f.IsDir() {
		return nil, "a directory; recordings are audio/<lang>/<message-id>.ogg"
	}
	if !strings.HasSuffix(f.Name(), Ext) {
		return nil, "not a .ogg file; recordings are Ogg Opus, audio/<lang>/<message-id>.ogg (see docs/translating.md)"
	}
	id := strings.TrimSuffix(f.Name(), Ext)
	if !idPattern.MatchString(id) {
		return nil, fmt.Sprintf("%q is not a message id (lowercase letters, digits, _ and .)", id)
	}
	if c.Known != nil && !c.Known(lang, id) {
		return nil, fmt.Sprintf("no message %q in the %s texts", id, lang)
	}
	if st, err := f.Info(); err == nil && st.Size() > MaxBytes {
		return nil, fmt.Sprintf("%d bytes, more than the %d allowed", st.Size(), MaxBytes)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err.Error()
	}
	info, err := Inspect(data)
	if err != nil {
		return nil, err.Error()
	}
	sum := sha256.Sum256(data)
	return &Clip{Lang: lang, ID: id, Data: data, Hash: hex.EncodeToString(sum[:16]), Duration: info.Duration}, ""
}

// Has reports whether a message has a recording in a language. A nil library has none.
func (l *Library) Has(lang, id string) bool { return l.Clip(lang, id) != nil }

// Clip returns the recording of a message in a language, or nil.
func (l *Library) Clip(lang, id string) *Clip {
	if l == nil {
		return nil
	}
	return l.clips[lang+"/"+id]
}

// ByHash returns the recording whose Hash is h, or nil.
func (l *Library) ByHash(h string) *Clip {
	if l == nil {
		return nil
	}
	return l.byHash[h]
}

// Len is how many recordings the library holds.
func (l *Library) Len() int {
	if l == nil {
		return 0
	}
	return len(l.clips)
}

// Coverage is the count of recorded messages per language, in the catalogue's order.
func (l *Library) Coverage() []Coverage {
	if l == nil {
		return nil
	}
	return l.cover
}
