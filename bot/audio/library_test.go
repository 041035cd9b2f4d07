package audio_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/returnbot/returnbot/bot/audio"
)

// catalog is a small one: two languages, three messages pages say, one button label.
func catalog() audio.Catalog {
	known := map[string]bool{"main.say": true, "costs.say": true, "travel.say": true, "common.menu": true}
	return audio.Catalog{
		Languages: []string{"en", "fa"},
		Known:     func(lang, id string) bool { return known[id] },
		Said:      []string{"main.say", "costs.say", "travel.say"},
	}
}

// TestLoad: good files are kept by language and message, with a content hash and duration;
// coverage counts said messages per language.
func TestLoad(t *testing.T) {
	a, b := fixture(t, "opus-2500ms.ogg"), fixture(t, "opus-1800ms.ogg")
	fsys := fstest.MapFS{
		"README.md":        {Data: []byte("recordings")},
		"en/main.say.ogg":  {Data: a},
		"en/costs.say.ogg": {Data: b},
		"fa/main.say.ogg":  {Data: b},
	}
	lib, probs := audio.Load(fsys, catalog())
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	c := lib.Clip("en", "main.say")
	if c == nil || c.Duration != 2500*time.Millisecond || len(c.Hash) != 32 || lib.ByHash(c.Hash) != c {
		t.Fatalf("en main.say: %+v", c)
	}
	if lib.Has("fa", "costs.say") || !lib.Has("fa", "main.say") || lib.Len() != 3 {
		t.Errorf("fa: has costs %v, main %v; len %d", lib.Has("fa", "costs.say"), lib.Has("fa", "main.say"), lib.Len())
	}
	if lib.Clip("en", "costs.say").Hash != lib.Clip("fa", "main.say").Hash {
		t.Error("the same file has two hashes")
	}
	want := []audio.Coverage{{Lang: "en", Have: 2, Want: 3}, {Lang: "fa", Have: 1, Want: 3}}
	got := lib.Coverage()
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("coverage %+v, want %+v", got, want)
	}
	var none *audio.Library
	if none.Has("en", "main.say") || none.Len() != 0 || none.ByHash(c.Hash) != nil {
		t.Error("a nil library has recordings")
	}
}

// TestLoadProblems: every unusable file is reported as audio/<lang>/<file>: reason, and the
// good ones are still loaded.
func TestLoadProblems(t *testing.T) {
	fsys := fstest.MapFS{
		"en/main.say.ogg":    {Data: fixture(t, "opus-2500ms.ogg")},
		"en/nosuch.say.ogg":  {Data: fixture(t, "opus-2500ms.ogg")},
		"en/costs.say.mp3":   {Data: fixture(t, "broken/mp3.ogg")},
		"en/costs.say.ogg":   {Data: fixture(t, "broken/mp3.ogg")},
		"fa/main.say.ogg":    {Data: fixture(t, "broken/vorbis.ogg")},
		"fa/costs.say.ogg":   {Data: fixture(t, "broken/truncated.ogg")},
		"fa/travel.say.ogg":  {Data: fixture(t, "broken/wav.ogg")},
		"fa/Main Say.ogg":    {Data: fixture(t, "opus-2500ms.ogg")},
		"de/main.say.ogg":    {Data: fixture(t, "opus-2500ms.ogg")},
		"en/common.menu.ogg": {Data: fixture(t, "broken/bad-crc.ogg")},
		"fa/.DS_Store":       {Data: []byte{0}},
	}
	lib, probs := audio.Load(fsys, catalog())
	want := []string{
		`audio/de: "de" is not a shipped language (en fa)`,
		`audio/en/common.menu.ogg: page 4: CRC mismatch (damaged file)`,
		`audio/en/costs.say.mp3: not a .ogg file`,
		`audio/en/costs.say.ogg: MP3, not Ogg Opus`,
		`audio/en/nosuch.say.ogg: no message "nosuch.say" in the en texts`,
		`audio/fa/Main Say.ogg: "Main Say" is not a message id`,
		`audio/fa/costs.say.ogg: truncated`,
		`audio/fa/main.say.ogg: Ogg Vorbis, not Opus`,
		`audio/fa/travel.say.ogg: WAV, not Ogg Opus`,
	}
	if len(probs) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(probs), len(want), probs)
	}
	for i, p := range probs {
		if !strings.HasPrefix(p.Error(), want[i]) {
			t.Errorf("problem %d: %q, want it to begin %q", i, p.Error(), want[i])
		}
	}
	if lib.Len() != 1 || !lib.Has("en", "main.say") {
		t.Errorf("good files kept: %d", lib.Len())
	}
}
