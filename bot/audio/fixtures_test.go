package audio_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/audio/audiotest"
)

var update = flag.Bool("update", false, "rewrite testdata from bot/audio/audiotest")

// fixtures are the committed files and how each is made. Other packages' tests read them
// (the channels send them, validate rejects the broken ones), so they are files, not code.
var fixtures = map[string]func() []byte{
	"opus-2500ms.ogg": func() []byte { return audiotest.Opus(2500*time.Millisecond, 0x72626131) },
	"opus-1800ms.ogg": func() []byte { return audiotest.Opus(1800*time.Millisecond, 0x72626132) },
	// The wrong files an office may have, renamed to .ogg.
	"broken/mp3.ogg":    audiotest.MP3,
	"broken/wav.ogg":    audiotest.WAV,
	"broken/vorbis.ogg": audiotest.Vorbis,
	"broken/truncated.ogg": func() []byte {
		b := audiotest.Opus(2500*time.Millisecond, 0x72626133)
		return b[:len(b)*2/3]
	},
	"broken/bad-crc.ogg": func() []byte {
		b := audiotest.Opus(2500*time.Millisecond, 0x72626134)
		b[len(b)-10] ^= 0x55 // inside the last page's audio
		return b
	},
}

// TestFixtures: the committed files are what audiotest writes today, so anyone can see how
// they were made and remake them (-update).
func TestFixtures(t *testing.T) {
	for name, make := range fixtures {
		want := make()
		path := filepath.Join("testdata", filepath.FromSlash(name))
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./bot/audio -run Fixtures -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what audiotest writes (%d bytes, want %d): run -update", name, len(got), len(want))
		}
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
