package audio_test

import (
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/audio/audiotest"
)

// TestInspectAccepts: real Ogg Opus files pass, and the playing time comes from the final
// granule position less the pre-skip, at 48 kHz.
func TestInspectAccepts(t *testing.T) {
	for name, want := range map[string]time.Duration{
		"opus-2500ms.ogg": 2500 * time.Millisecond,
		"opus-1800ms.ogg": 1800 * time.Millisecond,
	} {
		info, err := audio.Inspect(fixture(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Duration != want || info.Channels != 1 || info.Pages < 4 {
			t.Errorf("%s: %+v, want %s mono over 4 or more pages", name, info, want)
		}
	}
	// Just under the limit passes.
	if info, err := audio.Inspect(audiotest.Opus(audio.MaxDuration, 7)); err != nil || info.Duration != audio.MaxDuration {
		t.Errorf("3 minutes exactly: %+v, %v", info, err)
	}
}

// TestInspectRejects: each wrong file is refused with a reason that names what is wrong.
func TestInspectRejects(t *testing.T) {
	big := append(fixture(t, "opus-2500ms.ogg"), make([]byte, audio.MaxBytes)...)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"mp3", fixture(t, "broken/mp3.ogg"), "MP3, not Ogg Opus"},
		{"wav", fixture(t, "broken/wav.ogg"), "WAV, not Ogg Opus"},
		{"vorbis", fixture(t, "broken/vorbis.ogg"), "Ogg Vorbis, not Opus"},
		{"truncated", fixture(t, "broken/truncated.ogg"), "truncated"},
		{"bad crc", fixture(t, "broken/bad-crc.ogg"), "CRC mismatch"},
		{"empty", nil, "an empty file"},
		{"too long", audiotest.Opus(audio.MaxDuration+time.Second, 9), "3m1s long, more than the 3m0s allowed"},
		{"too large", big, "more than the 2097152 allowed"},
		{"two streams", append(audiotest.Opus(time.Second, 1), audiotest.Opus(time.Second, 2)...), "data after the end of the stream"},
	}
	for _, c := range cases {
		_, err := audio.Inspect(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestInspectEveryCut: a file cut anywhere is refused, never accepted as a shorter clip.
func TestInspectEveryCut(t *testing.T) {
	b := fixture(t, "opus-1800ms.ogg")
	for n := 0; n < len(b); n++ {
		if _, err := audio.Inspect(b[:n]); err == nil {
			t.Fatalf("cut at %d of %d bytes accepted", n, len(b))
		}
	}
}
