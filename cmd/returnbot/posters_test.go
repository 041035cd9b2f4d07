package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPostersCommand writes a poster per shipped language and an index, and refuses a source
// reach.yaml does not list (its scans would only count as "other").
func TestPostersCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"posters", "--out", dir, "--source", "reception", "--telegram", "ReturnHelpBot", "--whatsapp", "+47 400 00 000", "--web", "https://chat.example.org/"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, l := range []string{"en", "nb", "fa", "ps", "ar", "ckb", "so", "ru", "fr", "ti"} {
		b, err := os.ReadFile(filepath.Join(dir, "poster-"+l+".html"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `lang="`+l+`"`) || !strings.Contains(string(b), "start="+l+"-reception") {
			t.Errorf("poster-%s.html lacks its language or its Telegram link", l)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "index.html")); err != nil || !strings.Contains(string(b), `href="poster-ti.html"`) {
		t.Errorf("index.html: %v", err)
	}
	errb.Reset()
	if code := run([]string{"posters", "--out", dir, "--source", "nosuch", "--telegram", "B"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "not listed in reach.yaml") {
		t.Errorf("unknown source: exit %d, %q", code, errb.String())
	}
}
