package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// audioFixture reads a committed recording of bot/audio (inside the repository).
func audioFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "bot", "audio", "testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeAudio(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for path, fixture := range files {
		p := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, audioFixture(t, fixture), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestValidateAudio: validate counts the recorded texts per language, and rejects each wrong
// file as audio/<lang>/<file>: reason, with a failing exit; good recordings alone pass.
func TestValidateAudio(t *testing.T) {
	good := t.TempDir()
	writeAudio(t, good, map[string]string{
		"en/return.about.ogg": "opus-2500ms.ogg",
		"en/main.menu.ogg":    "opus-1800ms.ogg",
		"fa/return.about.ogg": "opus-1800ms.ogg",
	})
	code, out, errOut := runCmd(t, "", "validate", "--audio", good)
	if code != 0 || !strings.Contains(out, "3 recordings") {
		t.Fatalf("good recordings: exit %d\n%s%s", code, out, errOut)
	}
	row := func(lang string) string {
		m := regexp.MustCompile(`(?m)^\s*`+lang+`\s+(\d+/\d+)\s+\d+%\s*$`).FindAllStringSubmatch(out, -1)
		if len(m) < 2 {
			t.Fatalf("no audio row for %s in\n%s", lang, out)
		}
		return m[1][1] // the second table: the first counts texts
	}
	if en, fa, nb := row("en"), row("fa"), row("nb"); !strings.HasPrefix(en, "2/") || !strings.HasPrefix(fa, "1/") || !strings.HasPrefix(nb, "0/") {
		t.Errorf("coverage en %s fa %s nb %s", en, fa, nb)
	}

	bad := t.TempDir()
	writeAudio(t, bad, map[string]string{
		"en/return.about.ogg":  "opus-2500ms.ogg",
		"en/return.before.ogg": "broken/mp3.ogg",
		"en/return.travel.ogg": "broken/wav.ogg",
		"fa/return.about.ogg":  "broken/vorbis.ogg",
		"fa/return.before.ogg": "broken/truncated.ogg",
		"fa/return.travel.ogg": "broken/bad-crc.ogg",
		"so/no.such.text.ogg":  "opus-1800ms.ogg",
		"de/return.about.ogg":  "opus-1800ms.ogg",
	})
	code, out, errOut = runCmd(t, "", "validate", "--audio", bad)
	if code == 0 {
		t.Fatalf("broken recordings passed:\n%s", out)
	}
	for _, want := range []string{
		"audio/en/return.before.ogg: MP3, not Ogg Opus",
		"audio/en/return.travel.ogg: WAV, not Ogg Opus",
		"audio/fa/return.about.ogg: Ogg Vorbis, not Opus",
		"audio/fa/return.before.ogg: truncated",
		"audio/fa/return.travel.ogg: page 4: CRC mismatch",
		`audio/so/no.such.text.ogg: no message "no.such.text"`,
		`audio/de: "de" is not a shipped language`,
		"7 unusable recordings",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "audio/en/return.about.ogg") {
		t.Error("the good file is reported")
	}
	// serve refuses to start with the same recordings (RETURNBOT_AUDIO).
	t.Setenv("RETURNBOT_AUDIO", bad)
	t.Setenv("RETURNBOT_ADDR", "127.0.0.1:0")
	code, _, errOut = runCmd(t, "", "serve")
	if code == 0 || !strings.Contains(errOut, "audio/en/return.before.ogg: MP3") {
		t.Errorf("serve with broken recordings: exit %d\n%s", code, errOut)
	}
}
