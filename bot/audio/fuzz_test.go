package audio_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/returnbot/returnbot/bot/audio"
)

// FuzzInspect: any bytes are judged without a panic, and whatever passes is within the limits.
func FuzzInspect(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.ogg"))
	more, _ := filepath.Glob(filepath.Join("testdata", "broken", "*.ogg"))
	for _, n := range append(names, more...) {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := audio.Inspect(b)
		if err != nil {
			return
		}
		if info.Duration < 0 || info.Duration > audio.MaxDuration || len(b) > audio.MaxBytes || info.Channels < 1 || info.Pages < 3 {
			t.Fatalf("accepted %d bytes as %+v", len(b), info)
		}
	})
}
